// SPDX-License-Identifier: Apache-2.0
// mbedTLS-based host checks for the component tests.
#include "host_crypto.hpp"

#include <gtest/gtest.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "sebind/mbedtls_util/curves.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::test {

namespace {

int test_rng(void* state, unsigned char* out, std::size_t n) {
    auto* s = static_cast<std::uint64_t*>(state);
    for (std::size_t i = 0; i < n; ++i) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = static_cast<unsigned char>(*s >> 56);
    }
    return 0;
}

}  // namespace

bool host_verify(const stsafe::PublicKey& key, const stsafe::Signature& sig, Bytes digest) {
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    bool ok = mbedtls_ecp_group_load(&grp, mbedtls_util::group_of(key.curve)) == 0 &&
              mbedtls_util::read_point(key.x.view(), key.y.view(), q) == 0 &&
              mbedtls_mpi_read_binary(&r, sig.r.data(), sig.r.size()) == 0 &&
              mbedtls_mpi_read_binary(&s, sig.s.data(), sig.s.size()) == 0 &&
              mbedtls_ecdsa_verify(&grp, digest.data(), digest.size(), &q, &r, &s) == 0;
    mbedtls_ecp_group_free(&grp);
    mbedtls_ecp_point_free(&q);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return ok;
}

HostKeyPair host_keypair(stsafe::Curve curve, std::uint64_t seed) {
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    const std::size_t n = stsafe::curve_info(curve).coordinate_size;
    HostKeyPair kp;
    kp.pub.curve = curve;
    kp.pub.x.resize(n);
    kp.pub.y.resize(n);
    kp.d.resize(n);
    std::uint64_t state = seed;
    EXPECT_EQ(mbedtls_ecp_group_load(&grp, mbedtls_util::group_of(curve)), 0);
    EXPECT_EQ(mbedtls_ecp_gen_keypair(&grp, &d, &q, test_rng, &state), 0);
    EXPECT_EQ(mbedtls_util::write_point(q, n, kp.pub.x.data(), kp.pub.y.data()), 0);
    EXPECT_EQ(mbedtls_mpi_write_binary(&d, kp.d.data(), n), 0);
    mbedtls_ecp_group_free(&grp);
    mbedtls_ecp_point_free(&q);
    mbedtls_mpi_free(&d);
    return kp;
}

std::vector<std::uint8_t> host_ecdh(const HostKeyPair& mine, const stsafe::PublicKey& theirs) {
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d, z;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&z);
    const std::size_t n = stsafe::curve_info(theirs.curve).coordinate_size;
    std::vector<std::uint8_t> out(n);
    std::uint64_t state = 99;
    EXPECT_EQ(mbedtls_ecp_group_load(&grp, mbedtls_util::group_of(theirs.curve)), 0);
    EXPECT_EQ(mbedtls_util::read_point(theirs.x.view(), theirs.y.view(), q), 0);
    EXPECT_EQ(mbedtls_mpi_read_binary(&d, mine.d.data(), n), 0);
    EXPECT_EQ(mbedtls_ecdh_compute_shared(&grp, &z, &q, &d, test_rng, &state), 0);
    EXPECT_EQ(mbedtls_mpi_write_binary(&z, out.data(), n), 0);
    mbedtls_ecp_group_free(&grp);
    mbedtls_ecp_point_free(&q);
    mbedtls_mpi_free(&d);
    mbedtls_mpi_free(&z);
    return out;
}

std::vector<std::uint8_t> read_zone_certificate(stsafe::Device& device, std::uint8_t zone) {
    std::uint8_t head[4];
    EXPECT_TRUE(device.read(zone, 0, head).ok());
    auto total = stsafe::der_total_length(head);
    EXPECT_TRUE(total.ok());
    if (!total) return {};
    std::vector<std::uint8_t> der(*total);
    EXPECT_TRUE(device.read(zone, 0, der).ok());
    return der;
}

stsafe::PublicKey certificate_public_key(const std::vector<std::uint8_t>& der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    stsafe::PublicKey key;
    EXPECT_EQ(mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()), 0);
    if (mbedtls_pk_get_type(&crt.pk) == MBEDTLS_PK_ECKEY) {
        const mbedtls_ecp_keypair* ec = mbedtls_pk_ec(crt.pk);
        const std::size_t n = mbedtls_mpi_size(&ec->grp.P);
        key.curve = n == 48 ? stsafe::Curve::p384 : stsafe::Curve::p256;
        key.x.resize(n);
        key.y.resize(n);
        EXPECT_EQ(mbedtls_mpi_write_binary(&ec->Q.X, key.x.data(), n), 0);
        EXPECT_EQ(mbedtls_mpi_write_binary(&ec->Q.Y, key.y.data(), n), 0);
    }
    mbedtls_x509_crt_free(&crt);
    return key;
}

std::vector<std::uint8_t> sha256(Bytes data) {
    std::vector<std::uint8_t> out(32);
    mbedtls_sha256_ret(data.data(), data.size(), out.data(), 0);
    return out;
}

}  // namespace sebind::test
