// SPDX-License-Identifier: Apache-2.0
// ECDHE in the chip's ephemeral slot 0xFF: the shared secret agrees with the host's own ECDH,
// the key is single use and volatile, it costs the chip's Generate Key + Establish Key time, and
// through the hook mbedTLS's ECDH API reaches the chip (and stays plain mbedTLS otherwise).
#include <gtest/gtest.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/entropy.h>

#include <string>
#include <vector>

#include "harness.hpp"
#include "sebind/tls_mbedtls/chip_ecdhe.hpp"

using namespace sebind;

namespace {

/// Deterministic randomness for the host side (tests only).
int test_rng(void* state, unsigned char* out, std::size_t n) {
    auto* s = static_cast<std::uint32_t*>(state);
    for (std::size_t i = 0; i < n; ++i) {
        *s = *s * 1664525u + 1013904223u;
        out[i] = static_cast<unsigned char>(*s >> 24);
    }
    return 0;
}

std::vector<unsigned char> bytes_of(const mbedtls_mpi& v, std::size_t n) {
    std::vector<unsigned char> out(n);
    EXPECT_EQ(mbedtls_mpi_write_binary(&v, out.data(), n), 0);
    return out;
}

/// A host key pair and points, freed on scope exit.
struct HostSide {
    explicit HostSide(mbedtls_ecp_group_id id, std::uint32_t seed = 1) : rng(seed) {
        mbedtls_ecp_group_init(&grp);
        mbedtls_mpi_init(&d);
        mbedtls_ecp_point_init(&q);
        EXPECT_EQ(mbedtls_ecp_group_load(&grp, id), 0);
        EXPECT_EQ(mbedtls_ecp_gen_keypair(&grp, &d, &q, test_rng, &rng), 0);
    }
    ~HostSide() {
        mbedtls_ecp_group_free(&grp);
        mbedtls_mpi_free(&d);
        mbedtls_ecp_point_free(&q);
    }
    /// x(d * other): the definition of the ECDH secret, with mbedTLS's point multiplication.
    std::vector<unsigned char> shared_with(const mbedtls_ecp_point& other) {
        mbedtls_ecp_point p;
        mbedtls_ecp_point_init(&p);
        EXPECT_EQ(mbedtls_ecp_mul(&grp, &p, &d, &other, test_rng, &rng), 0);
        auto out = bytes_of(p.X, (grp.pbits + 7) / 8);
        mbedtls_ecp_point_free(&p);
        return out;
    }
    std::uint32_t rng;
    mbedtls_ecp_group grp;
    mbedtls_mpi d;
    mbedtls_ecp_point q;
};

struct Point {
    Point() { mbedtls_ecp_point_init(&p); }
    ~Point() { mbedtls_ecp_point_free(&p); }
    mbedtls_ecp_point p;
};
struct Mpi {
    Mpi() { mbedtls_mpi_init(&v); }
    ~Mpi() { mbedtls_mpi_free(&v); }
    mbedtls_mpi v;
};

class ChipEcdhe : public ::testing::TestWithParam<mbedtls_ecp_group_id> {
protected:
    std::unique_ptr<test::TestChip> chip = test::make_test_chip();
    stsafe::Device& se = chip->device();
};

}  // namespace

TEST_P(ChipEcdhe, ChipAndHostAgreeOnTheSecret) {
    HostSide host(GetParam());
    Point chip_q;
    Mpi z;
    const auto before = chip->stats().key_establishments;
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_public(se, GetParam(), chip_q.p).ok());
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_shared(se, GetParam(), host.q, z.v).ok());
    EXPECT_EQ(bytes_of(z.v, (host.grp.pbits + 7) / 8), host.shared_with(chip_q.p));
    EXPECT_EQ(chip->stats().key_establishments - before, 1u);
}

INSTANTIATE_TEST_SUITE_P(A110Curves, ChipEcdhe,
                         ::testing::Values(MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_BP256R1,
                                           MBEDTLS_ECP_DP_BP384R1));

