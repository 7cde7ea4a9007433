// SPDX-License-Identifier: Apache-2.0
#include "sebind/mbedtls_util/curves.hpp"

#include <cstring>

#include <mbedtls/asn1write.h>
#include <mbedtls/ecdsa.h>

#include "sebind/mbedtls_util/field.hpp"

namespace sebind::mbedtls_util {

mbedtls_ecp_group_id group_of(stsafe::Curve curve) noexcept {
    switch (curve) {
        case stsafe::Curve::p256: return MBEDTLS_ECP_DP_SECP256R1;
        case stsafe::Curve::p384: return MBEDTLS_ECP_DP_SECP384R1;
        case stsafe::Curve::brainpool_p256r1: return MBEDTLS_ECP_DP_BP256R1;
        case stsafe::Curve::brainpool_p384r1: return MBEDTLS_ECP_DP_BP384R1;
    }
    return MBEDTLS_ECP_DP_NONE;
}

std::optional<stsafe::Curve> curve_of(mbedtls_ecp_group_id group) noexcept {
    switch (group) {
        case MBEDTLS_ECP_DP_SECP256R1: return stsafe::Curve::p256;
        case MBEDTLS_ECP_DP_SECP384R1: return stsafe::Curve::p384;
        case MBEDTLS_ECP_DP_BP256R1: return stsafe::Curve::brainpool_p256r1;
        case MBEDTLS_ECP_DP_BP384R1: return stsafe::Curve::brainpool_p384r1;
        default: return std::nullopt;
    }
}

int read_point(Bytes x, Bytes y, mbedtls_ecp_point& q) noexcept {
    int rc = mbedtls_mpi_read_binary(&q.SEBIND_MBEDTLS_FIELD(X), x.data(), x.size());
    if (rc == 0) rc = mbedtls_mpi_read_binary(&q.SEBIND_MBEDTLS_FIELD(Y), y.data(), y.size());
    if (rc == 0) rc = mbedtls_mpi_lset(&q.SEBIND_MBEDTLS_FIELD(Z), 1);
    return rc;
}

int write_point(const mbedtls_ecp_point& q, std::size_t n, std::uint8_t* x, std::uint8_t* y) noexcept {
    const int rc = mbedtls_mpi_write_binary(&q.SEBIND_MBEDTLS_FIELD(X), x, n);
    return rc != 0 ? rc : mbedtls_mpi_write_binary(&q.SEBIND_MBEDTLS_FIELD(Y), y, n);
}

Result<stsafe::PublicKey> public_key_of(const mbedtls_ecp_keypair& ec) noexcept {
    const auto curve = curve_of(ec.SEBIND_MBEDTLS_FIELD(grp).id);
    if (!curve) return Errc::not_supported;
    stsafe::PublicKey out;
    out.curve = *curve;
    const std::size_t n = stsafe::curve_info(out.curve).coordinate_size;
    out.x.resize(n);
    out.y.resize(n);
    if (write_point(ec.SEBIND_MBEDTLS_FIELD(Q), n, out.x.data(), out.y.data()) != 0) return Errc::invalid_argument;
    return out;
}

int write_der_signature(Bytes r, Bytes s, unsigned char* out, std::size_t* out_len) noexcept {
    mbedtls_mpi rv, sv;
    mbedtls_mpi_init(&rv);
    mbedtls_mpi_init(&sv);
    unsigned char buf[MBEDTLS_ECDSA_MAX_LEN];
    unsigned char* p = buf + sizeof buf;
    std::size_t len = 0;
    int rc = mbedtls_mpi_read_binary(&rv, r.data(), r.size());
    if (rc == 0) rc = mbedtls_mpi_read_binary(&sv, s.data(), s.size());
    auto add = [&](int n) {
        if (rc == 0 && n < 0) rc = n;
        if (rc == 0) len += static_cast<std::size_t>(n);
    };
    if (rc == 0) add(mbedtls_asn1_write_mpi(&p, buf, &sv));
    if (rc == 0) add(mbedtls_asn1_write_mpi(&p, buf, &rv));
    if (rc == 0) add(mbedtls_asn1_write_len(&p, buf, len));
    if (rc == 0) add(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
    mbedtls_mpi_free(&rv);
    mbedtls_mpi_free(&sv);
    if (rc != 0) return rc;
    std::memcpy(out, p, len);
    *out_len = len;
    return 0;
}

}  // namespace sebind::mbedtls_util
