// SPDX-License-Identifier: Apache-2.0
// Host secure channel: every worked vector of protocol doc §7.6.
#include <gtest/gtest.h>

#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/secure_channel.hpp"
#include "test_util.hpp"

#include <stdexcept>
#include <vector>

using namespace sebind;
using namespace sebind::stsafe;
using sebind::test::hex;

namespace {

HostKeys example_keys() {
    HostKeys k;
    const auto km = hex("00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF");
    const auto kc = hex("11 11 22 22 33 33 44 44 55 55 66 66 77 77 88 88");
    std::copy(km.begin(), km.end(), k.mac_key.begin());
    std::copy(kc.begin(), kc.end(), k.cipher_key.begin());
    return k;
}

constexpr std::uint32_t kCounter = 0x13;

}  // namespace

TEST(SecureChannel, SubjectBlockLayout) {
    EXPECT_EQ(to_hex(subject_block(0x13, Subject::c_mac)), "00001300800000000000000000000000");
    EXPECT_EQ(to_hex(subject_block(0x14, Subject::r_mac)), "00001440800000000000000000000000");
    EXPECT_EQ(to_hex(subject_block(0x14, Subject::command_encryption)), "00001480800000000000000000000000");
}

TEST(SecureChannel, ReadCommandCmacAndFrame) {
    const auto keys = example_keys();
    const auto payload = hex("00 01 00 00 00 04");
    auto mac = compute_cmac(keys, kCounter, 0xE5, payload);
    ASSERT_TRUE(mac);
    EXPECT_EQ(to_hex(*mac), "c90d2c67");
    std::uint8_t frame[32];
    auto n = encode_command(0xE5, payload, *mac, frame);
    ASSERT_TRUE(n);
    EXPECT_EQ(to_hex(Bytes(frame, *n)), "e5000100000004c90d2c677986");
}

TEST(SecureChannel, ReadResponseRmacAndFrame) {
    const auto keys = example_keys();
    const auto cmd = hex("00 01 00 00 00 04");
    const auto data = hex("DE AD BE EF");
    auto rmac = compute_rmac(keys, kCounter, 0xE5, cmd, 0x40, data);
    ASSERT_TRUE(rmac);
    EXPECT_EQ(to_hex(*rmac), "9bc3999d");
    auto rmac00 = compute_rmac(keys, kCounter, 0xE5, cmd, 0x00, data);
    EXPECT_EQ(to_hex(*rmac00), "cbafe3f4");
    std::uint8_t frame[32];
    auto n = encode_response(0x40, data, *rmac, frame);
    ASSERT_TRUE(n);
    EXPECT_EQ(to_hex(Bytes(frame, *n)), "40000adeadbeef9bc3999da9f4");
}

TEST(SecureChannel, WrapCommandEncryptionCmacAndFrame) {
    const auto keys = example_keys();
    const auto plain = hex("00 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F");
    std::uint8_t cipher[64];
    auto n = encrypt_payload(keys, kCounter, Direction::command, plain, cipher);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, 32u);
    EXPECT_EQ(to_hex(Bytes(cipher, 32)), "3347811ff8d3b6ff9050bcbc21ffd386dd2c11babe293b357ba8fee89fcf9158");
    auto mac = compute_cmac(keys, kCounter, 0xEE, Bytes(cipher, 32));
    ASSERT_TRUE(mac);
    EXPECT_EQ(to_hex(*mac), "c76fcdf7");
    std::uint8_t frame[64];
    auto f = encode_command(0xEE, Bytes(cipher, 32), *mac, frame);
    ASSERT_TRUE(f);
    EXPECT_EQ(to_hex(Bytes(frame, *f)),
              "ee3347811ff8d3b6ff9050bcbc21ffd386dd2c11babe293b357ba8fee89fcf9158c76fcdf70354");

    std::uint8_t back[64];
    auto m = decrypt_payload(keys, kCounter, Direction::command, Bytes(cipher, 32), back);
    ASSERT_TRUE(m);
    EXPECT_EQ(to_hex(Bytes(back, *m)), to_hex(plain));
}

