// SPDX-License-Identifier: Apache-2.0
// PEM/DER helpers on mbedTLS for the interop tests.
#include "pem.hpp"

#include <stdexcept>

#include <mbedtls/asn1write.h>
#include <mbedtls/md.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>

namespace sebind::test {

std::string certificate_pem(const std::vector<unsigned char>& der) {
    unsigned char out[8192];
    std::size_t olen = 0;
    if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n", der.data(),
                                 der.size(), out, sizeof out, &olen) != 0)
        throw std::runtime_error("PEM encoding failed");
    return std::string(reinterpret_cast<char*>(out), olen - 1);
}

std::string public_key_pem(const stsafe::PublicKey& key) {
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    mbedtls_ecp_group_id group = MBEDTLS_ECP_DP_NONE;
    switch (key.curve) {
        case stsafe::Curve::p256: group = MBEDTLS_ECP_DP_SECP256R1; break;
        case stsafe::Curve::p384: group = MBEDTLS_ECP_DP_SECP384R1; break;
        case stsafe::Curve::brainpool_p256r1: group = MBEDTLS_ECP_DP_BP256R1; break;
        case stsafe::Curve::brainpool_p384r1: group = MBEDTLS_ECP_DP_BP384R1; break;
    }
    unsigned char out[2048] = {};
    int rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    mbedtls_ecp_keypair* ec = rc == 0 ? mbedtls_pk_ec(pk) : nullptr;
    if (ec) {
        rc = mbedtls_ecp_group_load(&ec->grp, group);
        if (rc == 0) rc = mbedtls_mpi_read_binary(&ec->Q.X, key.x.data(), key.x.size());
        if (rc == 0) rc = mbedtls_mpi_read_binary(&ec->Q.Y, key.y.data(), key.y.size());
        if (rc == 0) rc = mbedtls_mpi_lset(&ec->Q.Z, 1);
        if (rc == 0) rc = mbedtls_pk_write_pubkey_pem(&pk, out, sizeof out);
    }
    mbedtls_pk_free(&pk);
    if (rc != 0) throw std::runtime_error("public key PEM encoding failed");
    return reinterpret_cast<char*>(out);
}

std::vector<unsigned char> signature_der(const stsafe::Signature& sig) {
    // Written back to front, as mbedtls_asn1_write_* do.
    unsigned char buf[160];
    unsigned char* p = buf + sizeof buf;
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int len = 0, rc = 0;
    if (mbedtls_mpi_read_binary(&r, sig.r.data(), sig.r.size()) != 0 ||
        mbedtls_mpi_read_binary(&s, sig.s.data(), sig.s.size()) != 0)
        rc = -1;
    auto add = [&](int n) { if (n < 0) rc = n; else len += n; };
    if (rc == 0) add(mbedtls_asn1_write_mpi(&p, buf, &s));
    if (rc == 0) add(mbedtls_asn1_write_mpi(&p, buf, &r));
    if (rc == 0) add(mbedtls_asn1_write_len(&p, buf, static_cast<std::size_t>(len)));
    if (rc == 0) add(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    if (rc != 0) throw std::runtime_error("signature DER encoding failed");
    return {p, buf + sizeof buf};
}

std::vector<unsigned char> hash(const std::string& algorithm, const std::string& message) {
    const mbedtls_md_info_t* md = mbedtls_md_info_from_string(algorithm.c_str());
    if (!md) throw std::runtime_error("unknown hash " + algorithm);
    std::vector<unsigned char> out(mbedtls_md_get_size(md));
    mbedtls_md(md, reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data());
    return out;
}

}  // namespace sebind::test