TEST(ChipEcdheSlot, SingleUseVolatileAndNeverSigns) {
    auto chip = test::make_test_chip();
    stsafe::Device& se = chip->device();
    HostSide host(MBEDTLS_ECP_DP_SECP256R1);
    Point q;
    Mpi z;
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_public(se, MBEDTLS_ECP_DP_SECP256R1, q.p).ok());
    // The ephemeral key was generated for key establishment only: the chip refuses to sign (§4.15).
    std::uint8_t digest[32];
    std::fill(std::begin(digest), std::end(digest), 0x5A);
    EXPECT_EQ(se.generate_signature(stsafe::kSlotEphemeral, digest).status().code(), Errc::not_permitted);
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_shared(se, MBEDTLS_ECP_DP_SECP256R1, host.q, z.v).ok());
    // Used once, then erased (§5.1).
    EXPECT_EQ(tls_mbedtls::chip_ecdhe_shared(se, MBEDTLS_ECP_DP_SECP256R1, host.q, z.v).code(), Errc::does_not_exist);
    // A reset between the two halves loses the key (the handshake must not be interleaved with one).
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_public(se, MBEDTLS_ECP_DP_SECP256R1, q.p).ok());
    ASSERT_TRUE(se.reset().ok());
    EXPECT_EQ(tls_mbedtls::chip_ecdhe_shared(se, MBEDTLS_ECP_DP_SECP256R1, host.q, z.v).code(), Errc::does_not_exist);
}

TEST(ChipEcdheSlot, RefusalsBeforeTheChip) {
    auto chip = test::make_test_chip();
    stsafe::Device& se = chip->device();
    Point q;
    Mpi z;
    // X25519 is not an A110 curve (A120 only, §5.2): refused without a command.
    const auto commands = chip->stats().commands;
    EXPECT_EQ(tls_mbedtls::chip_ecdhe_public(se, MBEDTLS_ECP_DP_CURVE25519, q.p).code(), Errc::not_supported);
    EXPECT_EQ(chip->stats().commands, commands);
    // A peer point off the curve is refused on the host and leaves the ephemeral key usable.
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_public(se, MBEDTLS_ECP_DP_SECP256R1, q.p).ok());
    Point bogus;
    ASSERT_EQ(mbedtls_mpi_lset(&bogus.p.X, 5), 0);
    ASSERT_EQ(mbedtls_mpi_lset(&bogus.p.Y, 7), 0);
    ASSERT_EQ(mbedtls_mpi_lset(&bogus.p.Z, 1), 0);
    EXPECT_EQ(tls_mbedtls::chip_ecdhe_shared(se, MBEDTLS_ECP_DP_SECP256R1, bogus.p, z.v).code(),
              Errc::invalid_argument);
    HostSide host(MBEDTLS_ECP_DP_SECP256R1, 9);
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_shared(se, MBEDTLS_ECP_DP_SECP256R1, host.q, z.v).ok());
    EXPECT_EQ(bytes_of(z.v, 32), host.shared_with(q.p));
}

TEST(ChipEcdheSlot, CostsGenerateKeyPlusEstablishKeyOnTheChip) {
    // The emulator's realistic timing is the A110 wait table (§8.2): 160 + 260 ms. On the
    // in-process transport the clock is manual, so this costs no real time.
    auto chip = test::make_test_chip();
    if (std::string(chip->transport()) != "inproc") GTEST_SKIP() << "timed on the manual clock only";
    chip->set_latency(emu::Latency::realistic);
    HostSide host(MBEDTLS_ECP_DP_SECP256R1);
    Point q;
    Mpi z;
    Clock& clock = chip->clock();
    const std::uint32_t t0 = clock.now_ms();
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_public(chip->device(), MBEDTLS_ECP_DP_SECP256R1, q.p).ok());
    const std::uint32_t t1 = clock.now_ms();
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_shared(chip->device(), MBEDTLS_ECP_DP_SECP256R1, host.q, z.v).ok());
    const std::uint32_t t2 = clock.now_ms();
    EXPECT_GE(t1 - t0, 160u);
    EXPECT_LT(t1 - t0, 160u + 20u);  // polling granularity only
    EXPECT_GE(t2 - t1, 260u);
    EXPECT_LT(t2 - t1, 260u + 20u);
}

