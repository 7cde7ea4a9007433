// SPDX-License-Identifier: Apache-2.0
// CRC-16/X-25 vectors of protocol doc §2.3 and frame codec round trips / rejections.
#include <gtest/gtest.h>

#include "sebind/stsafe/crc.hpp"
#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/protocol.hpp"
#include "test_util.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using sebind::test::hex;

struct CrcVector {
    const char* covered;
    std::uint16_t crc;
};

// Every row of §2.3 (bytes covered by the CRC → value sent MSB first).
const CrcVector kCrcVectors[] = {
    {"31 32 33 34 35 36 37 38 39", 0x906E},
    {"00 01 02 03", 0xA729},
    {"00 5A 33", 0xEB53},
    {"01", 0xE1F1},
    {"11 07 00 00", 0xAFC1},
    {"11 07 01 00", 0xB619},
    {"14 07", 0x8909},
    {"00 02 00 01 00 01 01 00", 0xFC88},
    {"05 00 00 00 00 00 FF", 0x73AB},
    {"E5 18 02 00 00 00 01 C7 0F 15 19", 0xD217},
    {"02 00 20", 0x5276},
    {"14 11", 0xFCBE},
    {"14 12", 0xCE25},
    {"14 14", 0xAB13},
    {"14 17", 0x9988},
    {"14 24", 0x9A90},
    {"14 08", 0x71FE},
    {"14 0A", 0x52EC},
    {"05 00 00 00 00 00 04", 0x3AF7},
    {"0D 01", 0xAEB6},
    {"0C 09", 0x3B26},
    {"11 13 01 FF FF 80 0D 00 05 2B 81 04 00 22", 0x3D5A},
    {"11", 0xF170},
    {"16", 0x85CF},
};

TEST(Crc16, AllProtocolDocVectors) {
    for (const auto& v : kCrcVectors) EXPECT_EQ(crc16(hex(v.covered)), v.crc) << v.covered;
}

TEST(Crc16, IncrementalEqualsOneShot) {
    const auto data = hex("E5 18 02 00 00 00 01 C7 0F 15 19");
    Crc16 crc;
    crc.update(Bytes(data).first(3));
    crc.update(Bytes(data).subspan(3));
    EXPECT_EQ(crc.value(), crc16(data));
}

TEST(Frame, EncodesCommandsExactlyAsCaptured) {
    std::uint8_t out[32];
    // Real capture: Generate local envelope key, slot 0 → 11 07 00 00 AF C1.
    auto n = encode_command(0x11, hex("07 00 00"), {}, out);
    ASSERT_TRUE(n);
    EXPECT_EQ(to_hex(Bytes(out, *n)), "11070000afc1");
    // Echo example of §4.2.
    n = encode_command(0x00, hex("01 02 03"), {}, out);
    EXPECT_EQ(to_hex(Bytes(out, *n)), "00010203a729");
}

TEST(Frame, CommandWithCmacRoundTrips) {
    std::uint8_t out[32];
    const auto mac = hex("C7 0F 15 19");
    auto n = encode_command(0xE5, hex("18 02 00 00 00 01"), mac, out);
    ASSERT_TRUE(n);
    EXPECT_EQ(to_hex(Bytes(out, *n)), "e5180200000001c70f1519d217");  // real frame, STSELib issue #63
    auto cmd = decode_command(Bytes(out, *n));
    ASSERT_TRUE(cmd);
    EXPECT_EQ(cmd->header, 0xE5);
    EXPECT_EQ(to_hex(cmd->payload), "180200000001");
    EXPECT_EQ(to_hex(cmd->cmac), "c70f1519");
}

TEST(Frame, CommandMacFlagMustMatchMac) {
    std::uint8_t out[32];
    EXPECT_EQ(encode_command(0x80, hex("00"), {}, out).status().code(), Errc::invalid_argument);
    EXPECT_EQ(encode_command(0x00, hex("00"), hex("01020304"), out).status().code(), Errc::invalid_argument);
    EXPECT_EQ(encode_command(0x00, hex("000102"), {}, std::span(out).first(4)).status().code(), Errc::buffer_too_small);
}