namespace {

/// Full 16-byte AES-CMAC from mbedTLS, to check the doc's printed MAC inputs independently.
std::vector<std::uint8_t> full_cmac(const HostKeys& keys, Bytes input) {
    std::vector<std::uint8_t> out(16);
    const int rc = mbedtls_cipher_cmac(mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB), keys.mac_key.data(),
                                       128, input.data(), input.size(), out.data());
    if (rc != 0) throw std::runtime_error("mbedtls_cipher_cmac failed");
    return out;
}

/// The CBC IV encrypt_payload used, recovered from its first ciphertext block:
/// IV = AES-decrypt(KC, C1) xor P1 (P1 = the first plaintext block after padding).
std::vector<std::uint8_t> recover_iv(const HostKeys& keys, Bytes c1, Bytes p1) {
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    std::uint8_t d[16];
    mbedtls_aes_setkey_dec(&aes, keys.cipher_key.data(), 128);
    mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT, c1.data(), d);
    mbedtls_aes_free(&aes);
    std::vector<std::uint8_t> iv(16);
    for (int i = 0; i < 16; ++i) iv[i] = static_cast<std::uint8_t>(d[i] ^ p1[i]);
    return iv;
}

}  // namespace

TEST(SecureChannel, DocMacInputsGiveTheDocMacs) {
    const auto keys = example_keys();
    // The C-MAC input and full CMAC printed in §7.6, and the truncation to the leading 4 bytes.
    const auto cmac_input = hex("00 00 13 00 80 00 00 00 00 00 00 00 00 00 00 00 00 E5 00 06 00 01 00 00 00 04");
    EXPECT_EQ(to_hex(full_cmac(keys, cmac_input)), "c90d2c672f607fe356c40d0c19512f4e");
    EXPECT_EQ(to_hex(*compute_cmac(keys, kCounter, 0xE5, hex("00 01 00 00 00 04"))), "c90d2c67");
    // The R-MAC input of §7.6.
    const auto rmac_input = hex(
        "00 00 14 40 80 00 00 00 00 00 00 00 00 00 00 00"
        " 80 E5 00 06 00 01 00 00 00 04 40 00 04 DE AD BE EF");
    EXPECT_EQ(to_hex(full_cmac(keys, rmac_input)).substr(0, 8), "9bc3999d");
}

TEST(SecureChannel, EncryptionIvsMatchDoc) {
    const auto keys = example_keys();
    const auto plain = hex("00 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F");
    std::uint8_t cipher[64];
    ASSERT_TRUE(encrypt_payload(keys, kCounter, Direction::command, plain, cipher));
    EXPECT_EQ(to_hex(recover_iv(keys, Bytes(cipher, 16), Bytes(plain).first(16))), "90d506f89752171e0c6f2f3454f3a44a");
    // Response direction: the doc's response-decryption IV for this exchange.
    ASSERT_TRUE(encrypt_payload(keys, kCounter, Direction::response, plain, cipher));
    EXPECT_EQ(to_hex(recover_iv(keys, Bytes(cipher, 16), Bytes(plain).first(16))), "b37368513d46635eb700f1c6dca9d166");
    // And decryption uses that same IV: a response encrypted "by the chip" decrypts.
    std::uint8_t back[64];
    auto n = decrypt_payload(keys, kCounter, Direction::response, Bytes(cipher, 32), back);
    ASSERT_TRUE(n);
    EXPECT_EQ(to_hex(Bytes(back, *n)), to_hex(plain));
    // Decrypting with the other direction's IV garbles the first block.
    auto wrong = decrypt_payload(keys, kCounter, Direction::command, Bytes(cipher, 32), back);
    EXPECT_TRUE(!wrong || to_hex(Bytes(back, 16)) != to_hex(Bytes(plain).first(16)));
}

TEST(SecureChannel, DocResponseFrameDecodes) {
    const auto frame = hex("40 00 0A DE AD BE EF 9B C3 99 9D A9 F4");  // the views point into it
    auto r = decode_response(frame);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 0x40);
    EXPECT_EQ(to_hex(r->payload), "deadbeef");
    EXPECT_EQ(to_hex(r->rmac), "9bc3999d");
}

