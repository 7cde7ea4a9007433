// SPDX-License-Identifier: Apache-2.0
// The chip key as an mbedtls_pk_context (mbedtls_util::setup_se_key) against the emulated chip: signing
// through mbedtls_pk_sign, verifying with the public key, bit lengths, and chip errors as pk codes.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include <mbedtls/asn1.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include "harness.hpp"
#include "sebind/mbedtls_util/se_key.hpp"

using namespace sebind;
using namespace sebind::stsafe;

namespace {

int no_rng(void*, unsigned char*, std::size_t) { return -1; }  // the chip draws its own nonce

std::vector<unsigned char> hash(mbedtls_md_type_t md, const std::string& message) {
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(md);
    std::vector<unsigned char> out(mbedtls_md_get_size(info));
    EXPECT_EQ(mbedtls_md(info, reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data()), 0);
    return out;
}

/// A plain mbedTLS public key parsed from the DER the SE key writes: an independent verifier.
struct PlainPublicKey {
    explicit PlainPublicKey(mbedtls_pk_context& se_key) {
        mbedtls_pk_init(&pk);
        unsigned char der[256];
        const int len = mbedtls_pk_write_pubkey_der(&se_key, der, sizeof der);
        EXPECT_GT(len, 0);
        if (len > 0) {
            EXPECT_EQ(mbedtls_pk_parse_public_key(&pk, der + sizeof der - len, static_cast<std::size_t>(len)), 0);
        }
    }
    ~PlainPublicKey() { mbedtls_pk_free(&pk); }
    mbedtls_pk_context pk;
};

class SeKey : public ::testing::Test {
protected:
    SeKey() { mbedtls_pk_init(&key); }
    ~SeKey() override { mbedtls_pk_free(&key); }

    PublicKey generate(Curve curve, std::uint16_t usage_limit = 0xFFFF) {
        auto pub = se.generate_key_pair(kSlotUser, curve, usage_limit);
        EXPECT_TRUE(pub) << to_string(pub.status().code());
        return pub ? *pub : PublicKey{};
    }

    std::unique_ptr<test::TestChip> chip = test::make_test_chip();
    Device& se = chip->device();
    mbedtls_pk_context key;
};

class SeKeyPerCurve : public SeKey, public ::testing::WithParamInterface<Curve> {};

}  // namespace

TEST_P(SeKeyPerCurve, LooksLikeAnEcKeyOfTheSlotsSize) {
    const Curve curve = GetParam();
    const PublicKey pub = generate(curve);
    ASSERT_TRUE(mbedtls_util::setup_se_key(key, se, kSlotUser, pub).ok());
    EXPECT_TRUE(mbedtls_util::is_se_key(key));
    EXPECT_EQ(mbedtls_pk_get_bitlen(&key), curve_info(curve).coordinate_size * 8);
    EXPECT_EQ(mbedtls_pk_get_type(&key), MBEDTLS_PK_ECKEY);
    // TLS asks for ECDSA: an ECKEY-only answer makes the client send an "anonymous" signature.
    EXPECT_TRUE(mbedtls_pk_can_do(&key, MBEDTLS_PK_ECDSA));
    EXPECT_TRUE(mbedtls_pk_can_do(&key, MBEDTLS_PK_ECKEY));
    EXPECT_FALSE(mbedtls_pk_can_do(&key, MBEDTLS_PK_RSA));
    EXPECT_FALSE(mbedtls_pk_can_do(&key, MBEDTLS_PK_ECKEY_DH));
    // mbedtls_pk_ec sees the public point and nothing private.
    const mbedtls_ecp_keypair* ec = mbedtls_pk_ec(key);
    ASSERT_NE(ec, nullptr);
    EXPECT_EQ(mbedtls_mpi_cmp_int(&ec->d, 0), 0);
    auto back = mbedtls_util::public_key_of(key);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->curve, curve);
    EXPECT_TRUE(std::equal(back->x.begin(), back->x.end(), pub.x.begin(), pub.x.end()));
    EXPECT_TRUE(std::equal(back->y.begin(), back->y.end(), pub.y.begin(), pub.y.end()));
    // No pairing check through mbedTLS (it would need the private key): a clean refusal, and
    // identity::verify_pair does it with a chip signature instead.
    PlainPublicKey plain(key);
    EXPECT_EQ(mbedtls_pk_check_pair(&plain.pk, &key), MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE);
    mbedtls_pk_debug_item items[MBEDTLS_PK_DEBUG_MAX_ITEMS] = {};
    EXPECT_EQ(mbedtls_pk_debug(&key, items), 0);
    EXPECT_EQ(items[0].type, MBEDTLS_PK_DEBUG_ECP);
}

