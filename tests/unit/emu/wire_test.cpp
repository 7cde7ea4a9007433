// SPDX-License-Identifier: Apache-2.0
// The emulator byte for byte against the frames printed in the protocol reference: real
// captures (§1.4, §2.3), the A110 tables (§4.14, §6.2), the secure-channel example (§7.6), and
// the pipeline rules of §11 (counter movement, status precedence, buffer limits).
#include <gtest/gtest.h>

#include <cstring>

#include "emu_test_util.hpp"
#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/secure_channel.hpp"

using namespace sebind;
using sebind::test::hex;
using sebind::test::hex_of;
using sebind::test::transact;
using sebind::test::with_crc;

namespace {

std::unique_ptr<emu::Chip> fresh_chip() {
    emu::InitOptions init;
    init.seed = 5;
    auto chip = emu::Chip::create_in_memory(init, {});
    if (!chip) throw std::runtime_error("create_in_memory failed");
    return std::move(*chip);
}

/// A response frame checked by the codec, its parts copied out.
struct Response {
    std::uint8_t status = 0;
    std::vector<std::uint8_t> payload, rmac;
};

Response parse(const std::vector<std::uint8_t>& rsp) {
    auto r = stsafe::decode_response(rsp);
    if (!r) throw std::runtime_error("malformed response: " + hex_of(rsp));
    if (r->frame_size != rsp.size()) throw std::runtime_error("trailing bytes: " + hex_of(rsp));
    return {r->status, {r->payload.begin(), r->payload.end()}, {r->rmac.begin(), r->rmac.end()}};
}

// §7.6: ST's published example host keys, counter 0x13.
const char* kKm = "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF";
const char* kKc = "11 11 22 22 33 33 44 44 55 55 66 66 77 77 88 88";
// RFC 3394 §4.1 key-encryption key, used as local-envelope key 0.
const char* kEnvelopeKey = "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F";

stsafe::HostKeys example_keys() {
    stsafe::HostKeys k;
    const auto km = hex(kKm), kc = hex(kKc);
    std::memcpy(k.mac_key.data(), km.data(), 16);
    std::memcpy(k.cipher_key.data(), kc.data(), 16);
    return k;
}

/// A chip in the situation of the §7.6 example: host keys provisioned, counter 0x13, zone 1
/// starting DE AD BE EF, envelope key 0 known.
std::unique_ptr<emu::Chip> example_chip() {
    emu::ChipState s = test::factory_state();
    const auto keys = example_keys();
    s.host_keys_present = true;
    s.host_mac_key = keys.mac_key;
    s.host_cipher_key = keys.cipher_key;
    s.sequence_counter = 0x13;
    const auto data = hex("DE AD BE EF");
    std::copy(data.begin(), data.end(), s.zone(1)->data.begin());
    const auto kek = hex(kEnvelopeKey);
    s.envelope_keys[0].present = true;
    s.envelope_keys[0].type = 0;
    std::copy(kek.begin(), kek.end(), s.envelope_keys[0].key.begin());
    return test::chip_from_state(s);
}

std::uint32_t counter_of(emu::Chip& chip) {
    const auto rsp = parse(transact(chip, hex("14 17 99 88")));
    return load_be24(rsp.payload.data() + 1);
}

}  // namespace

