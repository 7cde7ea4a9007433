// SPDX-License-Identifier: Apache-2.0
// sebind-emud protocol codec: the byte layouts of docs/emud-protocol.md, valid / truncated /
// oversized / garbage input to the request parser, and the --faults text.
#include <gtest/gtest.h>

#include <random>

#include "sebind/emud/daemon.hpp"
#include "sebind/emud/daemon_protocol.hpp"

using namespace sebind;
using namespace sebind::port_linux;
using Buf = std::vector<std::uint8_t>;

namespace {

emud::Request make(emud::Op op) {
    emud::Request r;
    r.op = op;
    return r;
}

/// One request of every op, with non-trivial field values.
std::vector<emud::Request> every_request() {
    std::vector<emud::Request> out;
    auto hello = make(emud::Op::hello);
    hello.version = 1;
    hello.chip = "chipA";
    out.push_back(hello);
    auto write = make(emud::Op::write);
    write.address = 0x20;
    write.data = {0x00, 0x01, 0x02, 0x03, 0xA7, 0x29};
    out.push_back(write);
    auto read = make(emud::Op::read);
    read.address = 0x20;
    read.count = 509;
    out.push_back(read);
    out.push_back(make(emud::Op::power_cycle));
    auto faults = make(emud::Op::set_faults);
    faults.faults.seed = 0x0102030405060708ull;
    faults.faults.response_corruption_rate = 0.5;
    faults.faults.command_corruption_rate = 0.000000003;
    faults.faults.nack_burst_rate = 1.0;
    faults.faults.nack_burst_length = 1000;
    faults.faults.power_loss_at_write = 77;
    out.push_back(faults);
    auto latency = make(emud::Op::set_latency);
    latency.latency = emu::Latency::realistic;
    out.push_back(latency);
    out.push_back(make(emud::Op::stats));
    return out;
}

}  // namespace

TEST(DaemonProtocol, ByteLayoutsAreTheDocumentedOnes) {
    // Each vector is written out by hand from docs/emud-protocol.md, not produced by the encoder.
    auto hello = make(emud::Op::hello);
    hello.version = 1;
    hello.chip = "se";
    EXPECT_EQ(emud::encode_request(hello), (Buf{0x01, 0x00, 0x03, 0x01, 's', 'e'}));
    auto write = make(emud::Op::write);
    write.address = 0x20;
    write.data = {0x00, 0x01, 0x02, 0x03, 0xA7, 0x29};
    EXPECT_EQ(emud::encode_request(write), (Buf{0x02, 0x00, 0x07, 0x20, 0x00, 0x01, 0x02, 0x03, 0xA7, 0x29}));
    auto read = make(emud::Op::read);
    read.address = 0x20;
    read.count = 0x01FD;
    EXPECT_EQ(emud::encode_request(read), (Buf{0x03, 0x00, 0x03, 0x20, 0x01, 0xFD}));
    EXPECT_EQ(emud::encode_request(make(emud::Op::power_cycle)), (Buf{0x10, 0x00, 0x00}));
    auto faults = make(emud::Op::set_faults);
    faults.faults.seed = 7;
    faults.faults.response_corruption_rate = 0.01;  // 10 000 000 ppb = 0x00989680
    faults.faults.command_corruption_rate = 0;
    faults.faults.nack_burst_rate = 1;  // 1 000 000 000 ppb = 0x3B9ACA00
    faults.faults.nack_burst_length = 3;
    faults.faults.power_loss_at_write = 0x0102;
    EXPECT_EQ(emud::encode_request(faults),
              (Buf{0x11, 0x00, 0x20, 0,    0,    0, 0, 0, 0, 0, 7, 0x00, 0x98, 0x96, 0x80, 0,    0,   0,
                   0,    0x3B, 0x9A, 0xCA, 0x00, 0, 0, 0, 3, 0, 0, 0,    0,    0,    0,    0x01, 0x02}));
    auto latency = make(emud::Op::set_latency);
    latency.latency = emu::Latency::realistic;
    EXPECT_EQ(emud::encode_request(latency), (Buf{0x12, 0x00, 0x01, 0x01}));
    EXPECT_EQ(emud::encode_request(make(emud::Op::stats)), (Buf{0x13, 0x00, 0x00}));
    EXPECT_EQ(emud::encode_error(emud::ErrorCode::hello_required, "hi"), (Buf{0xFF, 0x00, 0x03, 0x04, 'h', 'i'}));
    emu::ChipStats s{.commands = 1, .signatures = 0x0203, .key_establishments = 0, .nvm_writes = 0x0100000000ull};
    EXPECT_EQ(emud::encode_stats(s),
              (Buf{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}));
}

