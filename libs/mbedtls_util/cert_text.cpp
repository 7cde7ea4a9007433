// SPDX-License-Identifier: Apache-2.0
#include "sebind/mbedtls_util/cert_text.hpp"

#include <cstdio>
#include <vector>

#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>

#include "sebind/mbedtls_util/curves.hpp"
#include "sebind/mbedtls_util/field.hpp"

namespace sebind::mbedtls_util {

// Mbed TLS keeps every subjectAltName entry with its tag (2.28 itself checks only dNSName).
tls::CertificateNames certificate_names(const mbedtls_x509_crt& crt) {
    tls::CertificateNames names;
    constexpr int kDns = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME;
    constexpr int kIp = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;  // iPAddress [7] (RFC 5280 §4.2.1.6)
    for (const mbedtls_x509_sequence* s = &crt.subject_alt_names; s != nullptr && s->buf.p != nullptr; s = s->next) {
        const auto* p = s->buf.p;
        if (s->buf.tag == kDns) names.dns.emplace_back(reinterpret_cast<const char*>(p), s->buf.len);
        if (s->buf.tag == kIp) names.ips.emplace_back(p, p + s->buf.len);
    }
    for (const mbedtls_x509_name* n = &crt.subject; n != nullptr; n = n->next)
        if (n->oid.p != nullptr && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0)
            names.common_names.emplace_back(reinterpret_cast<const char*>(n->val.p), n->val.len);
    return names;
}

std::string common_name(const mbedtls_x509_name& name) {
    std::string cn;
    for (const mbedtls_x509_name* n = &name; n; n = n->next)
        if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0)
            cn.assign(reinterpret_cast<const char*>(n->val.p), n->val.len);
    return cn;
}

std::string iso_time(const mbedtls_x509_time& t) {
    char b[96];  // room for any int the format could print
    std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.mon, t.day, t.hour, t.min, t.sec);
    return b;
}

std::string iso_date(const mbedtls_x509_time& t) {
    char b[48];
    std::snprintf(b, sizeof b, "%04d-%02d-%02d", t.year, t.mon, t.day);
    return b;
}

std::string x509_time(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

int certificate_pem(Bytes der, std::string& pem) {
    // Base64 of n bytes is 4*ceil(n/3) characters, 64 to a line, plus the two armour lines.
    std::vector<unsigned char> out(der.size() * 2 + 128);
    std::size_t olen = 0;
    const int rc = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n", der.data(),
                                            der.size(), out.data(), out.size(), &olen);
    if (rc != 0) return rc;
    pem.assign(reinterpret_cast<const char*>(out.data()), olen > 0 ? olen - 1 : 0);  // olen counts the NUL
    return 0;
}

int public_key_pem(const stsafe::PublicKey& key, std::string& pem) {
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    unsigned char out[1024] = {};
    int rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    mbedtls_ecp_keypair* ec = rc == 0 ? mbedtls_pk_ec(pk) : nullptr;
    if (ec) {
        rc = mbedtls_ecp_group_load(&ec->SEBIND_MBEDTLS_FIELD(grp), group_of(key.curve));
        if (rc == 0) rc = read_point(key.x.view(), key.y.view(), ec->SEBIND_MBEDTLS_FIELD(Q));
        if (rc == 0) rc = mbedtls_pk_write_pubkey_pem(&pk, out, sizeof out);
    }
    mbedtls_pk_free(&pk);
    if (rc == 0) pem = reinterpret_cast<const char*>(out);
    return rc;
}

}  // namespace sebind::mbedtls_util