TEST(Wire, CapturedAndComputedFramesOfTheReference) {
    auto chip = fresh_chip();
    // §4.2 / §2.3: Echo.
    EXPECT_EQ(hex_of(transact(*chip, hex("00 01 02 03 A7 29"))), "00 00 05 01 02 03 a7 29");
    // §2.3: the forum user's Echo with a wrong CRC, answered with the captured 0x01 frame.
    EXPECT_EQ(hex_of(transact(*chip, hex("00 5A 33 1C 48"))), "01 00 02 e1 f1");
    // Real capture: two local-envelope keys, then the key table query and its exact answer.
    EXPECT_EQ(parse(transact(*chip, hex("11 07 00 00 AF C1"))).status, 0x00);
    EXPECT_EQ(parse(transact(*chip, hex("11 07 01 00 B6 19"))).status, 0x00);
    EXPECT_EQ(hex_of(transact(*chip, hex("14 07 89 09"))), "00 00 09 02 00 01 00 01 01 00 fc 88");
    // Generating again into a populated slot returned 0x11 (§4.13); its frame per §2.3.
    EXPECT_EQ(hex_of(transact(*chip, hex("11 07 00 00 AF C1"))), "11 00 02 f1 70");
    // Queries with the CRCs of §2.3.
    EXPECT_EQ(hex_of(transact(*chip, hex("14 08 71 FE"))).substr(0, 11), "00 00 03 03");
    EXPECT_EQ(hex_of(transact(*chip, hex("14 0A 52 EC"))).substr(0, 14), "00 00 04 40 00");
    EXPECT_EQ(hex_of(transact(*chip, hex("14 17 99 88"))).substr(0, 20), "00 00 06 00 00 00 00");
    EXPECT_EQ(parse(transact(*chip, hex("01 E1 F1"))).status, 0x00);                     // Reset
    EXPECT_EQ(hex_of(transact(*chip, hex("02 00 20 52 76"))).substr(0, 8), "00 00 22");  // 32 random
    EXPECT_EQ(parse(transact(*chip, hex("0C 09 3B 26"))).status, 0x00);                  // Delete password
    // Read zone 0 (STSELib PR #44 capture): 255 bytes of the DER certificate.
    auto cert = parse(transact(*chip, hex("05 00 00 00 00 00 FF 73 AB")));
    ASSERT_EQ(cert.payload.size(), 255u);
    EXPECT_EQ(cert.payload[0], 0x30);
    EXPECT_EQ(cert.payload[1], 0x82);
    auto head = parse(transact(*chip, hex("05 00 00 00 00 00 04 3A F7")));
    EXPECT_TRUE(std::equal(head.payload.begin(), head.payload.end(), cert.payload.begin()));
    // Hibernate last: the chip then sleeps.
    EXPECT_EQ(parse(transact(*chip, hex("0D 01 AE B6"))).status, 0x00);
}

TEST(Wire, QueryAnswersAreTheA110Tables) {
    auto chip = fresh_chip();
    // §4.14 tag 0x11: 64 bytes of TLVs, length field 0x0042, Perso ID "EMU" (docs/emulator.md).
    const auto pd = transact(*chip, hex("14 11 FC BE"));
    ASSERT_EQ(pd.size(), 3u + 64 + 2);
    const std::string text = hex_of(pd);
    EXPECT_EQ(text.substr(0, 3 * 10 - 1), "00 00 42 01 03 aa 46 02 02 09");
    EXPECT_EQ(hex_of({pd.begin() + 19, pd.end() - 2}),
              "03 02 01 fb 04 02 00 40 05 02 18 e8 06 02 93 11 07 01 45 08 02 93 51 09 03 00 00 00 "
              "0a 03 00 00 00 0b 03 45 4d 55 0c 03 00 00 00 0d 03 00 00 00");
    // §6.2 reconstructed encoding, counters at 0x00FFFFFF (docs/emulator.md).
    EXPECT_EQ(hex_of(parse(transact(*chip, hex("14 12 CE 25"))).payload),
              "08 00 00 07 03 e8 01 00 08 02 bc 02 00 08 02 58 03 00 08 02 58 04 00 08 06 a0 "
              "05 01 08 00 40 00 ff ff ff 06 01 08 00 40 00 ff ff ff 07 00 08 06 2a");
    // §4.14 tag 0x24, the real A110 table with change rights 0.
    EXPECT_EQ(hex_of(parse(transact(*chip, hex("14 24 9A 90"))).payload),
              "00 09 08 00 00 09 00 00 0a 00 00 0e 03 02 0f 03 01 16 01 00 18 01 00 1b 00 00 1c 00 00");
    // §4.14 tag 0x14: three slots; slot 0 P-256 with mode 0x0005 (docs/emulator.md).
    EXPECT_EQ(hex_of(parse(transact(*chip, hex("14 14 AB 13"))).payload),
              "03 00 ff ff 00 01 00 05 00 08 2a 86 48 ce 3d 03 01 07 01 00 00 00 ff 00 00 00");
}

