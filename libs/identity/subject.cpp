// SPDX-License-Identifier: Apache-2.0
// The subject rules shared by CSRs (`sebind csr`) and CSR signing (`sebind pki sign`), so that a
// request the CA would refuse is refused when it is made.
#include <cstdio>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509.h>

#include "pki_x509.hpp"
#include "sebind/identity/identity.hpp"

namespace sebind::identity {

namespace pki {

namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

/// A value for a one-line message: control characters as \xNN, never raw.
std::string printable(const mbedtls_asn1_buf& value) {
    std::string out;
    for (std::size_t i = 0; i < value.len; ++i) {
        const unsigned char c = value.p[i];
        if (!is_control(c)) {
            out += static_cast<char>(c);
            continue;
        }
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\x%02X", c);
        out += esc;
    }
    return out;
}

void set(std::string* detail, const std::string& text) {
    if (detail) *detail = text;
}

}  // namespace

Status check_subject_names(const mbedtls_asn1_named_data* names, std::string* detail) {
    const mbedtls_asn1_named_data* cn = nullptr;
    for (const mbedtls_asn1_named_data* n = names; n != nullptr; n = n->next) {
        if (n->oid.p == nullptr) continue;
        const bool is_cn = MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0;
        if (is_cn && cn) {
            set(detail, "the subject has more than one CN; the broker would see only one of them");
            return Status(Errc::not_supported);
        }
        if (is_cn) cn = n;
        for (std::size_t i = 0; i < n->val.len; ++i) {
            if (is_control(n->val.p[i])) {
                set(detail, "the subject value '" + printable(n->val) + "' contains a control character");
                return Status(Errc::not_supported);
            }
        }
    }
    if (!cn || cn->val.len == 0) {
        set(detail, "the subject has no CN; the broker uses the CN as the device's MQTT username");
        return Status(Errc::not_supported);
    }
    for (std::size_t i = 0; i < cn->val.len; ++i) {
        const unsigned char c = cn->val.p[i];
        if (c == '/' || c == '+' || c == '#') {
            set(detail,
                "CN '" + printable(cn->val) + "' contains '/', '+' or '#', which cannot be one MQTT topic level");
            return Status(Errc::not_supported);
        }
    }
    return Status::success();
}

}  // namespace pki

Status check_subject(const std::string& subject, std::string* detail) {
    mbedtls_asn1_named_data* names = nullptr;
    struct Guard {
        mbedtls_asn1_named_data** n;
        ~Guard() { mbedtls_asn1_free_named_data_list(n); }
    } guard{&names};
    if (subject.empty() || mbedtls_x509_string_to_names(&names, subject.c_str()) != 0) {
        if (detail) *detail = "the subject is not a name such as \"CN=device-001,O=Acme\"";
        return Status(Errc::invalid_argument);
    }
    return pki::check_subject_names(names, detail);
}

}  // namespace sebind::identity
