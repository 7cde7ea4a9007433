// SPDX-License-Identifier: Apache-2.0
// Driver against the emulated chip with the host secure channel: provisioning, C-MAC/R-MAC on
// and off, encryption (Wrap/Unwrap), host-AC zones, counter tracking and resynchronisation.
#include <gtest/gtest.h>

#include <vector>

#include "harness.hpp"

using namespace sebind;
using namespace sebind::stsafe;

namespace {
HostKeys test_keys(std::uint8_t seed) {
    HostKeys k;
    for (std::size_t i = 0; i < 16; ++i) {
        k.mac_key[i] = static_cast<std::uint8_t>(seed + i);
        k.cipher_key[i] = static_cast<std::uint8_t>(seed * 3 + i);
    }
    return k;
}
}  // namespace

class SecureChannel : public ::testing::Test {
protected:
    std::unique_ptr<test::TestChip> chip = test::make_test_chip();
    Device& se = chip->device();
};

TEST_F(SecureChannel, HostKeysAreWriteOnce) {
    ASSERT_TRUE(se.put_host_keys(test_keys(1)).ok());
    auto slot = se.query_host_key_slot();
    ASSERT_TRUE(slot);
    EXPECT_TRUE(slot->present);
    EXPECT_EQ(slot->counter, 0u);
    Status again = se.put_host_keys(test_keys(2));
    EXPECT_EQ(again.code(), Errc::already_exists);
    EXPECT_EQ(again.device_status(), 0x11);
}

TEST_F(SecureChannel, MacOnEveryCommandMovesTheCounter) {
    ASSERT_TRUE(se.put_host_keys(test_keys(1)).ok());
    se.set_mac_policy(MacPolicy::always);
    std::uint8_t out[8];
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(se.echo(std::array<std::uint8_t, 8>{1, 2, 3, 4, 5, 6, 7, static_cast<std::uint8_t>(i)}, out));
    std::uint8_t rnd[16];
    ASSERT_TRUE(se.generate_random(rnd).ok());
    std::uint8_t buf[32];
    ASSERT_TRUE(se.read(1, 0, buf).ok());
    auto slot = se.query_host_key_slot();
    ASSERT_TRUE(slot);
    // 5 echoes + random + read, each with an accepted C-MAC, plus the command-AC table query,
    // which MacPolicy::always protects too (only Query 0x17, the counter sync, stays plain).
    EXPECT_EQ(slot->counter, 8u);
}

TEST_F(SecureChannel, MacOffWhenNotRequired) {
    ASSERT_TRUE(se.put_host_keys(test_keys(1)).ok());
    std::uint8_t out[4];
    ASSERT_TRUE(se.echo(std::array<std::uint8_t, 4>{9, 9, 9, 9}, out));
    EXPECT_EQ(se.query_host_key_slot()->counter, 0u);
}

TEST_F(SecureChannel, WrapAndUnwrapNeedTheChannelAndRoundTrip) {
    ASSERT_TRUE(se.generate_local_envelope_key(0, EnvelopeKeyType::aes128).ok());
    EXPECT_EQ(se.generate_local_envelope_key(0, EnvelopeKeyType::aes128).device_status(), 0x11);
    std::vector<std::uint8_t> secret(32);
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(0xA0 + i);
    std::vector<std::uint8_t> env(40), back(32);
    // The real A110 table demands a host C-MAC for Wrap (§4.14).
    EXPECT_EQ(se.wrap(0, secret, env).status().device_status(), 0x11);
    ASSERT_TRUE(se.put_host_keys(test_keys(3)).ok());
    auto n = se.wrap(0, secret, env);
    ASSERT_TRUE(n) << to_string(n.status().code());
    EXPECT_EQ(*n, 40u);
    EXPECT_NE(std::vector<std::uint8_t>(env.begin() + 8, env.end()), secret);
    auto m = se.unwrap(0, env, back);
    ASSERT_TRUE(m);
    EXPECT_EQ(back, secret);
    env[5] ^= 0x01;
    EXPECT_EQ(se.unwrap(0, env, back).status().device_status(), 0x02);
    EXPECT_EQ(se.wrap(1, secret, env).status().device_status(), 0x0A);  // slot 1 has no key
}

TEST_F(SecureChannel, HostAccessZoneNeedsTheMac) {
    ASSERT_TRUE(se.update(7, 0, std::array<std::uint8_t, 1>{1}, false, AcChange{1, false}).ok());
    EXPECT_EQ(se.update(7, 0, std::array<std::uint8_t, 2>{5, 6}).device_status(), 0x11);
    ASSERT_TRUE(se.put_host_keys(test_keys(4)).ok());
    ASSERT_TRUE(se.update(7, 0, std::array<std::uint8_t, 2>{5, 6}).ok());  // as_required: MAC'd
    std::uint8_t back[2];
    ASSERT_TRUE(se.read(7, 0, back).ok());
    EXPECT_EQ(back[0], 5);
    EXPECT_EQ(back[1], 6);
}

TEST_F(SecureChannel, WrongKeysGiveInvalidCmac) {
    ASSERT_TRUE(se.put_host_keys(test_keys(5)).ok());
    se.set_host_keys(test_keys(6));
    se.set_mac_policy(MacPolicy::always);
    std::uint8_t out[1];
    auto r = se.echo(std::array<std::uint8_t, 1>{1}, out);
    EXPECT_EQ(r.status().code(), Errc::integrity_failure);
    EXPECT_EQ(r.status().device_status(), 0x16);
    // The chip did not move its counter for a rejected C-MAC.
    EXPECT_EQ(se.query_host_key_slot()->counter, 0u);
}

TEST_F(SecureChannel, StaleCounterIsResynchronised) {
    if (!chip->chip()) GTEST_SKIP() << "needs a second driver on the same chip (in-process only)";
    ASSERT_TRUE(se.put_host_keys(test_keys(7)).ok());
    se.set_mac_policy(MacPolicy::always);
    std::uint8_t out[1];
    ASSERT_TRUE(se.echo(std::array<std::uint8_t, 1>{1}, out));
    // A second host driver moves the chip's counter behind the first one's back.
    emu::EmulatedBus bus2(*chip->chip(), chip->clock());
    Device other(bus2, chip->clock(), emu::kDriverConfig);
    other.set_host_keys(test_keys(7));
    other.set_mac_policy(MacPolicy::always);
    ASSERT_TRUE(other.echo(std::array<std::uint8_t, 1>{2}, out));
    auto stale = se.echo(std::array<std::uint8_t, 1>{3}, out);
    EXPECT_EQ(stale.status().device_status(), 0x16);
    EXPECT_TRUE(se.echo(std::array<std::uint8_t, 1>{4}, out));  // re-synced from Query 0x17
}