TEST(Wire, KeyFramesHaveTheReferenceSizes) {
    auto chip = fresh_chip();
    // Real logged payload: slot 1, P-384, limit 0xFFFF, mode 0x800D -> length field 0x0067.
    const auto p384 = transact(*chip, hex("11 13 01 FF FF 80 0D 00 05 2B 81 04 00 22 3D 5A"));
    ASSERT_EQ(hex_of(p384).substr(0, 17), "00 00 67 04 00 30");
    EXPECT_EQ(hex_of({p384.begin() + 54, p384.begin() + 56}), "00 30");
    // STSELib's ephemeral request: 69 payload bytes for a 256-bit curve.
    EXPECT_EQ(hex_of(transact(*chip, hex("11 13 FF 00 01 00 00 00 08 2A 86 48 CE 3D 03 01 07 79 B8"))).substr(0, 8),
              "00 00 47");
    // §4.15: slot 0 signature over a 32-byte digest, length field 0x0046, R and S 32 bytes each.
    const auto sig = transact(*chip, with_crc("16 00 00 20" + std::string(64, '5')));
    ASSERT_EQ(sig.size(), 73u);
    EXPECT_EQ(hex_of({sig.begin(), sig.begin() + 5}), "00 00 46 00 20");
    EXPECT_EQ(hex_of({sig.begin() + 37, sig.begin() + 39}), "00 20");
}

TEST(Wire, SecureChannelExampleOfTheReference) {
    auto chip = example_chip();
    // §7.6: Read zone 1 with host C-MAC + R-MAC at counter 0x13; the response bytes are the
    // reference's "hypothetical response", status 0x40 with its R-MAC.
    EXPECT_EQ(hex_of(transact(*chip, hex("E5 00 01 00 00 00 04 C9 0D 2C 67 79 86"))),
              "40 00 0a de ad be ef 9b c3 99 9d a9 f4");
    EXPECT_EQ(counter_of(*chip), 0x14u);
}

TEST(Wire, EncryptedWrapOfTheReference) {
    auto chip = example_chip();
    // §7.6: Wrap, slot 0, plaintext 00..0F, header 0xEE, command encryption (the A110 table's
    // flag for Wrap), C-MAC at counter 0x13.
    const auto rsp = transact(*chip, hex("EE 33 47 81 1F F8 D3 B6 FF 90 50 BC BC 21 FF D3 86 DD 2C 11 BA BE 29 3B 35 "
                                         "7B A8 FE E8 9F CF 91 58 C7 6F CD F7 03 54"));
    const auto frame = parse(rsp);
    ASSERT_EQ(frame.status, 0x40) << hex_of(rsp);
    // The envelope: RFC 3394 wrap of 00..0F under the envelope key (computed independently).
    EXPECT_EQ(hex_of(frame.payload), "93 5a 3e b1 01 c3 4a dd 02 5e 17 0b 46 ff 0d b2 3e 5c 2f ae 8c 8f 83 70");
    const auto cmd = hex(
        "33 47 81 1F F8 D3 B6 FF 90 50 BC BC 21 FF D3 86 DD 2C 11 BA BE 29 3B 35 7B A8 FE E8 9F CF 91 58");
    auto rmac = stsafe::compute_rmac(example_keys(), 0x13, 0xEE, cmd, 0x40, frame.payload);
    ASSERT_TRUE(rmac);
    EXPECT_EQ(to_hex(frame.rmac), to_hex(*rmac));
    // Unwrap answers with response encryption (flag 1 in the table), IV from counter C + 1.
    const std::uint32_t c = counter_of(*chip);
    ASSERT_EQ(c, 0x14u);
    std::vector<std::uint8_t> payload = {0x00};
    payload.insert(payload.end(), frame.payload.begin(), frame.payload.end());
    auto cmac = stsafe::compute_cmac(example_keys(), c, 0xEF, payload);
    ASSERT_TRUE(cmac);
    std::vector<std::uint8_t> f(payload.size() + 8);
    f.resize(*stsafe::encode_command(0xEF, payload, *cmac, f));
    const auto unwrapped = parse(transact(*chip, f));
    ASSERT_EQ(unwrapped.status, 0x40);
    ASSERT_EQ(unwrapped.payload.size(), 32u);  // 16 bytes + a full padding block (§7.5)
    std::uint8_t plain[32];
    auto n = stsafe::decrypt_payload(example_keys(), c, stsafe::Direction::response, unwrapped.payload, plain);
    ASSERT_TRUE(n);
    EXPECT_EQ(to_hex(Bytes(plain, *n)), "000102030405060708090a0b0c0d0e0f");
}

