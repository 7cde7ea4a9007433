// SPDX-License-Identifier: Apache-2.0
// Driver against the emulated chip: key generation, signatures, verification, ECDH, limits.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "harness.hpp"
#include "host_crypto.hpp"

using namespace sebind;
using namespace sebind::stsafe;

class Keys : public ::testing::Test {
protected:
    std::unique_ptr<test::TestChip> chip = test::make_test_chip();
    Device& se = chip->device();

    static std::vector<std::uint8_t> digest(std::size_t n, std::uint8_t seed) {
        std::vector<std::uint8_t> d(n);
        for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<std::uint8_t>(seed ^ (i * 31 + 1));
        return d;
    }
};

class KeysPerCurve : public Keys, public ::testing::WithParamInterface<Curve> {};

TEST_P(KeysPerCurve, GenerateSignVerifyOnHostAndChip) {
    const Curve curve = GetParam();
    auto pub = se.generate_key_pair(kSlotUser, curve);
    ASSERT_TRUE(pub) << to_string(pub.status().code());
    EXPECT_EQ(*se.slot_curve(kSlotUser), curve);  // read back from the chip
    const std::size_t n = curve_info(curve).coordinate_size;
    const auto d = digest(n, 5);
    auto sig = se.generate_signature(kSlotUser, d);
    ASSERT_TRUE(sig);
    EXPECT_EQ(sig->r.size(), n);
    EXPECT_TRUE(test::host_verify(*pub, *sig, d));
    EXPECT_TRUE(*se.verify_signature(*pub, *sig, d));
    auto other = digest(n, 6);
    EXPECT_FALSE(test::host_verify(*pub, *sig, other));
    EXPECT_FALSE(*se.verify_signature(*pub, *sig, other));
}

TEST_P(KeysPerCurve, EcdhOnSlot1MatchesTheHost) {
    const Curve curve = GetParam();
    auto pub = se.generate_key_pair(kSlotUser, curve, 0xFFFF, mode::kKeyEstablishment);
    ASSERT_TRUE(pub);
    // The chip's d1·Q2 and the host's d2·Q1 must be the same point.
    const auto host = test::host_keypair(curve, 99);
    auto secret = se.establish_key(kSlotUser, host.pub);
    ASSERT_TRUE(secret);
    EXPECT_EQ(secret->value.size(), curve_info(curve).coordinate_size);
    EXPECT_EQ(std::vector<std::uint8_t>(secret->value.begin(), secret->value.end()), test::host_ecdh(host, *pub));
    // The key is persistent: a second establishment with another peer works too.
    const auto host2 = test::host_keypair(curve, 100);
    auto secret2 = se.establish_key(kSlotUser, host2.pub);
    ASSERT_TRUE(secret2);
    EXPECT_EQ(std::vector<std::uint8_t>(secret2->value.begin(), secret2->value.end()), test::host_ecdh(host2, *pub));
}

INSTANTIATE_TEST_SUITE_P(AllA110Curves, KeysPerCurve,
                         ::testing::Values(Curve::p256, Curve::p384, Curve::brainpool_p256r1, Curve::brainpool_p384r1),
                         [](const auto& p) { return std::string(curve_info(p.param).short_name); });

TEST_F(Keys, LongerDigestIsTruncatedForTheCurve) {
    auto pub = se.generate_key_pair(kSlotUser, Curve::p256);
    ASSERT_TRUE(pub);
    const auto sha384 = digest(48, 9);  // what a SHA-384 ciphersuite hands a P-256 key
    auto sig = se.generate_signature(kSlotUser, sha384);
    ASSERT_TRUE(sig);
    EXPECT_TRUE(test::host_verify(*pub, *sig, Bytes(sha384).first(32)));
}

TEST_F(Keys, FactorySlotCannotBeRegenerated) {
    auto r = se.generate_key_pair(kSlotFactory, Curve::p256);
    EXPECT_EQ(r.status().device_status(), 0x11);
}

TEST_F(Keys, EcdhWithSlot0MatchesTheHost) {
    const auto der = test::read_zone_certificate(se, 0);
    const PublicKey slot0 = test::certificate_public_key(der);
    const auto host = test::host_keypair(Curve::p256, 1234);
    auto secret = se.establish_key(kSlotFactory, host.pub);
    ASSERT_TRUE(secret);
    EXPECT_EQ(std::vector<std::uint8_t>(secret->value.begin(), secret->value.end()), test::host_ecdh(host, slot0));
}

TEST_F(Keys, EphemeralSlotIsSingleUseAndCannotSign) {
    auto eph = se.generate_key_pair(kSlotEphemeral, Curve::p384);
    ASSERT_TRUE(eph);
    const auto host = test::host_keypair(Curve::p384, 77);
    auto secret = se.establish_key(kSlotEphemeral, host.pub);
    ASSERT_TRUE(secret);
    EXPECT_EQ(std::vector<std::uint8_t>(secret->value.begin(), secret->value.end()), test::host_ecdh(host, *eph));
    EXPECT_EQ(se.establish_key(kSlotEphemeral, host.pub).status().code(), Errc::does_not_exist);
    ASSERT_TRUE(se.generate_key_pair(kSlotEphemeral, Curve::p256));
    EXPECT_EQ(se.generate_signature(kSlotEphemeral, digest(32, 1)).status().device_status(), 0x1B);
    // Usage limit other than 1 for the ephemeral slot is refused by the chip itself.
    const std::uint8_t raw[] = {0x13, 0xFF, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};
    EXPECT_EQ(se.transceive(Command::generate_key, raw).status().device_status(), 0x03);
}