TEST(Frame, DecodeCommandRejectsBadCrcAndShortFrames) {
    EXPECT_EQ(decode_command(hex("11 07 00 00 AF C0")).status().code(), Errc::integrity_failure);
    EXPECT_EQ(decode_command(hex("11 07")).status().code(), Errc::invalid_response);
    // C-MAC flag with fewer than 4 bytes before the CRC.
    auto body = hex("80 01 02");
    const auto crc = crc16(body);
    body.push_back(static_cast<std::uint8_t>(crc >> 8));
    body.push_back(static_cast<std::uint8_t>(crc));
    EXPECT_EQ(decode_command(body).status().code(), Errc::invalid_response);
}

TEST(Frame, DecodesRealResponses) {
    const auto query = hex("00 00 09 02 00 01 00 01 01 00 FC 88");
    auto r = decode_response(query);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 0x00);
    EXPECT_EQ(to_hex(r->payload), "02000100010100");
    EXPECT_TRUE(r->rmac.empty());
    const auto failed = hex("01 00 02 E1 F1 FF FF");
    auto err = decode_response(failed);  // trailing filler ignored
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 0x01);
    EXPECT_TRUE(err->payload.empty());
    EXPECT_EQ(err->frame_size, 5u);
}

TEST(Frame, ResponseEncodeMatchesDocExamples) {
    std::uint8_t out[64];
    auto n = encode_response(0x00, hex("01 02 03"), {}, out);
    EXPECT_EQ(to_hex(Bytes(out, *n)),
              "00000501020"
              "3a729");
    n = encode_response(0x11, {}, {}, out);
    EXPECT_EQ(to_hex(Bytes(out, *n)), "110002f170");
    n = encode_response(0x16, {}, {}, out);
    EXPECT_EQ(to_hex(Bytes(out, *n)), "16000285cf");
}

TEST(Frame, DecodeResponseRejectsEverythingMalformed) {
    EXPECT_EQ(decode_response(hex("00 00")).status().code(), Errc::invalid_response);           // < 3 bytes
    EXPECT_EQ(decode_response(hex("00 00 01 00")).status().code(), Errc::invalid_response);     // length < 2
    EXPECT_EQ(decode_response(hex("00 02 00 00 00")).status().code(), Errc::invalid_response);  // > I/O buffer
    EXPECT_EQ(decode_response(hex("00 00 05 01 02")).status().code(), Errc::invalid_response);  // truncated
    EXPECT_EQ(decode_response(hex("00 00 05 01 02 03 A7 28")).status().code(), Errc::integrity_failure);
    // R-MAC flag on a frame too short to carry one.
    std::uint8_t out[16];
    auto n = encode_response(0x40, hex("01 02"), {}, out);
    EXPECT_EQ(decode_response(Bytes(out, *n)).status().code(), Errc::invalid_response);
}

TEST(Frame, LargestResponseFitsAndOneMoreDoesNot) {
    std::vector<std::uint8_t> payload(kIoBufferSize - 1 - kCrcSize, 0xAB);
    std::vector<std::uint8_t> out(kMaxResponseFrame + 8);
    auto n = encode_response(0x00, payload, {}, out);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, kMaxResponseFrame);
    EXPECT_TRUE(decode_response(Bytes(out.data(), *n)));
    payload.push_back(0);
    n = encode_response(0x00, payload, {}, out);
    ASSERT_TRUE(n);
    EXPECT_EQ(decode_response(Bytes(out.data(), *n)).status().code(), Errc::invalid_response);
}

TEST(Frame, RealResponsesWithTheirCrcs) {
    // Full responses quoted in §4.14: host key slot of a real A110 and the product data.
    const auto host = hex("00 00 06 01 00 00 13 F1 D6");
    auto h = decode_response(host);
    ASSERT_TRUE(h);
    EXPECT_EQ(to_hex(h->payload), "01000013");
    const auto product = hex(
        "00 00 42 01 03 AA 46 02 02 09 A0 21 E0 21 C4 E1 D0 01 39 03 02 01 FB 04 02 00 40"
        " 05 02 18 E8 06 02 93 11 07 01 45 08 02 93 51 09 03 00 00 00 0A 03 00 00 00"
        " 0B 03 00 00 00 0C 03 00 00 00 0D 03 00 00 00 E1 E4");
    auto p = decode_response(product);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->payload.size(), 64u);
    EXPECT_EQ(p->frame_size, product.size());
}

