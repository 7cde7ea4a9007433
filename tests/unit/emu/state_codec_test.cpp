// SPDX-License-Identifier: Apache-2.0
// The emulator's state file codec: round trip, and every damaged or inconsistent file refused
// with corrupted_data (docs/emulator.md, "State file").
#include <gtest/gtest.h>

#include <mbedtls/sha256.h>

#include "emu_test_util.hpp"

using namespace sebind;

namespace {

/// `encoded` with its trailing SHA-256 recomputed, so only the structure checks can refuse it.
std::vector<std::uint8_t> redigest(std::vector<std::uint8_t> encoded) {
    std::uint8_t digest[32];
    mbedtls_sha256_ret(encoded.data(), encoded.size() - 32, digest, 0);
    std::copy(std::begin(digest), std::end(digest), encoded.end() - 32);
    return encoded;
}

class StateCodec : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_state = new emu::ChipState(test::factory_state()); }
    static void TearDownTestSuite() {
        delete s_state;
        s_state = nullptr;
    }
    static emu::ChipState* s_state;
};
emu::ChipState* StateCodec::s_state = nullptr;

}  // namespace

TEST_F(StateCodec, RoundTripIsExact) {
    const auto encoded = emu::encode_state(*s_state);
    auto decoded = emu::decode_state(encoded);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(emu::encode_state(*decoded), encoded);
    EXPECT_EQ(decoded->zones.size(), 8u);
    EXPECT_TRUE(decoded->slots[0].present);
    EXPECT_EQ(decoded->slots[0].private_scalar, s_state->slots[0].private_scalar);
    // Magic and version lead the file (docs/emulator.md).
    EXPECT_EQ(test::hex_of({encoded.begin(), encoded.begin() + 8}), "53 45 42 45 4d 55 00 01");
}

TEST_F(StateCodec, EveryTruncationIsRefused) {
    const auto encoded = emu::encode_state(*s_state);
    for (std::size_t n = 0; n < encoded.size(); ++n) {
        auto r = emu::decode_state(Bytes(encoded.data(), n));
        ASSERT_FALSE(r) << n;
        EXPECT_EQ(r.status().code(), Errc::corrupted_data) << n;
    }
}

TEST_F(StateCodec, EveryFlippedByteIsRefused) {
    const auto encoded = emu::encode_state(*s_state);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        auto bad = encoded;
        bad[i] ^= 0x20;
        EXPECT_EQ(emu::decode_state(bad).status().code(), Errc::corrupted_data) << i;
    }
}

TEST_F(StateCodec, InconsistentContentIsRefusedEvenWithAValidDigest) {
    auto refused = [](const emu::ChipState& s) { return emu::decode_state(emu::encode_state(s)).status().code(); };
    {
        auto s = *s_state;
        s.sequence_counter = 0x1000000;  // beyond the 24-bit counter
        EXPECT_EQ(refused(s), Errc::corrupted_data);
    }
    {
        auto s = *s_state;
        s.slots[1].present = true;  // a key without its scalar and point
        EXPECT_EQ(refused(s), Errc::corrupted_data);
    }
    {
        auto s = *s_state;
        s.zones.push_back(s.zones[3]);  // two zones with index 3
        EXPECT_EQ(refused(s), Errc::corrupted_data);
    }
    {
        auto s = *s_state;
        s.command_table.push_back(s.command_table[0]);  // the same command twice
        EXPECT_EQ(refused(s), Errc::corrupted_data);
    }
    {
        auto s = *s_state;
        s.command_table.clear();
        for (std::uint8_t c = 0; c <= emu::kMaxCommandRecords; ++c) s.command_table.push_back({c, 1, 0});
        EXPECT_EQ(refused(s), Errc::corrupted_data);  // Query 0x24 would not fit the I/O buffer
    }
    {
        auto s = *s_state;
        s.password_tries = emu::kPasswordTries + 1;
        EXPECT_EQ(refused(s), Errc::corrupted_data);
    }
    const auto encoded = emu::encode_state(*s_state);
    {
        auto bad = encoded;
        bad[7] = 0x02;  // a future version
        EXPECT_EQ(emu::decode_state(redigest(bad)).status().code(), Errc::corrupted_data);
    }
    {
        auto bad = encoded;
        bad.insert(bad.end() - 32, 0x00);  // a trailing byte before the digest
        EXPECT_EQ(emu::decode_state(redigest(bad)).status().code(), Errc::corrupted_data);
    }
    EXPECT_TRUE(emu::decode_state(redigest(encoded)));  // the helper itself keeps good files good
}
