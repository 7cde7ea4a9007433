// SPDX-License-Identifier: Apache-2.0
// DeviceIdentity: certificate from the zone, pairing check on the chip, CN, SE key for mbedTLS.
#include "sebind/agent/device_identity.hpp"

#include <cstdio>

#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/tls_mbedtls/client.hpp"

namespace sebind::agent {

DeviceIdentity::DeviceIdentity() {
    mbedtls_x509_crt_init(&m_chain);
    mbedtls_pk_init(&m_key);
}

DeviceIdentity::~DeviceIdentity() {
    mbedtls_pk_free(&m_key);
    mbedtls_x509_crt_free(&m_chain);
}

Result<std::unique_ptr<DeviceIdentity>> DeviceIdentity::load(stsafe::Device& device, std::uint8_t slot,
                                                             std::uint8_t zone, std::string* detail) {
    auto set = [detail](const std::string& line) {
        if (detail) *detail = line;
    };
    const std::string where = "zone " + std::to_string(zone);
    auto stored = identity::read_certificate(device, zone);
    if (!stored) {
        if (stored.status().code() == Errc::does_not_exist)
            set(where +
                " holds no certificate — provision the device first (sebind keygen, csr, cert store; "
                "docs/provisioning.md)");
        else if (stored.status().code() == Errc::corrupted_data)
            set("the identity record in " + where + " is damaged — store the certificate again (`sebind cert store`)");
        else
            set("cannot read the certificate in " + where + " from the secure element");
        return stored.status();
    }
    std::unique_ptr<DeviceIdentity> id(new DeviceIdentity());
    if (mbedtls_x509_crt_parse_der(&id->m_chain, stored->der.data(), stored->der.size()) != 0) {
        set("the certificate in " + where + " does not parse — store it again (`sebind cert store`)");
        return Errc::corrupted_data;
    }
    const mbedtls_x509_crt& crt = id->m_chain;
    id->m_cn = mbedtls_util::common_name(crt.subject);
    char buf[512];
    if (mbedtls_x509_dn_gets(buf, sizeof buf, &crt.subject) > 0) id->m_subject = buf;
    if (mbedtls_x509_dn_gets(buf, sizeof buf, &crt.issuer) > 0) id->m_issuer = buf;
    id->m_not_after = mbedtls_util::iso_time(crt.valid_to);
    id->m_outside_validity = mbedtls_x509_time_is_past(&crt.valid_to) != 0 ||
                             mbedtls_x509_time_is_future(&crt.valid_from) != 0;
    if (id->m_cn.empty() || id->m_cn.find_first_of("/+#") != std::string::npos) {
        set("the certificate in " + where + " (" + id->m_subject +
            ") has no usable CN: the topics are devices/<CN>/... — issue it with a subject such as CN=device-001");
        return Errc::invalid_argument;
    }

    // The pairing check signs a fresh chip challenge with the slot key and verifies it with the
    // certificate's public key: mbedtls_pk_check_pair cannot, the private key never leaves the chip.
    const Status paired = identity::verify_pair(device, slot, stored->der);
    if (!paired.ok()) {
        const std::string s = "slot " + std::to_string(slot);
        switch (paired.code()) {
            case Errc::invalid_signature:
                set("the key in " + s + " does not belong to the certificate in " + where + " (" + id->m_subject +
                    ") — store the certificate issued for this key (`sebind cert store --slot " + std::to_string(slot) +
                    "`), or make a new CSR with `sebind csr` and have it signed");
                break;
            case Errc::invalid_argument:
                // Another curve (or not an EC key): a mismatch like any other, which a restart cannot fix.
                set("the certificate in " + where + " has " + identity::certificate_key_name(stored->der) +
                    ", not the key in " + s + " — store the certificate issued for this key");
                return Errc::invalid_signature;
            case Errc::does_not_exist:
                set(s + " holds no key — run `sebind keygen --slot " + std::to_string(slot) + "` and provision it");
                break;
            default:
                set("the secure element failed the pairing check (" + std::string(to_string(paired.code())) +
                    ") — check the bus/URI and retry");
        }
        return paired;
    }
    auto pub = mbedtls_util::public_key_of(crt.pk);
    if (!pub) {
        set("the certificate's key is not an EC key on a curve the chip supports");
        return pub.status();
    }
    if (const Status st = mbedtls_util::setup_se_key(id->m_key, device, slot, *pub); !st.ok()) {
        set("cannot bind the key in slot " + std::to_string(slot) + " (" + to_string(st.code()) + ")");
        return st;
    }
    return id;
}

Status DeviceIdentity::add_chain_file(const std::string& path, std::string* detail) {
    tls::Diagnosis d;
    if (tls_mbedtls::append_chain_file(path, m_chain, d)) return Status::success();
    if (detail) *detail = d.cause + " — " + d.fix;
    return Status(d.failure == tls::Failure::file_not_found ? Errc::does_not_exist : Errc::invalid_argument);
}

}  // namespace sebind::agent