TEST(Frame, ResponseFrameSizeBounds) {
    EXPECT_EQ(*response_frame_size(hex("01 00 02")), 5u);
    EXPECT_EQ(*response_frame_size(hex("00 01 FA FF FF")), kMaxResponseFrame);  // status + 506 = 507
    EXPECT_FALSE(response_frame_size(hex("00 01 FB")));                         // 508 > I/O buffer
    EXPECT_FALSE(response_frame_size(hex("00 FF FF")));
    EXPECT_FALSE(response_frame_size(hex("00 00 00")));
    EXPECT_FALSE(response_frame_size(hex("00 00")));
    EXPECT_FALSE(response_frame_size(hex("FF FF FF")));  // an idle bus reads as 0xFF
}

TEST(Frame, EdgeSizedCommands) {
    std::uint8_t out[16];
    auto n = encode_command(0x01, {}, {}, out);
    ASSERT_TRUE(n);
    EXPECT_EQ(to_hex(Bytes(out, *n)), "01e1f1");  // Reset, §2.3
    auto cmd = decode_command(Bytes(out, *n));
    ASSERT_TRUE(cmd);
    EXPECT_TRUE(cmd->payload.empty());
    EXPECT_TRUE(cmd->cmac.empty());
    // A MAC'd command with no payload: header + C-MAC + CRC.
    n = encode_command(0xE1, {}, hex("01 02 03 04"), out);
    ASSERT_TRUE(n);
    cmd = decode_command(Bytes(out, *n));
    ASSERT_TRUE(cmd);
    EXPECT_TRUE(cmd->payload.empty());
    EXPECT_EQ(to_hex(cmd->cmac), "01020304");
    EXPECT_EQ(encode_command(0x80, {}, hex("01 02 03"), out).status().code(), Errc::invalid_argument);
}

TEST(Frame, RandomRoundTrips) {
    std::uint32_t state = 99;
    auto next = [&] {
        state = state * 1664525u + 1013904223u;
        return state >> 8;
    };
    std::vector<std::uint8_t> out(kMaxResponseFrame + 8);
    for (int round = 0; round < 2000; ++round) {
        std::vector<std::uint8_t> payload(next() % 500);
        for (auto& b : payload) b = static_cast<std::uint8_t>(next());
        const bool mac = next() % 2 == 0;
        const std::vector<std::uint8_t> mac_bytes = {1, 2, 3, 4};
        const auto header_byte = static_cast<std::uint8_t>((next() & 0x7F) | (mac ? 0x80 : 0x00));
        auto n = encode_command(header_byte, payload, mac ? Bytes(mac_bytes) : Bytes(), out);
        ASSERT_TRUE(n);
        auto cmd = decode_command(Bytes(out.data(), *n));
        ASSERT_TRUE(cmd);
        EXPECT_EQ(cmd->header, header_byte);
        EXPECT_EQ(std::vector<std::uint8_t>(cmd->payload.begin(), cmd->payload.end()), payload);
        // Any single flipped bit is caught by the CRC.
        out[next() % *n] ^= static_cast<std::uint8_t>(1u << (next() % 8));
        EXPECT_FALSE(decode_command(Bytes(out.data(), *n)));

        const auto status = static_cast<std::uint8_t>(mac ? 0x40 : next() % 0x20);
        n = encode_response(status, payload, mac ? Bytes(mac_bytes) : Bytes(), out);
        ASSERT_TRUE(n);
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(*n), out.end(), 0xFF);  // filler past the end
        auto rsp = decode_response(out);
        ASSERT_TRUE(rsp);
        EXPECT_EQ(rsp->status, status);
        EXPECT_EQ(rsp->frame_size, *n);
        EXPECT_EQ(std::vector<std::uint8_t>(rsp->payload.begin(), rsp->payload.end()), payload);
        EXPECT_EQ(rsp->rmac.size(), mac ? 4u : 0u);
        // Any flipped bit in payload, R-MAC or CRC is caught.
        out[3 + (next() % (*n - 3))] ^= 0x01;
        EXPECT_FALSE(decode_response(out));
    }
}
