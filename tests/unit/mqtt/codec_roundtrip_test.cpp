// SPDX-License-Identifier: Apache-2.0
// Round trips: every packet type in both versions encodes, decodes (fed whole, byte by byte, at
// every split point and as a stream in random chunks) and re-encodes to the same bytes; decoded
// fields equal the originals.
#include <gtest/gtest.h>

#include <random>

#include "mqtt_test_util.hpp"

using namespace sebind;
using namespace sebind::mqtt;
using namespace sebind::mqtt::test;

namespace {

const Subscription kSubs[] = {{"devices/+/commands", QoS::exactly_once}, {"a/#", QoS::at_most_once}};
const std::uint8_t kCodes[] = {0x02, 0x80};
const std::uint8_t kUnsubCodes[] = {0x11};
const UserProperty kUser[] = {{"k", "v"}, {"k", "second"}};
const std::string kBig(70'000, 'x');  // Remaining Length in three bytes

std::vector<Packet> sample_packets(ProtocolVersion v) {
    const bool five = v == ProtocolVersion::v5;
    std::vector<Packet> out;
    Connect c;
    c.version = v;
    c.clean_start = false;
    c.keep_alive_s = 300;
    c.client_id = "device-001";
    c.has_will = true;
    c.will = Will{"devices/device-001/status", bytes("offline"), QoS::at_least_once, true, {}};
    c.has_username = true;
    c.username = "device-001";
    if (five) {
        c.properties.set_number(PropertyId::session_expiry_interval, 3600)
            .set_number(PropertyId::receive_maximum, 20)
            .set_number(PropertyId::maximum_packet_size, 4096);
        c.properties.user_properties = kUser;
        c.will.properties.set_number(PropertyId::will_delay_interval, 5)
            .set_text(PropertyId::content_type, "text/plain");
    }
    out.push_back({PacketType::connect, c});
    Connack ca{true, 0, {}};
    if (five)
        ca.properties.set_number(PropertyId::receive_maximum, 10).set_text(PropertyId::assigned_client_identifier, "x");
    out.push_back({PacketType::connack, ca});
    for (unsigned q = 0; q < 3; ++q) {
        Publish p;
        p.topic = "devices/device-001/telemetry";
        p.payload = bytes(q == 1 ? std::string_view(kBig) : std::string_view("{\"t\":21.5}"));
        p.qos = static_cast<QoS>(q);
        p.retain = q == 2;
        p.dup = q == 2;
        p.packet_id = static_cast<std::uint16_t>(q == 0 ? 0 : 65535 - q);
        if (five)
            p.properties.set_number(PropertyId::message_expiry_interval, 60)
                .set_binary(PropertyId::correlation_data, bytes("id"));
        out.push_back({PacketType::publish, p});
    }
    for (PacketType t : {PacketType::puback, PacketType::pubrec, PacketType::pubrel, PacketType::pubcomp}) {
        out.push_back({t, Ack{t, 1, 0, {}}});
        if (five) {
            Ack a{
                t, 2, static_cast<std::uint8_t>(t == PacketType::pubrel || t == PacketType::pubcomp ? 0x92 : 0x87), {}};
            out.push_back({t, a});
            a.properties.set_text(PropertyId::reason_string, "why");
            out.push_back({t, a});
        }
    }
    Subscribe s;
    s.packet_id = 9;
    s.subscriptions = kSubs;
    if (five) s.properties.set_number(PropertyId::subscription_identifier, 268'435'455);
    out.push_back({PacketType::subscribe, s});
    out.push_back({PacketType::suback, Suback{9, kCodes, {}}});
    out.push_back({PacketType::unsubscribe, Unsubscribe{10, kSubs, {}}});
    out.push_back({PacketType::unsuback, Unsuback{10, five ? Bytes(kUnsubCodes) : Bytes{}, {}}});
    out.push_back({PacketType::pingreq, Empty{}});
    out.push_back({PacketType::pingresp, Empty{}});
    Disconnect d;
    if (five) {
        d.reason_code = 0x04;
        d.properties.set_number(PropertyId::session_expiry_interval, 0);
    }
    out.push_back({PacketType::disconnect, d});
    if (five) out.push_back({PacketType::auth, Auth{0x18, {}}});
    return out;
}

std::vector<std::uint8_t> wire_of(const Packet& p, ProtocolVersion v) {
    std::vector<std::uint8_t> out(1 << 17);
    const EncodeResult r = encode(p, v, out);
    EXPECT_EQ(r.error, Error::ok) << to_string(p.type) << ": " << to_string(r.error);
    out.resize(r.size);
    return out;
}

/// Feeds `chunks` of a wire image; returns the re-encoding of every packet decoded.
std::vector<std::vector<std::uint8_t>> reencode_stream(const std::vector<Bytes>& chunks, ProtocolVersion v) {
    std::vector<std::uint8_t> storage(1 << 17);
    Decoder dec(storage, v);
    std::vector<std::vector<std::uint8_t>> out;
    for (Bytes chunk : chunks) {
        while (!chunk.empty()) {
            const auto f = dec.feed(chunk);
            EXPECT_EQ(f.error, Error::ok);
            if (f.error != Error::ok) return out;
            EXPECT_GT(f.consumed, 0u);
            chunk = chunk.subspan(f.consumed);
            if (!f.complete) continue;
            Packet p;
            const Error e = decode(dec.packet(), v, p);
            EXPECT_EQ(e, Error::ok) << to_string(e);
            out.push_back(wire_of(p, v));
        }
    }
    EXPECT_TRUE(dec.idle());
    return out;
}

class RoundTrip : public ::testing::TestWithParam<ProtocolVersion> {};

}  // namespace

TEST_P(RoundTrip, WholeByteByByteAndEverySplit) {
    const ProtocolVersion v = GetParam();
    for (const Packet& p : sample_packets(v)) {
        const auto wire = wire_of(p, v);
        SCOPED_TRACE(to_string(p.type));
        auto whole = reencode_stream({Bytes(wire)}, v);
        ASSERT_EQ(whole.size(), 1u);
        EXPECT_EQ(whole[0], wire);
        if (wire.size() > 2000) continue;  // the big PUBLISH: whole and streamed below
        std::vector<Bytes> single;
        for (std::size_t i = 0; i < wire.size(); ++i) single.push_back(Bytes(wire).subspan(i, 1));
        auto bytewise = reencode_stream(single, v);
        ASSERT_EQ(bytewise.size(), 1u);
        EXPECT_EQ(bytewise[0], wire);
        for (std::size_t cut = 1; cut < wire.size(); ++cut) {
            auto split = reencode_stream({Bytes(wire).first(cut), Bytes(wire).subspan(cut)}, v);
            ASSERT_EQ(split.size(), 1u) << "cut at " << cut;
            EXPECT_EQ(split[0], wire) << "cut at " << cut;
        }
    }
}

TEST_P(RoundTrip, StreamInRandomChunks) {
    const ProtocolVersion v = GetParam();
    std::vector<std::vector<std::uint8_t>> wires;
    std::vector<std::uint8_t> stream;
    for (const Packet& p : sample_packets(v)) {
        wires.push_back(wire_of(p, v));
        stream.insert(stream.end(), wires.back().begin(), wires.back().end());
    }
    std::mt19937 rng(1234);
    for (int run = 0; run < 20; ++run) {
        std::vector<Bytes> chunks;
        for (std::size_t pos = 0; pos < stream.size();) {
            const std::size_t n = std::min<std::size_t>(stream.size() - pos, 1 + rng() % 700);
            chunks.push_back(Bytes(stream).subspan(pos, n));
            pos += n;
        }
        EXPECT_EQ(reencode_stream(chunks, v), wires);
    }
}

TEST_P(RoundTrip, DecodedFieldsEqualTheOriginals) {
    const ProtocolVersion v = GetParam();
    const auto packets = sample_packets(v);
    const Publish& original = std::get<Publish>(packets[3].body);  // QoS 1, 70,000-byte payload
    Decoded d;
    ASSERT_EQ(decode_bytes(wire_of(packets[3], v), v, d), Error::ok);
    const auto& p = std::get<Publish>(d.packet.body);
    EXPECT_EQ(p.topic, original.topic);
    EXPECT_EQ(str(p.payload), kBig);
    EXPECT_EQ(p.qos, QoS::at_least_once);
    EXPECT_EQ(p.packet_id, 65534);
    EXPECT_FALSE(p.dup);
    if (v == ProtocolVersion::v5) {
        EXPECT_EQ(p.properties.number(PropertyId::message_expiry_interval), 60u);
        EXPECT_EQ(str(p.properties.binary(PropertyId::correlation_data)), "id");
        Decoded dc;
        ASSERT_EQ(decode_bytes(wire_of(packets[0], v), v, dc), Error::ok);
        const auto& c = std::get<Connect>(dc.packet.body);
        EXPECT_EQ(c.properties.number(PropertyId::receive_maximum), 20u);
        EXPECT_EQ(c.properties.user_property_count(), 2u);
        EXPECT_EQ(c.will.properties.text(PropertyId::content_type), "text/plain");
        EXPECT_EQ(c.will.properties.number(PropertyId::will_delay_interval), 5u);
        EXPECT_FALSE(c.clean_start);
        EXPECT_TRUE(c.will.retain);
        // Absent properties read as the spec's defaults.
        EXPECT_EQ(c.properties.number(PropertyId::topic_alias_maximum), 0u);
        EXPECT_EQ(c.properties.number(PropertyId::request_problem_information), 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(Versions, RoundTrip, ::testing::Values(ProtocolVersion::v3_1_1, ProtocolVersion::v5),
                         [](const auto& param_info) {
                             return param_info.param == ProtocolVersion::v5 ? "v5" : "v311";
                         });