TEST(ChipEcdheHook, MbedtlsEcdhApiReachesTheChip) {
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_available());
    auto chip = test::make_test_chip();
    std::uint32_t seed = 3;
    tls_mbedtls::ChipEcdheBinding binding;
    binding.device = &chip->device();
    binding.f_rng = test_rng;
    binding.p_rng = &seed;
    // A software "server" and a chip "client", as in a TLS 1.2 ECDHE key exchange.
    mbedtls_ecdh_context server, client;
    mbedtls_ecdh_init(&server);
    mbedtls_ecdh_init(&client);
    unsigned char params[200], pub[200], s1[64], s2[64];
    std::size_t params_len = 0, pub_len = 0, s1_len = 0, s2_len = 0;
    ASSERT_EQ(mbedtls_ecdh_setup(&server, MBEDTLS_ECP_DP_SECP256R1), 0);
    ASSERT_EQ(mbedtls_ecdh_make_params(&server, &params_len, params, sizeof params, test_rng, &seed), 0);
    const unsigned char* p = params;
    ASSERT_EQ(mbedtls_ecdh_read_params(&client, &p, params + params_len), 0);
    const auto before = chip->stats().key_establishments;
    ASSERT_EQ(mbedtls_ecdh_make_public(&client, &pub_len, pub, sizeof pub, tls_mbedtls::chip_ecdhe_rng, &binding), 0);
    ASSERT_EQ(mbedtls_ecdh_read_public(&server, pub, pub_len), 0);
    ASSERT_EQ(mbedtls_ecdh_calc_secret(&client, &s1_len, s1, sizeof s1, tls_mbedtls::chip_ecdhe_rng, &binding), 0);
    ASSERT_EQ(mbedtls_ecdh_calc_secret(&server, &s2_len, s2, sizeof s2, test_rng, &seed), 0);
    EXPECT_EQ(std::vector<unsigned char>(s1, s1 + s1_len), std::vector<unsigned char>(s2, s2 + s2_len));
    EXPECT_EQ(s1_len, 32u);
    EXPECT_EQ(binding.generated, 1u);
    EXPECT_EQ(binding.established, 1u);
    EXPECT_EQ(chip->stats().key_establishments - before, 1u);
    EXPECT_EQ(mbedtls_mpi_cmp_int(&client.d, 0), 0);  // no private scalar on the host
    // A second calc_secret has no key left in the chip: the error surfaces, with its cause.
    EXPECT_NE(mbedtls_ecdh_calc_secret(&client, &s1_len, s1, sizeof s1, tls_mbedtls::chip_ecdhe_rng, &binding), 0);
    EXPECT_EQ(binding.last_error.code(), Errc::does_not_exist);
    mbedtls_ecdh_free(&server);
    mbedtls_ecdh_free(&client);
}

TEST(ChipEcdheHook, UnmarkedEcdhIsPlainMbedtls) {
    // With the hook linked, every other ECDH (here X25519 and P-384) still computes x(d * Q).
    for (mbedtls_ecp_group_id id : {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP384R1}) {
        std::uint32_t seed = 11;
        mbedtls_ecdh_context a, b;
        mbedtls_ecdh_init(&a);
        mbedtls_ecdh_init(&b);
        unsigned char params[200], pub[200], sa[80], sb[80];
        std::size_t params_len = 0, pub_len = 0, la = 0, lb = 0;
        ASSERT_EQ(mbedtls_ecdh_setup(&a, id), 0);
        ASSERT_EQ(mbedtls_ecdh_make_params(&a, &params_len, params, sizeof params, test_rng, &seed), 0);
        const unsigned char* p = params;
        ASSERT_EQ(mbedtls_ecdh_read_params(&b, &p, params + params_len), 0);
        ASSERT_EQ(mbedtls_ecdh_make_public(&b, &pub_len, pub, sizeof pub, test_rng, &seed), 0);
        ASSERT_EQ(mbedtls_ecdh_read_public(&a, pub, pub_len), 0);
        ASSERT_EQ(mbedtls_ecdh_calc_secret(&a, &la, sa, sizeof sa, test_rng, &seed), 0);
        ASSERT_EQ(mbedtls_ecdh_calc_secret(&b, &lb, sb, sizeof sb, test_rng, &seed), 0);
        EXPECT_EQ(std::vector<unsigned char>(sa, sa + la), std::vector<unsigned char>(sb, sb + lb)) << id;
        // And it is the ECDH secret by definition, computed apart from the ECDH module.
        mbedtls_ecp_point ref;
        mbedtls_ecp_point_init(&ref);
        ASSERT_EQ(mbedtls_ecp_mul(&a.grp, &ref, &a.d, &b.Q, test_rng, &seed), 0);
        std::vector<unsigned char> expect(la);
        if (id == MBEDTLS_ECP_DP_CURVE25519) {
            ASSERT_EQ(mbedtls_mpi_write_binary_le(&ref.X, expect.data(), la), 0);  // RFC 7748 byte order
        } else {
            ASSERT_EQ(mbedtls_mpi_write_binary(&ref.X, expect.data(), la), 0);
        }
        mbedtls_ecp_point_free(&ref);
        EXPECT_EQ(std::vector<unsigned char>(sa, sa + la), expect) << id;
        mbedtls_ecdh_free(&a);
        mbedtls_ecdh_free(&b);
    }
}
