// SPDX-License-Identifier: Apache-2.0
// The chip key's pk binding (include/sebind/mbedtls_util/se_key.hpp) on Mbed TLS 3.6: the same
// calls as on 2.28, an opaque PSA key underneath. mbedtls_pk_sign goes to the chip; the count, the
// chip's last failure and the public key come back through the same functions.
#include <gtest/gtest.h>

#include <vector>

#include <mbedtls/pk.h>

#include "emulated_chip.hpp"
#include "pem.hpp"
#include "process.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/psa_stsafe/driver.hpp"

namespace sebind {
namespace {

using stsafe::Curve;
using stsafe::kSlotUser;

struct SeKeyPsa : ::testing::TestWithParam<Curve> {
    void SetUp() override { mbedtls_pk_init(&pk); }
    void TearDown() override {
        mbedtls_pk_free(&pk);
        psa_stsafe::detach(kSlotUser);
    }
    test::TempDir dir;
    test::EmulatedChip rig{dir.file("se")};
    mbedtls_pk_context pk;
};

TEST_P(SeKeyPsa, PkSignGoesToTheChipAndTheBindingReportsIt) {
    auto pub = rig.device->generate_key_pair(kSlotUser, GetParam(), 2);  // two signatures allowed
    ASSERT_TRUE(pub);
    ASSERT_TRUE(mbedtls_util::setup_se_key(pk, *rig.device, kSlotUser, *pub).ok());
    EXPECT_TRUE(mbedtls_util::is_se_key(pk));
    EXPECT_EQ(mbedtls_pk_get_type(&pk), MBEDTLS_PK_OPAQUE);
    EXPECT_EQ(mbedtls_util::se_key_device(pk), rig.device.get());
    auto back = mbedtls_util::public_key_of(pk);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->curve, GetParam());
    EXPECT_TRUE(std::equal(back->x.begin(), back->x.end(), pub->x.begin(), pub->x.end()));
    EXPECT_TRUE(std::equal(back->y.begin(), back->y.end(), pub->y.begin(), pub->y.end()));

    const bool p384 = GetParam() == Curve::p384;
    const auto digest = test::hash(p384 ? "SHA384" : "SHA256", "se_key on 3.6");
    const mbedtls_md_type_t md = p384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256;
    std::vector<unsigned char> sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
    std::size_t len = 0;
    const auto before = rig.chip->stats().signatures;
    ASSERT_EQ(mbedtls_pk_sign(&pk, md, digest.data(), digest.size(), sig.data(), sig.size(), &len, nullptr, nullptr),
              0);
    EXPECT_EQ(rig.chip->stats().signatures - before, 1u);
    EXPECT_EQ(mbedtls_util::se_key_signatures(pk), 1u);
    EXPECT_TRUE(mbedtls_util::se_key_last_error(pk).ok());
    // The DER signature verifies with the public key, checked by openssl.
    test::write_file(dir.file("pub.pem"), test::public_key_pem(*pub));
    test::write_file(dir.file("sig.der"),
                     std::vector<unsigned char>(sig.begin(), sig.begin() + static_cast<long>(len)));
    test::write_file(dir.file("digest.bin"), digest);
    auto r = test::run({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", dir.file("pub.pem"), "-in",
                        dir.file("digest.bin"), "-sigfile", dir.file("sig.der")});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Signature Verified Successfully"), std::string::npos) << r.output;

    // The second signature uses the limit up; the third is the chip's refusal, kept as the key's error.
    ASSERT_EQ(mbedtls_pk_sign(&pk, md, digest.data(), digest.size(), sig.data(), sig.size(), &len, nullptr, nullptr),
              0);
    EXPECT_NE(mbedtls_pk_sign(&pk, md, digest.data(), digest.size(), sig.data(), sig.size(), &len, nullptr, nullptr),
              0);
    EXPECT_EQ(mbedtls_util::se_key_last_error(pk).code(), Errc::not_permitted);
    EXPECT_EQ(mbedtls_util::se_key_signatures(pk), 2u);
}

TEST_P(SeKeyPsa, TwoContextsOnOneSlotCountTheirOwnSignatures) {
    auto pub = rig.device->generate_key_pair(kSlotUser, GetParam());
    ASSERT_TRUE(pub);
    mbedtls_pk_context second;
    mbedtls_pk_init(&second);
    ASSERT_TRUE(mbedtls_util::setup_se_key(pk, *rig.device, kSlotUser, *pub).ok());
    ASSERT_TRUE(mbedtls_util::setup_se_key(second, *rig.device, kSlotUser, *pub).ok());
    const auto digest = test::hash("SHA256", "two users");
    std::vector<unsigned char> sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
    std::size_t len = 0;
    for (int i = 0; i < 2; ++i)
        ASSERT_EQ(mbedtls_pk_sign(&second, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig.data(), sig.size(),
                                  &len, nullptr, nullptr),
                  0);
    ASSERT_EQ(mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig.data(), sig.size(), &len,
                              nullptr, nullptr),
              0);
    EXPECT_EQ(mbedtls_util::se_key_signatures(second), 2u);
    EXPECT_EQ(mbedtls_util::se_key_signatures(pk), 1u);
    EXPECT_EQ(psa_stsafe::signatures(kSlotUser), 3u);
    mbedtls_pk_free(&second);
}

TEST_P(SeKeyPsa, RefusesAnEmptySlotAKeyOfAnotherCurveAndIsNotAnotherKey) {
    auto pub = rig.device->generate_key_pair(kSlotUser, GetParam());
    ASSERT_TRUE(pub);
    auto other = *pub;
    other.curve = GetParam() == Curve::p384 ? Curve::p256 : Curve::p384;
    EXPECT_EQ(mbedtls_util::setup_se_key(pk, *rig.device, kSlotUser, other).code(), Errc::invalid_argument);
    EXPECT_EQ(mbedtls_pk_get_type(&pk), MBEDTLS_PK_NONE);
    EXPECT_EQ(mbedtls_util::setup_se_key(pk, *rig.device, stsafe::kSlotEphemeral, *pub).code(), Errc::does_not_exist);
    EXPECT_FALSE(mbedtls_util::is_se_key(pk));
    EXPECT_EQ(mbedtls_util::se_key_signatures(pk), 0u);
    EXPECT_EQ(mbedtls_util::se_key_device(pk), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Curves, SeKeyPsa, ::testing::Values(Curve::p256, Curve::p384),
                         [](const auto& p) { return p.param == Curve::p384 ? "P384" : "P256"; });

}  // namespace
}  // namespace sebind