TEST(DaemonProtocol, EveryRequestRoundTripsToTheSameBytes) {
    for (const auto& r : every_request()) {
        const auto bytes = emud::encode_request(r);
        EXPECT_EQ(*emud::message_size(bytes), bytes.size());
        auto back = emud::parse_request(bytes);
        ASSERT_TRUE(back) << static_cast<int>(r.op);
        EXPECT_EQ(back->op, r.op);
        EXPECT_EQ(back->version, r.version);
        EXPECT_EQ(back->chip, r.chip);
        EXPECT_EQ(back->address, r.address);
        EXPECT_EQ(back->data, r.data);
        EXPECT_EQ(back->count, r.count);
        EXPECT_EQ(back->latency, r.latency);
        EXPECT_EQ(back->faults.seed, r.faults.seed);
        EXPECT_EQ(back->faults.nack_burst_length, r.faults.nack_burst_length);
        EXPECT_EQ(back->faults.power_loss_at_write, r.faults.power_loss_at_write);
        EXPECT_DOUBLE_EQ(back->faults.response_corruption_rate, r.faults.response_corruption_rate);
        EXPECT_DOUBLE_EQ(back->faults.command_corruption_rate, r.faults.command_corruption_rate);
        EXPECT_DOUBLE_EQ(back->faults.nack_burst_rate, r.faults.nack_burst_rate);
        EXPECT_EQ(emud::encode_request(*back), bytes);
    }
}