TEST_P(SeKeyPerCurve, PkSignGivesDerThatThePublicKeyVerifies) {
    const Curve curve = GetParam();
    ASSERT_TRUE(mbedtls_util::setup_se_key(key, se, kSlotUser, generate(curve)).ok());
    const mbedtls_md_type_t md = curve_info(curve).coordinate_size == 48 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256;
    const auto digest = hash(md, "a CertificateVerify transcript");
    std::vector<unsigned char> sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
    std::size_t sig_len = 0;
    const std::uint32_t chip_signatures = se.stats().signatures;
    ASSERT_EQ(mbedtls_pk_sign(&key, md, digest.data(), digest.size(), sig.data(), &sig_len, no_rng, nullptr), 0);
    EXPECT_EQ(se.stats().signatures, chip_signatures + 1);
    EXPECT_EQ(mbedtls_util::se_key_signatures(key), 1u);

    // DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }, nothing after it.
    unsigned char* p = sig.data();
    const unsigned char* end = sig.data() + sig_len;
    std::size_t len = 0;
    ASSERT_EQ(mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), 0);
    EXPECT_EQ(p + len, end);
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    EXPECT_EQ(mbedtls_asn1_get_mpi(&p, end, &r), 0);
    EXPECT_EQ(mbedtls_asn1_get_mpi(&p, end, &s), 0);
    EXPECT_EQ(p, end);
    EXPECT_GT(mbedtls_mpi_cmp_int(&r, 0), 0);
    EXPECT_GT(mbedtls_mpi_cmp_int(&s, 0), 0);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);

    // Verified by the SE key's own public point and by an independently parsed public key.
    EXPECT_EQ(mbedtls_pk_verify(&key, md, digest.data(), digest.size(), sig.data(), sig_len), 0);
    PlainPublicKey plain(key);
    EXPECT_EQ(mbedtls_pk_verify(&plain.pk, md, digest.data(), digest.size(), sig.data(), sig_len), 0);
    auto other = hash(md, "another transcript");
    EXPECT_NE(mbedtls_pk_verify(&plain.pk, md, other.data(), other.size(), sig.data(), sig_len), 0);
}

INSTANTIATE_TEST_SUITE_P(AllCurves, SeKeyPerCurve,
                         ::testing::Values(Curve::p256, Curve::p384, Curve::brainpool_p256r1, Curve::brainpool_p384r1),
                         [](const auto& p) { return std::string(curve_info(p.param).short_name); });

TEST_F(SeKey, P256KeyTakesA48ByteSha384Digest) {
    // mosquitto prefers AES256-GCM-SHA384: a P-256 key is handed 48 bytes and ECDSA uses the
    // leftmost 32 (SEC 1 §4.1.3 step 5), which is what the verifier does too.
    ASSERT_TRUE(mbedtls_util::setup_se_key(key, se, kSlotUser, generate(Curve::p256)).ok());
    const auto digest = hash(MBEDTLS_MD_SHA384, "ServerKeyExchange");
    ASSERT_EQ(digest.size(), 48u);
    std::vector<unsigned char> sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
    std::size_t sig_len = 0;
    ASSERT_EQ(
        mbedtls_pk_sign(&key, MBEDTLS_MD_SHA384, digest.data(), digest.size(), sig.data(), &sig_len, no_rng, nullptr),
        0);
    PlainPublicKey plain(key);
    EXPECT_EQ(mbedtls_pk_verify(&plain.pk, MBEDTLS_MD_SHA384, digest.data(), digest.size(), sig.data(), sig_len), 0);
    // The same signature is one over the leftmost 32 bytes.
    EXPECT_EQ(mbedtls_pk_verify(&plain.pk, MBEDTLS_MD_SHA256, digest.data(), 32, sig.data(), sig_len), 0);
}

TEST_F(SeKey, SetupRefusesEmptySlotWrongCurveAndPointsOffTheCurve) {
    // A fresh chip has no key in slot 1.
    PublicKey none;
    none.curve = Curve::p256;
    none.x.resize(32);
    none.y.resize(32);
    EXPECT_EQ(mbedtls_util::setup_se_key(key, se, kSlotUser, none).code(), Errc::does_not_exist);
    EXPECT_EQ(key.pk_info, nullptr);

    const PublicKey pub = generate(Curve::p384);
    PublicKey wrong_curve = pub;
    wrong_curve.curve = Curve::brainpool_p384r1;
    EXPECT_EQ(mbedtls_util::setup_se_key(key, se, kSlotUser, wrong_curve).code(), Errc::invalid_argument);
    PublicKey off_curve = pub;
    off_curve.y[47] ^= 1;
    EXPECT_EQ(mbedtls_util::setup_se_key(key, se, kSlotUser, off_curve).code(), Errc::invalid_argument);
    EXPECT_EQ(key.pk_info, nullptr);  // left empty, reusable
    EXPECT_TRUE(mbedtls_util::setup_se_key(key, se, kSlotUser, pub).ok());
}

