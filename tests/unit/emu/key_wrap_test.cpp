// SPDX-License-Identifier: Apache-2.0
// The emulator's AES key wrap (local envelopes, §4.11) against every test vector of RFC 3394 §4.
#include <gtest/gtest.h>

#include "crypto.hpp"
#include "emu_test_util.hpp"

using namespace sebind;
using sebind::test::hex;

namespace {

struct Vector {
    const char* section;
    const char* kek;
    const char* key_data;
    const char* wrapped;
};

// RFC 3394 §4.1-§4.6 (KEK 128/192/256 bits, key data 128/192/256 bits).
const Vector kVectors[] = {
    {"4.1", "000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
     "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"},
    {"4.2", "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF",
     "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D"},
    {"4.3", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF",
     "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"},
    {"4.4", "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF0001020304050607",
     "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2"},
    {"4.5", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     "00112233445566778899AABBCCDDEEFF0001020304050607",
     "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1"},
    {"4.6", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
     "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21"},
};

}  // namespace

TEST(KeyWrap, Rfc3394Vectors) {
    for (const Vector& v : kVectors) {
        const auto kek = hex(v.kek), data = hex(v.key_data), wrapped = hex(v.wrapped);
        std::vector<std::uint8_t> out;
        ASSERT_TRUE(emu::aes_key_wrap(kek, data, out).ok()) << v.section;
        EXPECT_EQ(out, wrapped) << "RFC 3394 §" << v.section;
        std::vector<std::uint8_t> back;
        ASSERT_TRUE(emu::aes_key_unwrap(kek, wrapped, back).ok()) << v.section;
        EXPECT_EQ(back, data) << "RFC 3394 §" << v.section;
    }
}

TEST(KeyWrap, EveryDamagedEnvelopeFailsTheIntegrityCheck) {
    const Vector& v = kVectors[5];
    const auto kek = hex(v.kek), wrapped = hex(v.wrapped);
    for (std::size_t bit = 0; bit < wrapped.size() * 8; ++bit) {
        auto bad = wrapped;
        bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        std::vector<std::uint8_t> out = {1};
        EXPECT_EQ(emu::aes_key_unwrap(kek, bad, out).code(), Errc::integrity_failure) << bit;
        EXPECT_TRUE(out.empty());  // nothing of the failed plaintext is handed out
    }
    auto other_kek = kek;
    other_kek[0] ^= 0x80;
    std::vector<std::uint8_t> out;
    EXPECT_EQ(emu::aes_key_unwrap(other_kek, wrapped, out).code(), Errc::integrity_failure);
}

TEST(KeyWrap, SizesOutsideTheAlgorithmAreRefused) {
    const auto kek = hex(kVectors[0].kek);
    std::vector<std::uint8_t> out;
    EXPECT_EQ(emu::aes_key_wrap(kek, std::vector<std::uint8_t>(12), out).code(), Errc::invalid_argument);
    EXPECT_EQ(emu::aes_key_wrap(kek, {}, out).code(), Errc::invalid_argument);
    EXPECT_EQ(emu::aes_key_wrap(std::vector<std::uint8_t>(15), std::vector<std::uint8_t>(16), out).code(),
              Errc::invalid_argument);
    EXPECT_EQ(emu::aes_key_unwrap(kek, std::vector<std::uint8_t>(8), out).code(), Errc::invalid_argument);
    EXPECT_EQ(emu::aes_key_unwrap(kek, std::vector<std::uint8_t>(20), out).code(), Errc::invalid_argument);
    // The chip accepts a single 8-byte block (§4.11: a non-zero multiple of 8) and round-trips it.
    const auto one = hex("0123456789ABCDEF");
    ASSERT_TRUE(emu::aes_key_wrap(kek, one, out).ok());
    ASSERT_EQ(out.size(), 16u);
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(emu::aes_key_unwrap(kek, out, back).ok());
    EXPECT_EQ(back, one);
}