TEST(DaemonProtocol, FaultRatesSurviveTheWireExactlyInPartsPerBillion) {
    for (std::uint32_t ppb : {0u, 1u, 3u, 7u, 999'999'999u, 1'000'000'000u, 123'456'789u}) {
        Buf m = {0x11, 0x00, 0x20};
        m.resize(3 + 32, 0);
        store_be32(&m[3 + 8], ppb);
        auto parsed = emud::parse_request(m);
        ASSERT_TRUE(parsed) << ppb;
        EXPECT_EQ(emud::encode_request(*parsed), m) << ppb;  // ppb -> double -> ppb is exact
    }
    Buf over = {0x11, 0x00, 0x20};
    over.resize(3 + 32, 0);
    store_be32(&over[3 + 12], 1'000'000'001u);
    EXPECT_EQ(emud::parse_request(over).status().code(), Errc::invalid_argument);
    Buf burst = {0x11, 0x00, 0x20};
    burst.resize(3 + 32, 0);
    store_be32(&burst[3 + 20], 1001);
    EXPECT_EQ(emud::parse_request(burst).status().code(), Errc::invalid_argument);
    // Out-of-range rates are clamped by the encoder, never sent as something the parser refuses.
    auto r = make(emud::Op::set_faults);
    r.faults.response_corruption_rate = 7.5;
    r.faults.command_corruption_rate = -1;
    r.faults.nack_burst_rate = std::nan("");
    auto back = emud::parse_request(emud::encode_request(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->faults.response_corruption_rate, 1.0);
    EXPECT_EQ(back->faults.command_corruption_rate, 0.0);
    EXPECT_EQ(back->faults.nack_burst_rate, 0.0);
}

TEST(DaemonProtocol, MessageSizeBoundsTheBody) {
    EXPECT_EQ(*emud::message_size(Buf{}), 0u);
    EXPECT_EQ(*emud::message_size(Buf{0x02, 0x00}), 0u);              // header incomplete
    EXPECT_EQ(*emud::message_size(Buf{0x02, 0x00, 0x05, 1}), 0u);     // body incomplete
    EXPECT_EQ(*emud::message_size(Buf{0x13, 0x00, 0x00, 0x13}), 3u);  // the first of two messages
    Buf max = {0x02, 0x04, 0x00};
    max.resize(3 + 1024, 0x20);
    EXPECT_EQ(*emud::message_size(max), 1027u);
    ASSERT_TRUE(emud::parse_request(max));
    EXPECT_EQ(emud::parse_request(max)->data.size(), 1023u);
    EXPECT_EQ(emud::message_size(Buf{0x02, 0x04, 0x01}).status().code(), Errc::out_of_range);  // 1025
    EXPECT_EQ(emud::message_size(Buf{0x7E, 0xFF, 0xFF}).status().code(), Errc::out_of_range);
    EXPECT_EQ(emud::parse_request(Buf{0x02, 0xFF, 0xFF, 0x20}).status().code(), Errc::out_of_range);
}

TEST(DaemonProtocol, RejectsMalformedRequests) {
    const std::vector<Buf> bad = {
        {},                                          // nothing
        {0x7E, 0x00, 0x00},                          // unknown op
        {0x82, 0x00, 0x01, 0x20},                    // a reply op sent as a request
        {0xFF, 0x00, 0x00},                          // the error op
        {0x00, 0x00, 0x00},                          // op 0
        {0x01, 0x00, 0x00},                          // HELLO without version
        {0x02, 0x00, 0x00},                          // WRITE without address
        {0x02, 0x00, 0x01, 0x20},                    // WRITE without data
        {0x03, 0x00, 0x03, 0x20, 0x00, 0x00},        // READ of 0 bytes
        {0x03, 0x00, 0x03, 0x20, 0x04, 0x00},        // READ of 1024 bytes (reply would exceed 1024)
        {0x03, 0x00, 0x02, 0x20, 0x01},              // READ count truncated
        {0x03, 0x00, 0x04, 0x20, 0x00, 0x01, 0x00},  // READ with a trailing byte
        {0x10, 0x00, 0x01, 0x00},                    // POWER_CYCLE with a body
        {0x13, 0x00, 0x01, 0x00},                    // STATS with a body
        {0x11, 0x00, 0x1F},                          // SET_FAULTS one byte short (body below)
        {0x12, 0x00, 0x01, 0x02},                    // latency value out of range
        {0x12, 0x00, 0x00},                          // latency missing
        {0x13, 0x00, 0x00, 0x13, 0x00, 0x00},        // two messages where one is expected
        {0x13, 0x00, 0x01},                          // announced body missing
    };
    for (auto m : bad) {
        if (m.size() == 3 && m[0] == 0x11) m.resize(3 + 0x1F, 0);
        EXPECT_FALSE(emud::parse_request(m)) << (m.empty() ? -1 : int{m[0]});
    }
    Buf long_name = {0x01, 0x01, 0x01, 0x01};  // HELLO with a 256-byte chip name
    long_name.resize(3 + 257, 'n');
    EXPECT_FALSE(emud::parse_request(long_name));
    long_name.resize(3 + 256);
    long_name[2] = 0x00;  // 256 = 0x0100 body: 255-byte name is the limit
    EXPECT_TRUE(emud::parse_request(long_name));
}

TEST(DaemonProtocol, EveryTruncationOfAValidRequestIsIncomplete) {
    for (const auto& r : every_request()) {
        const auto bytes = emud::encode_request(r);
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            const Bytes cut(bytes.data(), n);
            EXPECT_EQ(*emud::message_size(cut), 0u) << int{bytes[0]} << " cut at " << n;
            EXPECT_FALSE(emud::parse_request(cut)) << int{bytes[0]} << " cut at " << n;
        }
        // And the body shortened with the header adjusted to match is malformed, except where
        // a shorter body is still valid (HELLO name, WRITE data).
        if (r.op != emud::Op::hello && r.op != emud::Op::write && bytes.size() > 3) {
            Buf shorter(bytes.begin(), bytes.end() - 1);
            store_be16(&shorter[1], static_cast<std::uint16_t>(shorter.size() - 3));
            EXPECT_FALSE(emud::parse_request(shorter)) << int{bytes[0]};
        }
    }
}

TEST(DaemonProtocol, RandomGarbageNeverCrashesAndWhatParsesIsCanonical) {
    std::mt19937_64 rng(20241125);
    std::size_t accepted = 0;
    for (int i = 0; i < 200'000; ++i) {
        Buf m(rng() % 48);
        for (auto& b : m) b = static_cast<std::uint8_t>(rng());
        if (!m.empty() && (i & 1)) m[0] = static_cast<std::uint8_t>(0x01 + rng() % 0x13);  // plausible ops
        if (m.size() >= 3 && (i & 2)) store_be16(&m[1], static_cast<std::uint16_t>(m.size() - 3));
        auto size = emud::message_size(m);
        auto req = emud::parse_request(m);
        if (req) {
            ++accepted;
            ASSERT_TRUE(size);
            EXPECT_EQ(*size, m.size());
            EXPECT_EQ(emud::encode_request(*req), m);
        }
    }
    EXPECT_GT(accepted, 1000u);  // the generator reaches the parser's accepting paths
}

TEST(DaemonProtocol, StatsDecodeChecksTheSize) {
    emu::ChipStats s{.commands = 5, .signatures = 4, .key_establishments = 3, .nvm_writes = 0xFFFFFFFFFFull};
    auto back = emud::decode_stats(emud::encode_stats(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->commands, 5u);
    EXPECT_EQ(back->signatures, 4u);
    EXPECT_EQ(back->key_establishments, 3u);
    EXPECT_EQ(back->nvm_writes, 0xFFFFFFFFFFull);
    EXPECT_EQ(emud::decode_stats(Buf(31)).status().code(), Errc::invalid_response);
    EXPECT_EQ(emud::decode_stats(Buf(33)).status().code(), Errc::invalid_response);
}

TEST(FaultSpec, ParsesEveryKey) {
    auto f = parse_fault_spec("seed=7,crc=0.01,cmd=0.02,nack=1,nacklen=5,powerloss=12");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->seed, 7u);
    EXPECT_DOUBLE_EQ(f->response_corruption_rate, 0.01);
    EXPECT_DOUBLE_EQ(f->command_corruption_rate, 0.02);
    EXPECT_DOUBLE_EQ(f->nack_burst_rate, 1.0);
    EXPECT_EQ(f->nack_burst_length, 5u);
    EXPECT_EQ(f->power_loss_at_write, 12u);
    auto defaults = parse_fault_spec("");
    ASSERT_TRUE(defaults);
    const emu::FaultConfig d;
    EXPECT_EQ(defaults->seed, d.seed);
    EXPECT_EQ(defaults->nack_burst_length, d.nack_burst_length);
    EXPECT_EQ(defaults->power_loss_at_write, 0u);
    auto partial = parse_fault_spec("powerloss=3");
    ASSERT_TRUE(partial);
    EXPECT_EQ(partial->power_loss_at_write, 3u);
    EXPECT_EQ(partial->response_corruption_rate, 0.0);
    EXPECT_EQ(parse_fault_spec("seed=18446744073709551615")->seed, 18446744073709551615ull);
}

TEST(FaultSpec, Rejections) {
    for (const char* bad :
         {"crc",           "crc=",         "=1",          "crc=1.5", "crc=-0.1", "crc=nan",
          "crc=inf",       "crc=0.1x",     "crc= 0.1",    "seed=-1", "seed=1e3", "seed=18446744073709551616",
          "nacklen=0",     "nacklen=1001", "powerloss=x", "speed=1", "seed=1,",  ",seed=1",
          "seed=1,,crc=0", "CRC=0.1"}) {
        EXPECT_EQ(parse_fault_spec(bad).status().code(), Errc::invalid_argument) << bad;
    }
}