TEST(Wire, CounterMovesOnEveryAcceptedCmacOnly) {
    auto chip = example_chip();
    const auto keys = example_keys();
    auto macd = [&](std::uint8_t header, const std::string& payload_hex, std::uint32_t counter) {
        const auto payload = hex(payload_hex);
        auto mac = stsafe::compute_cmac(keys, counter, header, payload);
        std::vector<std::uint8_t> f(payload.size() + 8);
        f.resize(*stsafe::encode_command(header, payload, *mac, f));
        return f;
    };
    // Accepted C-MAC, then the command fails (unknown zone): the counter still moves (§7.1).
    EXPECT_EQ(hex_of(transact(*chip, macd(0xA5, "00 09 00 00 00 04", 0x13))), "10 00 02 e0 f9");
    EXPECT_EQ(counter_of(*chip), 0x14u);
    // A C-MAC over the old counter: 0x16, counter unchanged.
    EXPECT_EQ(hex_of(transact(*chip, macd(0xA0, "01", 0x13))), "16 00 02 85 cf");
    EXPECT_EQ(counter_of(*chip), 0x14u);
    // A damaged CRC on a protected frame: 0x01, nothing executed, counter unchanged.
    auto damaged = macd(0xA0, "01", 0x14);
    damaged.back() ^= 0x40;
    EXPECT_EQ(hex_of(transact(*chip, damaged)), "01 00 02 e1 f1");
    EXPECT_EQ(counter_of(*chip), 0x14u);
    // The admin channel (header bit 5 clear) cannot be satisfied without ST's keys [I].
    EXPECT_EQ(transact(*chip, macd(0x80, "01", 0x14))[0], 0x16);
    // R-MAC requested without a C-MAC [I].
    EXPECT_EQ(transact(*chip, with_crc("40 01"))[0], 0x02);
    // Wrap needs its host C-MAC (AC 3) before anything else: 0x11, not a length error.
    EXPECT_EQ(transact(*chip, with_crc("0E 00 00 01 02 03 04 05 06 07"))[0], 0x11);
    // Encrypt is AC 0 in the A110 table: not authorised even with a valid C-MAC.
    EXPECT_EQ(transact(*chip, macd(0xBB, "02 00", 0x14))[0], 0x1E);
    EXPECT_EQ(counter_of(*chip), 0x15u);
}

TEST(Wire, FrameAndResponseLimitsOfTheIoBuffer) {
    auto chip = example_chip();
    const auto keys = example_keys();
    // 504 echoed bytes fill a plain response exactly (1 + 504 + 2 = 507).
    std::string data;
    for (int i = 0; i < 504; ++i) data += "A5";
    auto rsp = transact(*chip, with_crc("00" + data));
    EXPECT_EQ(rsp.size(), 509u);
    EXPECT_EQ(rsp[0], 0x00);
    // 505 do not fit the command buffer (1 + 505 + 2 = 508).
    EXPECT_EQ(hex_of(transact(*chip, with_crc("00" + data + "A5"))), "06 00 02 95 4e");
    // A Read of 504 bytes asked with an R-MAC: the command fits, the answer (511) does not.
    const auto payload = hex("00 01 00 00 01 F8");
    auto mac = stsafe::compute_cmac(keys, 0x13, 0xE5, payload);
    std::vector<std::uint8_t> f(32);
    f.resize(*stsafe::encode_command(0xE5, payload, *mac, f));
    EXPECT_EQ(transact(*chip, f)[0], 0x06);
    EXPECT_EQ(counter_of(*chip), 0x14u);  // the C-MAC was accepted
    // 500 bytes with an R-MAC fit (1 + 500 + 4 + 2 = 507).
    const auto p500 = hex("00 01 00 00 01 F4");
    mac = stsafe::compute_cmac(keys, 0x14, 0xE5, p500);
    f.assign(32, 0);
    f.resize(*stsafe::encode_command(0xE5, p500, *mac, f));
    rsp = transact(*chip, f);
    ASSERT_EQ(rsp.size(), 509u);
    EXPECT_EQ(parse(rsp).status, 0x40);
}
