// SPDX-License-Identifier: Apache-2.0
// Codec against the MQTT 3.1.1 / 5.0 specifications' own examples and tables: Remaining Length
// boundaries (3.1.1 §2.2.3 table 2.4, 5.0 §1.5.5), the UTF-8 example (§1.5.3.1 / §1.5.4.1),
// the CONNECT, PUBLISH, SUBSCRIBE, SUBACK and UNSUBSCRIBE examples of chapter 3, the topic
// examples of §4.7. Expected bytes are written out from the spec's figures.
#include <gtest/gtest.h>

#include "mqtt_test_util.hpp"
#include "sebind/mqtt/codec/topic.hpp"

using namespace sebind;
using namespace sebind::mqtt;
using namespace sebind::mqtt::test;

namespace {

constexpr auto V3 = ProtocolVersion::v3_1_1;
constexpr auto V5 = ProtocolVersion::v5;

struct LengthVector {
    std::uint32_t value;
    const char* wire;
};

// 3.1.1 §2.2.3 table 2.4 / 5.0 §1.5.5 table 1-1: the first and last value of each length.
const LengthVector kLengths[] = {
    {0, "00"},          {127, "7f"},           {128, "8001"},           {16'383, "ff7f"},
    {16'384, "808001"}, {2'097'151, "ffff7f"}, {2'097'152, "80808001"}, {268'435'455, "ffffff7f"},
};

}  // namespace

TEST(MqttRemainingLength, SpecTableBoundariesEncodeAndDecode) {
    for (const auto& v : kLengths) {
        std::uint8_t buf[4];
        const std::size_t n = encode_varint(v.value, buf);
        EXPECT_EQ(to_hex(Bytes(buf, n)), v.wire) << v.value;
        EXPECT_EQ(varint_size(v.value), n);
        std::uint32_t back = 0;
        Error e = Error::ok;
        const auto wire = hex(v.wire);
        EXPECT_EQ(decode_varint(wire, back, e), wire.size()) << v.value;
        EXPECT_EQ(back, v.value);
        EXPECT_EQ(e, Error::ok);
    }
    std::uint8_t buf[4];
    EXPECT_EQ(encode_varint(268'435'456, buf), 0u);  // one past the maximum
    EXPECT_EQ(varint_size(268'435'456), 0u);
}

TEST(MqttRemainingLength, FramesPacketsAtEveryBoundaryTheTestCanAllocate) {
    // A PUBLISH QoS 0 "a" whose body is exactly `value` bytes, framed by the decoder.
    for (const auto& v : kLengths) {
        if (v.value < 3 || v.value > 2'097'152) continue;
        std::vector<std::uint8_t> wire = {0x30};
        const auto len = hex(v.wire);
        wire.insert(wire.end(), len.begin(), len.end());
        wire.insert(wire.end(), {0x00, 0x01, 'a'});
        wire.resize(1 + len.size() + v.value, 'x');
        std::vector<std::uint8_t> storage(v.value);
        Decoder dec(storage, V3);
        auto f = dec.feed(wire);
        ASSERT_EQ(f.error, Error::ok) << v.value;
        ASSERT_TRUE(f.complete);
        EXPECT_EQ(f.consumed, wire.size());
        EXPECT_EQ(dec.packet().body.size(), v.value);
        Publish p;
        ASSERT_EQ(decode_publish(dec.packet(), V3, p), Error::ok);
        EXPECT_EQ(p.payload.size(), v.value - 3);
    }
    // Remaining Length 0 (PINGRESP) and the largest legal value, refused as too large, not malformed.
    std::vector<std::uint8_t> storage(64);
    Decoder dec(storage, V3);
    auto f = dec.feed(hex("d000"));
    EXPECT_TRUE(f.complete);
    EXPECT_EQ(dec.packet().type, PacketType::pingresp);
    Decoder big(storage, V3);
    EXPECT_EQ(big.feed(hex("90ffffff7f")).error, Error::packet_too_large);
}

TEST(MqttRemainingLength, MalformedLengthsAreRefused) {
    std::vector<std::uint8_t> storage(64);
    // A fifth length byte (continuation bit on the fourth).
    Decoder five(storage, V3);
    EXPECT_EQ(five.feed(hex("30ffffffff01")).error, Error::malformed_remaining_length);
    EXPECT_TRUE(five.failed());
    EXPECT_EQ(five.feed(hex("d000")).error, Error::decoder_failed);  // stays failed until reset
    five.reset();
    EXPECT_TRUE(five.feed(hex("d000")).complete);
    // 5.0 [MQTT-1.5.5-1]: minimal encoding. 0x80 0x00 encodes 0 in two bytes.
    Decoder v5(storage, V5);
    EXPECT_EQ(v5.feed(hex("d08000")).error, Error::malformed_remaining_length);
    std::uint32_t value = 0;
    Error e = Error::ok;
    EXPECT_EQ(decode_varint(hex("8000"), value, e, true), 0u);
    EXPECT_EQ(e, Error::malformed_remaining_length);
    // 3.1.1 states no such rule; the non-minimal form is framed (documented choice).
    Decoder v3(storage, V3);
    auto f = v3.feed(hex("d08000"));
    EXPECT_EQ(f.error, Error::ok);
    EXPECT_TRUE(f.complete);
    // Truncated: not an error, just "need more".
    Decoder part(storage, V3);
    f = part.feed(hex("3080"));
    EXPECT_EQ(f.error, Error::ok);
    EXPECT_FALSE(f.complete);
}

TEST(MqttUtf8, SpecExampleAndRules) {
    // 3.1.1 §1.5.3.1 / 5.0 §1.5.4.1: "A" followed by U+2A6D4 is 00 05 41 F0 AA 9B 94.
    const auto example = hex("41f0aa9b94");
    EXPECT_TRUE(is_valid_utf8(Bytes(example)));
    Publish p;
    p.topic = std::string_view(reinterpret_cast<const char*>(example.data()), example.size());
    EXPECT_EQ(to_hex(encoded(p, V3)),
              "30070005"
              "41f0aa9b94");

    EXPECT_FALSE(is_valid_utf8(hex("00")));        // U+0000 [MQTT-1.5.3-2]
    EXPECT_FALSE(is_valid_utf8(hex("eda080")));    // U+D800, a surrogate [MQTT-1.5.3-1]
    EXPECT_FALSE(is_valid_utf8(hex("edbfbf")));    // U+DFFF
    EXPECT_TRUE(is_valid_utf8(hex("ed9fbf")));     // U+D7FF, just below
    EXPECT_TRUE(is_valid_utf8(hex("ee8080")));     // U+E000, just above
    EXPECT_FALSE(is_valid_utf8(hex("c0af")));      // overlong '/'
    EXPECT_FALSE(is_valid_utf8(hex("e080af")));    // overlong, 3 bytes
    EXPECT_FALSE(is_valid_utf8(hex("f4908080")));  // above U+10FFFF
    EXPECT_TRUE(is_valid_utf8(hex("f48fbfbf")));   // U+10FFFF
    EXPECT_FALSE(is_valid_utf8(hex("e282")));      // truncated sequence
    EXPECT_FALSE(is_valid_utf8(hex("80")));        // lone continuation
    EXPECT_FALSE(is_valid_utf8(hex("ff")));
    EXPECT_TRUE(is_valid_utf8(hex("01")));      // control characters are only "SHOULD NOT"
    EXPECT_TRUE(is_valid_utf8(hex("efbfbf")));  // U+FFFF non-character, allowed likewise
}

TEST(MqttConnect, V311SpecVariableHeaderExample) {
    // 3.1.1 §3.1.2.10 figure 3.6: "MQTT", level 4, flags CE (user name, password, will QoS 1,
    // will flag, clean session), keep alive 10. Payload order per §3.1.3.
    Connect c;
    c.version = V3;
    c.clean_start = true;
    c.keep_alive_s = 10;
    c.client_id = "c1";
    c.has_will = true;
    c.will.topic = "w";
    c.will.payload = bytes("bye");
    c.will.qos = QoS::at_least_once;
    c.has_username = true;
    c.username = "u";
    c.has_password = true;
    c.password = bytes("p");
    const auto wire = encoded(c, V3);
    EXPECT_EQ(to_hex(wire),
              "101c"
              "00044d515454"
              "04"
              "ce"
              "000a"
              "00026331"
              "000177"
              "0003627965"
              "000175"
              "000170");

    Decoded d;
    ASSERT_EQ(decode_bytes(wire, V3, d), Error::ok);
    const auto& back = std::get<Connect>(d.packet.body);
    EXPECT_EQ(back.version, V3);
    EXPECT_EQ(back.client_id, "c1");
    EXPECT_EQ(back.keep_alive_s, 10);
    EXPECT_TRUE(back.clean_start);
    EXPECT_EQ(back.will.qos, QoS::at_least_once);
    EXPECT_EQ(str(back.will.payload), "bye");
    EXPECT_EQ(back.username, "u");
    EXPECT_EQ(str(back.password), "p");
}

TEST(MqttConnect, V5SpecVariableHeaderExample) {
    // 5.0 §3.1.2.12 figure: level 5, flags CE, keep alive 10, properties length 5 holding
    // Session Expiry Interval (0x11) = 10.
    Connect c;
    c.version = V5;
    c.keep_alive_s = 10;
    c.client_id = "c1";
    c.has_will = true;
    c.will.topic = "w";
    c.will.payload = bytes("bye");
    c.will.qos = QoS::at_least_once;
    c.has_username = true;
    c.username = "u";
    c.has_password = true;
    c.password = bytes("p");
    c.properties.set_number(PropertyId::session_expiry_interval, 10);
    const auto wire = encoded(c, V5);
    EXPECT_EQ(to_hex(wire).substr(0, 4 + 32),
              "1023"
              "00044d515454"
              "05"
              "ce"
              "000a"
              "05"
              "110000000a");
    // Will properties (empty: 00) come before the will topic in 5.0 (§3.1.3.2).
    EXPECT_EQ(to_hex(wire).substr(36),
              "00026331"
              "00"
              "000177"
              "0003627965"
              "000175"
              "000170");
    Decoded d;
    ASSERT_EQ(decode_bytes(wire, V5, d), Error::ok);
    EXPECT_EQ(std::get<Connect>(d.packet.body).properties.number(PropertyId::session_expiry_interval), 10u);
}

TEST(MqttPublish, SpecVariableHeaderExample) {
    // 3.1.1 §3.3.2.3 figure 3.11: topic "a/b", packet identifier 10.
    Publish p;
    p.topic = "a/b";
    p.qos = QoS::at_least_once;
    p.packet_id = 10;
    p.payload = bytes("hi");
    EXPECT_EQ(to_hex(encoded(p, V3)),
              "3209"
              "0003612f62"
              "000a"
              "6869");
    p.qos = QoS::exactly_once;
    p.dup = true;
    p.retain = true;
    EXPECT_EQ(to_hex(encoded(p, V3)).substr(0, 2), "3d");  // DUP 8 | QoS 2 << 1 | RETAIN 1
    // 5.0 puts a property length after the packet identifier (§3.3.2.3).
    EXPECT_EQ(to_hex(encoded(p, V5)),
              "3d0a"
              "0003612f62"
              "000a"
              "00"
              "6869");
}

TEST(MqttSubscribe, SpecPayloadExamples) {
    // 3.1.1 §3.8.2 figure 3.21 (packet id 10) and §3.8.3 figure 3.23 ("a/b" QoS 1, "c/d" QoS 2).
    const Subscription subs[] = {{"a/b", QoS::at_least_once}, {"c/d", QoS::exactly_once}};
    Subscribe s;
    s.packet_id = 10;
    s.subscriptions = subs;
    const auto wire = encoded(s, V3);
    EXPECT_EQ(to_hex(wire),
              "820e"
              "000a"
              "0003612f6201"
              "0003632f6402");
    Decoded d;
    ASSERT_EQ(decode_bytes(wire, V3, d), Error::ok);
    const auto& back = std::get<Subscribe>(d.packet.body);
    ASSERT_EQ(back.subscriptions.size(), 2u);
    auto it = back.subscriptions.begin();
    EXPECT_EQ((*it).filter, "a/b");
    EXPECT_EQ((*it).max_qos, QoS::at_least_once);
    ++it;
    EXPECT_EQ((*it).filter, "c/d");
    EXPECT_EQ((*it).max_qos, QoS::exactly_once);

    // §3.9.3 figure 3.26: SUBACK codes 0x00, 0x02, 0x80.
    const std::uint8_t codes[] = {0x00, 0x02, 0x80};
    Suback a;
    a.packet_id = 10;
    a.reason_codes = codes;
    EXPECT_EQ(to_hex(encoded(a, V3)),
              "9005"
              "000a"
              "000280");

    // §3.10.3 figure 3.30: UNSUBSCRIBE "a/b", "c/d".
    Unsubscribe u;
    u.packet_id = 10;
    u.filters = subs;
    EXPECT_EQ(to_hex(encoded(u, V3)),
              "a20c"
              "000a"
              "0003612f62"
              "0003632f64");
}

TEST(MqttFixedHeader, FixedPacketsAndRequiredFlags) {
    std::uint8_t buf[8];
    auto r = encode_ping(PacketType::pingreq, buf);
    EXPECT_EQ(to_hex(Bytes(buf, r.size)), "c000");  // §3.12
    r = encode_ping(PacketType::pingresp, buf);
    EXPECT_EQ(to_hex(Bytes(buf, r.size)), "d000");         // §3.13
    EXPECT_EQ(to_hex(encoded(Disconnect{}, V3)), "e000");  // §3.14
    EXPECT_EQ(to_hex(encoded(Disconnect{}, V5)), "e000");  // 5.0: reason 0, no properties: omitted
    EXPECT_EQ(to_hex(encoded(Ack{PacketType::pubrel, 7, 0, {}}, V3)), "62020007");  // flags 0010
    EXPECT_EQ(to_hex(encoded(Ack{PacketType::puback, 7, 0, {}}, V3)), "40020007");
    EXPECT_EQ(to_hex(encoded(Ack{PacketType::puback, 7, 0x87, {}}, V5)), "4003000787");
    EXPECT_EQ(to_hex(encoded(Connack{true, 0, {}}, V3)), "20020100");

    // Flags that differ from the table (§2.2.2 table 2.2 / 5.0 §2.1.3 table 2-2).
    for (const char* bad : {"6000", "8000", "a000", "4100", "2100", "c100", "e100", "9200"})
        EXPECT_EQ(check_fixed_header(hex(bad)[0], V3), Error::bad_flags) << bad;
    EXPECT_EQ(check_fixed_header(0x36, V3), Error::bad_qos);    // PUBLISH QoS 3 [MQTT-3.3.1-4]
    EXPECT_EQ(check_fixed_header(0x38, V3), Error::bad_flags);  // DUP with QoS 0 [MQTT-3.3.1-2]
    EXPECT_EQ(check_fixed_header(0x00, V5), Error::bad_packet_type);
    EXPECT_EQ(check_fixed_header(0xF0, V3), Error::bad_packet_type);  // AUTH is 5.0 only
    EXPECT_EQ(check_fixed_header(0xF0, V5), Error::ok);
    EXPECT_EQ(check_fixed_header(0x3B, V3), Error::ok);  // DUP, QoS 1, RETAIN
}

TEST(MqttTopics, SpecWildcardExamples) {
    // §4.7.1.2 multi-level wildcard.
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
    EXPECT_TRUE(topic_matches("sport/#", "sport"));
    EXPECT_EQ(check_topic_filter("#"), Error::ok);
    EXPECT_EQ(check_topic_filter("sport/tennis/#"), Error::ok);
    EXPECT_EQ(check_topic_filter("sport/tennis#"), Error::bad_topic_filter);
    EXPECT_EQ(check_topic_filter("sport/tennis/#/ranking"), Error::bad_topic_filter);
    // §4.7.1.3 single-level wildcard.
    EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player1"));
    EXPECT_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
    EXPECT_FALSE(topic_matches("sport/+", "sport"));
    EXPECT_TRUE(topic_matches("sport/+", "sport/"));
    EXPECT_EQ(check_topic_filter("+"), Error::ok);
    EXPECT_EQ(check_topic_filter("+/tennis/#"), Error::ok);
    EXPECT_EQ(check_topic_filter("sport+"), Error::bad_topic_filter);
    EXPECT_EQ(check_topic_filter("sport/+/player1"), Error::ok);
    EXPECT_TRUE(topic_matches("+/+", "/finance"));
    EXPECT_TRUE(topic_matches("/+", "/finance"));
    EXPECT_FALSE(topic_matches("+", "/finance"));
    // §4.7.2 topics beginning with $.
    EXPECT_FALSE(topic_matches("#", "$SYS/broker/uptime"));
    EXPECT_FALSE(topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
    EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/broker/uptime"));
    EXPECT_TRUE(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
    // §4.7.3: at least one character; names have no wildcards.
    EXPECT_EQ(check_topic_filter(""), Error::bad_topic_filter);
    EXPECT_EQ(check_topic_name(""), Error::bad_topic_name);
    EXPECT_EQ(check_topic_name("a/+/b"), Error::bad_topic_name);
    EXPECT_EQ(check_topic_name("a/#"), Error::bad_topic_name);
    EXPECT_EQ(check_topic_name("/"), Error::ok);
}