TEST_F(Keys, InvalidPeerPointIsRejected) {
    PublicKey bogus;
    bogus.curve = Curve::p256;
    bogus.x.resize(32);
    bogus.y.resize(32);
    std::memset(bogus.x.data(), 0x01, 32);
    std::memset(bogus.y.data(), 0x02, 32);
    EXPECT_EQ(se.establish_key(kSlotFactory, bogus).status().device_status(), 0x19);
    Signature sig;
    sig.curve = Curve::p256;
    sig.r.resize(32);
    sig.s.resize(32);
    sig.r[31] = 1;
    sig.s[31] = 1;
    EXPECT_EQ(se.verify_signature(bogus, sig, digest(32, 1)).status().device_status(), 0x19);
}

TEST_F(Keys, UsageLimitBlocksTheKey) {
    auto pub = se.generate_key_pair(kSlotUser, Curve::p256, 3);
    ASSERT_TRUE(pub);
    const auto before = chip->stats().nvm_writes;
    EXPECT_TRUE(se.generate_signature(kSlotUser, digest(32, 1)));
    EXPECT_TRUE(se.generate_signature(kSlotUser, digest(32, 2)));
    // Every use of a limited key counts, whatever the command.
    EXPECT_TRUE(se.establish_key(kSlotUser, test::host_keypair(Curve::p256, 3).pub));
    EXPECT_EQ(chip->stats().nvm_writes - before, 3u);  // the usage count lives in NVM
    auto fourth = se.generate_signature(kSlotUser, digest(32, 3));
    EXPECT_EQ(fourth.status().device_status(), 0x0B);
    EXPECT_EQ(fourth.status().code(), Errc::not_permitted);
    EXPECT_EQ(se.establish_key(kSlotUser, test::host_keypair(Curve::p256, 4).pub).status().device_status(), 0x0B);
    // A refused use changes nothing; regenerating the slot starts a fresh count.
    EXPECT_EQ(chip->stats().nvm_writes - before, 3u);
    ASSERT_TRUE(se.generate_key_pair(kSlotUser, Curve::p256, 1));
    EXPECT_TRUE(se.generate_signature(kSlotUser, digest(32, 4)));
    EXPECT_EQ(se.generate_signature(kSlotUser, digest(32, 5)).status().device_status(), 0x0B);
}

TEST_F(Keys, UnlimitedKeysCostNoNvmWrite) {
    // Usage limit 0xFFFF = unlimited [I]; slot 0 is unlimited too.
    const auto before = chip->stats().nvm_writes;
    for (std::uint8_t i = 1; i <= 5; ++i) EXPECT_TRUE(se.generate_signature(kSlotFactory, digest(32, i)));
    EXPECT_EQ(chip->stats().nvm_writes, before);
    EXPECT_EQ(chip->stats().signatures, 5u);
}

TEST_F(Keys, ModeFlagsRestrictUsage) {
    ASSERT_TRUE(se.generate_key_pair(kSlotUser, Curve::p256, 0xFFFF, mode::kKeyEstablishment));
    EXPECT_EQ(se.generate_signature(kSlotUser, digest(32, 1)).status().device_status(), 0x1B);
    auto pub = se.generate_key_pair(kSlotUser, Curve::p256, 0xFFFF, mode::kSignDigests);
    ASSERT_TRUE(pub);
    EXPECT_EQ(se.establish_key(kSlotUser, test::host_keypair(Curve::p256, 5).pub).status().device_status(), 0x1B);
    // Mode 0x0000 (STSELib's default) is unrestricted [I].
    ASSERT_TRUE(se.generate_key_pair(kSlotUser, Curve::p256, 0xFFFF, 0x0000));
    EXPECT_TRUE(se.generate_signature(kSlotUser, digest(32, 1)));
}

TEST_F(Keys, EmptySlotAndWrongCurvePeer) {
    EXPECT_EQ(se.generate_signature(kSlotUser, digest(32, 1)).status().code(), Errc::does_not_exist);
    const std::uint8_t raw[] = {0x01, 0x00, 0x20, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                16,   17,   18,   19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    EXPECT_EQ(se.transceive(Command::generate_signature, raw).status().device_status(), 0x0A);
    EXPECT_EQ(se.establish_key(kSlotFactory, test::host_keypair(Curve::p384, 1).pub).status().code(),
              Errc::invalid_argument);
}

TEST_F(Keys, AllZeroDigestNeverReachesTheChip) {
    std::uint8_t zero[32] = {};
    EXPECT_EQ(se.generate_signature(kSlotFactory, zero).status().code(), Errc::invalid_argument);
    EXPECT_TRUE(se.generate_signature(kSlotFactory, digest(32, 1)));  // chip still alive
}