TEST_F(SeKey, ChipRefusalBecomesAPkErrorWithTheStatusKept) {
    // A key allowed one signature: the second is refused by the chip (0x0B, §4.15).
    ASSERT_TRUE(mbedtls_util::setup_se_key(key, se, kSlotUser, generate(Curve::p256, 1)).ok());
    const auto digest = hash(MBEDTLS_MD_SHA256, "once");
    std::vector<unsigned char> sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
    std::size_t sig_len = 0;
    ASSERT_EQ(
        mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig.data(), &sig_len, no_rng, nullptr),
        0);
    const int rc = mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig.data(), &sig_len, no_rng,
                                   nullptr);
    EXPECT_EQ(rc, MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE);
    EXPECT_EQ(rc, mbedtls_util::to_mbedtls_error(mbedtls_util::se_key_last_error(key)));
    EXPECT_EQ(mbedtls_util::se_key_last_error(key).code(), Errc::not_permitted);
    EXPECT_EQ(mbedtls_util::se_key_last_error(key).device_status(), 0x0B);
    EXPECT_EQ(mbedtls_util::se_key_signatures(key), 1u);
}

TEST_F(SeKey, DeadBusAndBadDigestBecomePkErrors) {
    ASSERT_TRUE(mbedtls_util::setup_se_key(key, se, kSlotUser, generate(Curve::p256)).ok());
    std::vector<unsigned char> sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
    std::size_t sig_len = 0;
    // An all-zero digest hangs real A110s (§9): refused before the chip, as bad input.
    const std::vector<unsigned char> zeros(32, 0);
    EXPECT_EQ(
        mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, zeros.data(), zeros.size(), sig.data(), &sig_len, no_rng, nullptr),
        MBEDTLS_ERR_PK_BAD_INPUT_DATA);
    // A chip that only NACKs: a hardware failure for mbedTLS, busy for the diagnosis.
    emu::FaultConfig faults;
    faults.nack_burst_rate = 1.0;
    faults.nack_burst_length = 1000;  // the daemon protocol's maximum; longer than the polling budget
    chip->set_faults(faults);
    const auto digest = hash(MBEDTLS_MD_SHA256, "x");
    EXPECT_EQ(
        mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig.data(), &sig_len, no_rng, nullptr),
        MBEDTLS_ERR_PK_HW_ACCEL_FAILED);
    const Errc e = mbedtls_util::se_key_last_error(key).code();
    EXPECT_TRUE(e == Errc::busy || e == Errc::communication_failure || e == Errc::timeout) << to_string(e);
    chip->set_faults({});
}

TEST(SeKeyErrors, EveryFailureIsANegativePkOrEcpCode) {
    EXPECT_EQ(mbedtls_util::to_mbedtls_error(Status::success()), 0);
    for (int e = static_cast<int>(Errc::communication_failure); e <= static_cast<int>(Errc::expired); ++e) {
        const int rc = mbedtls_util::to_mbedtls_error(Status(static_cast<Errc>(e)));
        EXPECT_LT(rc, 0) << e;
        // High-level pk (0x3880..0x3F80) or ECP (0x4880..0x4F80) module codes.
        const bool pk = -rc >= 0x3880 && -rc <= 0x3F80;
        const bool ecp = -rc >= 0x4880 && -rc <= 0x4F80;
        EXPECT_TRUE(pk || ecp) << e << " -> " << rc;
    }
    // Bus and chip failures are "hardware", never "bad input": mbedTLS callers must not retry
    // with different data.
    EXPECT_EQ(mbedtls_util::to_mbedtls_error(Status(Errc::communication_failure)), MBEDTLS_ERR_PK_HW_ACCEL_FAILED);
    EXPECT_EQ(mbedtls_util::to_mbedtls_error(Status(Errc::integrity_failure)), MBEDTLS_ERR_PK_HW_ACCEL_FAILED);
    EXPECT_EQ(mbedtls_util::to_mbedtls_error(Status(Errc::not_permitted, 0x0B)), MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE);
}