TEST(SecureChannel, PaddingRules) {
    const auto keys = example_keys();
    std::uint8_t cipher[64], back[64];
    std::uint8_t block[16] = {};
    // A block-aligned plaintext gets a whole padding block.
    EXPECT_EQ(*encrypt_payload(keys, 1, Direction::command, block, cipher), 32u);
    // Ciphertext not a multiple of 16 is refused; empty too.
    EXPECT_EQ(decrypt_payload(keys, 1, Direction::command, Bytes(cipher, 17), back).status().code(),
              Errc::invalid_argument);
    EXPECT_EQ(decrypt_payload(keys, 1, Direction::command, Bytes(cipher, 0), back).status().code(),
              Errc::invalid_argument);
    // Garbage ciphertext almost never carries valid padding; all-zero plaintext never does.
    std::uint8_t zeros[16] = {};
    std::uint8_t enc_zeros[32];
    // Build a ciphertext whose plaintext is 16 zero bytes (no 0x80 marker): encrypt 16 zeros with
    // padding, then drop the padding block.
    ASSERT_TRUE(encrypt_payload(keys, 1, Direction::command, zeros, enc_zeros));
    EXPECT_EQ(decrypt_payload(keys, 1, Direction::command, Bytes(enc_zeros, 16), back).status().code(),
              Errc::integrity_failure);
}

TEST(SecureChannel, EveryLengthRoundTripsWithMethod2Padding) {
    const auto keys = example_keys();
    for (std::size_t len = 0; len <= 48; ++len) {
        std::vector<std::uint8_t> plain(len);
        for (std::size_t i = 0; i < len; ++i) plain[i] = static_cast<std::uint8_t>(0x80 + i);  // 0x80s and 0x00s inside
        std::uint8_t cipher[80], back[80];
        auto n = encrypt_payload(keys, 7, Direction::response, plain, cipher);
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, (len / 16 + 1) * 16) << len;
        auto m = decrypt_payload(keys, 7, Direction::response, Bytes(cipher, *n), back);
        ASSERT_TRUE(m) << len;
        EXPECT_EQ(std::vector<std::uint8_t>(back, back + *m), plain) << len;
    }
    std::uint8_t small[15];
    EXPECT_EQ(encrypt_payload(keys, 7, Direction::command, std::vector<std::uint8_t>(15), small).status().code(),
              Errc::buffer_too_small);
}

TEST(SecureChannel, LegacyExtraZeroBlockIsAcceptedButNoMore) {
    // The legacy middleware pads a 15-mod-16 plaintext with 0x80 and 16 more zero bytes (§7.5).
    const auto keys = example_keys();
    const auto p15 = hex("01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F");
    std::uint8_t probe[32];
    ASSERT_TRUE(encrypt_payload(keys, 9, Direction::command, p15, probe));
    auto p1 = p15;
    p1.push_back(0x80);
    const auto iv = recover_iv(keys, Bytes(probe, 16), p1);
    auto cbc = [&](std::vector<std::uint8_t> padded) {
        mbedtls_aes_context aes;
        mbedtls_aes_init(&aes);
        mbedtls_aes_setkey_enc(&aes, keys.cipher_key.data(), 128);
        std::uint8_t ivc[16];
        std::copy(iv.begin(), iv.end(), ivc);
        std::vector<std::uint8_t> out(padded.size());
        mbedtls_aes_crypt_cbc(&aes, MBEDTLS_AES_ENCRYPT, padded.size(), ivc, padded.data(), out.data());
        mbedtls_aes_free(&aes);
        return out;
    };
    std::uint8_t back[64];
    auto quirk = p1;
    quirk.insert(quirk.end(), 16, 0x00);  // 32 bytes: 0x80 + 16 zeros of padding
    auto n = decrypt_payload(keys, 9, Direction::command, cbc(quirk), back);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::vector<std::uint8_t>(back, back + *n), p15);
    auto too_much = p1;
    too_much.insert(too_much.end(), 32, 0x00);  // 33 padding bytes: not a padding anyone sends
    EXPECT_EQ(decrypt_payload(keys, 9, Direction::command, cbc(too_much), back).status().code(),
              Errc::integrity_failure);
}

TEST(SecureChannel, CounterLimits) {
    const auto keys = example_keys();
    const std::uint8_t p[] = {1};
    EXPECT_TRUE(compute_cmac(keys, kMaxSequenceCounter, 0xE0, p));
    EXPECT_EQ(compute_cmac(keys, kMaxSequenceCounter + 1, 0xE0, p).status().code(), Errc::out_of_range);
    EXPECT_EQ(compute_rmac(keys, kMaxSequenceCounter, 0xE0, p, 0x40, p).status().code(), Errc::out_of_range);
}
