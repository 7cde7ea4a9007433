// SPDX-License-Identifier: Apache-2.0
// The specification's MUST rules, one malformed packet each: the decoder refuses it with the
// expected error, and the encoder refuses to produce the same mistakes.
#include <gtest/gtest.h>

#include <string>

#include "mqtt_test_util.hpp"

using namespace sebind;
using namespace sebind::mqtt;
using namespace sebind::mqtt::test;

namespace {

constexpr auto V3 = ProtocolVersion::v3_1_1;
constexpr auto V5 = ProtocolVersion::v5;

struct Case {
    const char* what;
    ProtocolVersion version;
    const char* wire;
    Error expected;
};

const Case kCases[] = {
    // UTF-8 (3.1.1 §1.5.3, 5.0 §1.5.4)
    {"overlong in topic", V3,
     "30050003"
     "61c0af",
     Error::bad_utf8},
    {"U+0000 in topic", V3,
     "30040002"
     "6100",
     Error::bad_utf8},
    {"surrogate in topic", V5,
     "3006"
     "0003eda080"
     "00",
     Error::bad_utf8},
    {"bad UTF-8 in user property", V5,
     "300d"
     "0003612f62"
     "07"
     "260001c0000161",
     Error::bad_utf8},
    {"bad UTF-8 in client id", V3,
     "100d"
     "00044d515454"
     "04"
     "02"
     "000a"
     "0001ff",
     Error::bad_utf8},
    // Topic names and filters (§4.7)
    {"'#' in a topic name", V3,
     "30050003"
     "612f23",
     Error::bad_topic_name},
    {"'+' in a topic name", V3,
     "30030001"
     "2b",
     Error::bad_topic_name},
    {"empty topic name in 3.1.1", V3, "30020000", Error::bad_topic_name},
    {"empty topic in 5.0 without alias", V5,
     "3003"
     "0000"
     "00",
     Error::bad_topic_name},
    {"'#' not last in a filter", V3,
     "8209"
     "000a"
     "0004612f6223"
     "01",
     Error::bad_topic_filter},
    {"'+' not a whole level", V3,
     "8208"
     "000a"
     "0003612b62"
     "00",
     Error::bad_topic_filter},
    {"empty filter", V3,
     "8205"
     "000a"
     "0000"
     "00",
     Error::bad_topic_filter},
    {"wildcard in will topic", V3,
     "1012"
     "00044d515454"
     "04"
     "06"
     "000a"
     "000161"
     "00012b"
     "0000",
     Error::bad_topic_name},
    // Packet identifiers (3.1.1 §2.3.1, 5.0 §2.2.1)
    {"PUBLISH QoS 1 with id 0", V3,
     "3207"
     "0003612f62"
     "0000",
     Error::packet_id_zero},
    {"PUBACK with id 0", V3, "40020000", Error::packet_id_zero},
    {"PUBREL with id 0", V5, "62020000", Error::packet_id_zero},
    {"SUBSCRIBE with id 0", V3,
     "8206"
     "0000"
     "000161"
     "01",
     Error::packet_id_zero},
    {"UNSUBACK with id 0", V3, "b0020000", Error::packet_id_zero},
    // Fixed header (§2.2.2 / §2.1.3)
    {"PUBREL flags 0000", V3, "60020001", Error::bad_flags},
    {"SUBSCRIBE flags 0000", V3,
     "8006"
     "000a"
     "000161"
     "01",
     Error::bad_flags},
    {"PUBLISH QoS 3", V3, "36070003612f620001", Error::bad_qos},
    {"DUP at QoS 0", V3, "38050003612f62", Error::bad_flags},
    {"AUTH in 3.1.1", V3, "f000", Error::bad_packet_type},
    {"reserved type 0", V5, "0000", Error::bad_packet_type},
    // Lengths and layout
    {"string longer than the packet", V3,
     "30050005"
     "616263",
     Error::malformed_packet},
    {"PINGRESP with a body", V3, "d00100", Error::malformed_packet},
    {"3.1.1 PUBACK with 3 bytes", V3, "4003000a00", Error::malformed_packet},
    {"3.1.1 DISCONNECT with a body", V3, "e00100", Error::malformed_packet},
    {"property length past the end", V5,
     "3006"
     "0003612f62"
     "05",
     Error::malformed_packet},
    {"SUBSCRIBE without filters", V3, "8202000a", Error::empty_list},
    {"UNSUBSCRIBE without filters", V5, "a203000a00", Error::empty_list},
    {"SUBACK without codes", V3, "9002000a", Error::empty_list},
    {"SUBSCRIBE reserved option bits (3.1.1)", V3,
     "8206"
     "000a"
     "000161"
     "05",
     Error::malformed_packet},
    {"SUBSCRIBE reserved option bits (5.0)", V5,
     "8207"
     "000a"
     "00"
     "000161"
     "41",
     Error::malformed_packet},
    {"SUBSCRIBE retain handling 3", V5,
     "8207"
     "000a"
     "00"
     "000161"
     "30",
     Error::malformed_packet},
    {"SUBSCRIBE QoS 3", V3,
     "8206"
     "000a"
     "000161"
     "03",
     Error::bad_qos},
    // CONNECT (§3.1.2)
    {"protocol name MQIsdp", V3,
     "100f"
     "00064d5149736470"
     "03"
     "02"
     "000a"
     "000161",
     Error::bad_protocol},
    {"protocol level 6", V5,
     "100d"
     "00044d515454"
     "06"
     "02"
     "000a"
     "000161",
     Error::bad_protocol},
    {"reserved connect flag", V3,
     "100d"
     "00044d515454"
     "04"
     "03"
     "000a"
     "000161",
     Error::bad_connect_flags},
    {"will QoS without will flag", V3,
     "100d"
     "00044d515454"
     "04"
     "0a"
     "000a"
     "000161",
     Error::bad_connect_flags},
    {"will retain without will flag", V3,
     "100d"
     "00044d515454"
     "04"
     "22"
     "000a"
     "000161",
     Error::bad_connect_flags},
    {"will QoS 3", V3,
     "100d"
     "00044d515454"
     "04"
     "1e"
     "000a"
     "000161",
     Error::bad_qos},
    {"3.1.1 password without user name", V3,
     "100f"
     "00044d515454"
     "04"
     "42"
     "000a"
     "000161"
     "0000",
     Error::bad_connect_flags},
    // CONNACK (§3.2.2)
    {"CONNACK reserved flags", V3, "20020200", Error::bad_connect_flags},
    {"CONNACK return code 6", V3, "20020006", Error::bad_reason_code},
    {"session present with a refusal", V3, "20020105", Error::bad_connect_flags},
    {"5.0 CONNACK without properties", V5, "20020000", Error::malformed_packet},
    // Reason codes (5.0 §2.4)
    {"PUBACK reason 0x05", V5, "4003000105", Error::bad_reason_code},
    {"PUBCOMP reason 0x87", V5, "7003000187", Error::bad_reason_code},
    {"SUBACK code 0x03 (3.1.1)", V3, "9003000a03", Error::bad_reason_code},
    {"DISCONNECT reason 0x01", V5, "e00101", Error::bad_reason_code},
    // Properties (5.0 §2.2.2)
    {"unknown property 0x05", V5,
     "3008"
     "0003612f62"
     "02"
     "0500",
     Error::bad_property},
    {"session expiry in PUBLISH", V5,
     "300b"
     "0003612f62"
     "05"
     "1100000001",
     Error::bad_property},
    {"message expiry twice", V5,
     "3010"
     "0003612f62"
     "0a"
     "0200000001"
     "0200000002",
     Error::bad_property},
    {"receive maximum 0", V5,
     "2006"
     "0000"
     "03"
     "210000",
     Error::bad_property},
    {"maximum packet size 0", V5,
     "2008"
     "0000"
     "05"
     "2700000000",
     Error::bad_property},
    {"topic alias 0", V5,
     "3009"
     "0003612f62"
     "03"
     "230000",
     Error::bad_property},
    {"payload format 2", V5,
     "3008"
     "0003612f62"
     "02"
     "0102",
     Error::bad_property},
    {"maximum QoS 2", V5,
     "2005"
     "0000"
     "02"
     "2402",
     Error::bad_property},
    {"subscription id 0", V5,
     "3008"
     "0003612f62"
     "02"
     "0b00",
     Error::bad_property},
    {"two subscription ids in SUBSCRIBE", V5,
     "820b"
     "000a"
     "04"
     "0b010b02"
     "000161"
     "00",
     Error::bad_property},
    {"topic alias in will properties", V5,
     "1017"
     "00044d515454"
     "05"
     "06"
     "000a"
     "00"
     "000161"
     "03230001"
     "000177"
     "0000",
     Error::bad_property},
    {"non-minimal property length", V5,
     "3007"
     "0003612f62"
     "8000",
     Error::malformed_remaining_length},
};

}  // namespace

TEST(MqttDecodeRules, EachViolationIsRefused) {
    for (const Case& c : kCases) {
        Decoded d;
        EXPECT_EQ(decode_bytes(hex(c.wire), c.version, d), c.expected)
            << c.what << ": got " << to_string(d.error) << ", expected " << to_string(c.expected);
    }
}

TEST(MqttDecodeRules, NeighboursOfTheViolationsAreAccepted) {
    // The same shapes made valid, so the refusals above are about the rule and nothing else.
    const Case ok[] = {
        {"repeated subscription ids in PUBLISH", V5,
         "300a"
         "0003612f62"
         "04"
         "0b010b02",
         Error::ok},
        {"empty topic with alias", V5,
         "3006"
         "0000"
         "03230001",
         Error::ok},
        {"no local + QoS 1 in 5.0", V5,
         "8207"
         "000a"
         "00"
         "000161"
         "05",
         Error::ok},
        {"5.0 PUBACK short form", V5, "40020001", Error::ok},
        {"5.0 PUBACK reason 0x10", V5, "4003000110", Error::ok},
        {"5.0 DISCONNECT session taken over", V5, "e0018e", Error::ok},
        {"5.0 password without user name", V5,
         "1010"
         "00044d515454"
         "05"
         "42"
         "000a"
         "00"
         "000161"
         "0000",
         Error::ok},
        {"control character in topic", V3,
         "30040002"
         "6101",
         Error::ok},
        {"3.1.1 SUBACK failure code", V3, "9003000a80", Error::ok},
        {"user property", V5,
         "300d"
         "0003612f62"
         "07"
         "26000161000162",
         Error::ok},
    };
    for (const Case& c : ok) {
        Decoded d;
        EXPECT_EQ(decode_bytes(hex(c.wire), c.version, d), Error::ok) << c.what << ": " << to_string(d.error);
    }
    Decoded d;
    ASSERT_EQ(decode_bytes(hex("300d"
                               "0003612f62"
                               "07"
                               "26000161000162"),
                           V5, d),
              Error::ok);
    const auto& p = std::get<Publish>(d.packet.body);
    int n = 0;
    p.properties.for_each_user_property([&](const UserProperty& u) {
        EXPECT_EQ(u.name, "a");
        EXPECT_EQ(u.value, "b");
        ++n;
    });
    EXPECT_EQ(n, 1);
}

TEST(MqttDecodeRules, MaximumPacketSizeIsEnforcedBeforeTheBodyArrives) {
    std::vector<std::uint8_t> storage(1024);
    Decoder dec(storage, V5, 10);
    // SUBACK announcing 9 body bytes = 11 bytes in all: one more than allowed.
    const auto f = dec.feed(hex("9009"));
    EXPECT_EQ(f.error, Error::packet_too_large);
    EXPECT_EQ(f.consumed, 2u);
    Decoder fits(storage, V5, 11);
    EXPECT_EQ(fits.feed(hex("9009")).error, Error::ok);
    // The storage is a limit too, whatever maximum is configured.
    std::vector<std::uint8_t> small(4);
    Decoder tiny(small, V3, 0);
    EXPECT_EQ(tiny.feed(hex("9005")).error, Error::packet_too_large);
}

TEST(MqttDecodeRules, ATooLargePublishIsSkippedWithItsIdAndTheStreamStaysInSync) {
    // 16 bytes of storage; a QoS 1 PUBLISH of 200 payload bytes to "a/b" (id 0x1234), fed one
    // byte at a time, then a PINGRESP: the decoder keeps none of the payload and frames the next.
    std::vector<std::uint8_t> storage(16);
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
        Decoder dec(storage, V3);
        std::vector<std::uint8_t> wire = hex(
            "32cf01"
            "0003612f62"
            "1234");
        wire.resize(wire.size() + 200, 0xAB);
        const std::size_t publish_end = wire.size();
        wire.push_back(0xD0);
        wire.push_back(0x00);
        std::size_t at = 0;
        int discarded = 0;
        bool ping = false;
        while (at < wire.size()) {
            const auto f = dec.feed(Bytes(wire.data() + at, std::min(chunk, wire.size() - at)));
            ASSERT_EQ(f.error, Error::ok);
            at += f.consumed;
            if (f.discarded) {
                ++discarded;
                EXPECT_EQ(at, publish_end) << "a discard ends exactly at the packet's end";
                const DiscardedPublish d = dec.discarded();
                EXPECT_EQ(d.qos(), QoS::at_least_once);
                EXPECT_EQ(d.packet_id, 0x1234);
                EXPECT_EQ(d.size, publish_end);
                EXPECT_EQ(std::string(d.topic.begin(), d.topic.end()), "a/b");
                EXPECT_FALSE(d.topic_truncated);
            }
            if (f.complete) ping = dec.packet().type == PacketType::pingresp;
        }
        EXPECT_EQ(discarded, 1) << "chunk " << chunk;
        EXPECT_TRUE(ping) << "chunk " << chunk;
    }
    // Over the maximum packet size (5.0) rather than the storage: the same.
    Decoder v5(storage, V5, 10);
    const auto f = v5.feed(
        hex("300b"
            "0001"
            "61"
            "00"
            "6868686868686868"));
    EXPECT_EQ(f.error, Error::ok);
    EXPECT_TRUE(f.discarded);
    EXPECT_EQ(v5.discarded().packet_id, 0);  // QoS 0 has none
    // A QoS 1 PUBLISH too short to hold its id cannot be answered: the id stays 0.
    Decoder cut(storage, V3, 4);
    EXPECT_TRUE(cut.feed(hex("3205"
                             "0003612f62"))
                    .discarded);
    EXPECT_EQ(cut.discarded().packet_id, 0);
}

TEST(MqttEncodeRules, TheEncoderRefusesWhatTheDecoderWould) {
    Publish p;
    p.topic = "a/#";
    EXPECT_EQ(encode_error(p, V3), Error::bad_topic_name);
    p.topic = "";
    EXPECT_EQ(encode_error(p, V3), Error::bad_topic_name);
    p.topic = std::string_view("a\0b", 3);
    EXPECT_EQ(encode_error(p, V3), Error::bad_utf8);
    p.topic = "a";
    p.qos = QoS::at_least_once;
    EXPECT_EQ(encode_error(p, V3), Error::packet_id_zero);
    p.qos = QoS::at_most_once;
    p.dup = true;
    EXPECT_EQ(encode_error(p, V3), Error::bad_flags);
    p.dup = false;
    const std::string long_topic(65536, 'a');
    p.topic = long_topic;
    EXPECT_EQ(encode_error(p, V3), Error::value_too_large);
    p.topic = "a";
    p.properties.set_number(PropertyId::message_expiry_interval, 5);
    EXPECT_EQ(encode_error(p, V3), Error::bad_property);  // no properties in 3.1.1
    EXPECT_EQ(encode_error(p, V5), Error::ok);
    p.properties.set_number(PropertyId::session_expiry_interval, 5);
    EXPECT_EQ(encode_error(p, V5), Error::bad_property);  // not a PUBLISH property

    Connect c;
    c.client_id = "x";
    c.has_password = true;
    EXPECT_EQ(encode_error(c, V3), Error::bad_connect_flags);
    c.version = V5;
    EXPECT_EQ(encode_error(c, V5), Error::ok);
    c.properties.set_number(PropertyId::receive_maximum, 0);
    EXPECT_EQ(encode_error(c, V5), Error::bad_property);

    Subscribe s;
    s.packet_id = 1;
    EXPECT_EQ(encode_error(s, V3), Error::empty_list);
    const Subscription bad[] = {{"a/b#", QoS::at_most_once}};
    s.subscriptions = bad;
    EXPECT_EQ(encode_error(s, V3), Error::bad_topic_filter);
    Subscription nl{"a", QoS::at_least_once};
    nl.no_local = true;
    s.subscriptions = std::span<const Subscription>(&nl, 1);
    EXPECT_EQ(encode_error(s, V3), Error::bad_property);
    EXPECT_EQ(encode_error(s, V5), Error::ok);

    EXPECT_EQ(encode_error(Connack{true, 5, {}}, V3), Error::bad_connect_flags);
    EXPECT_EQ(encode_error(Ack{PacketType::pubcomp, 1, 0x87, {}}, V5), Error::bad_reason_code);
    EXPECT_EQ(encode_error(Ack{PacketType::puback, 1, 0x87, {}}, V3), Error::bad_reason_code);
    EXPECT_EQ(encode_error(Auth{}, V3), Error::bad_packet_type);
}

TEST(MqttEncodeRules, BufferTooSmallReportsTheSizeNeeded) {
    Publish p;
    p.topic = "devices/d1/telemetry";
    p.payload = bytes("21.5");
    p.qos = QoS::at_least_once;
    p.packet_id = 3;
    const EncodeResult probe = encode(p, V3, {});
    ASSERT_EQ(probe.error, Error::buffer_too_small);
    ASSERT_EQ(probe.size, 2u + 2 + 20 + 2 + 4);
    std::vector<std::uint8_t> exact(probe.size);
    EXPECT_EQ(encode(p, V3, MutableBytes(exact.data(), probe.size - 1)).error, Error::buffer_too_small);
    const EncodeResult r = encode(p, V3, exact);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.size, probe.size);
}

TEST(MqttErrors, NamesAndStatusMapping) {
    EXPECT_STREQ(to_string(Error::bad_utf8), "bad_utf8");
    EXPECT_STREQ(to_string(PacketType::pubrel), "PUBREL");
    EXPECT_EQ(to_status(Error::bad_utf8, Origin::peer).code(), Errc::invalid_response);
    EXPECT_EQ(to_status(Error::bad_utf8, Origin::local).code(), Errc::invalid_argument);
    EXPECT_EQ(to_status(Error::buffer_too_small, Origin::local).code(), Errc::buffer_too_small);
    EXPECT_EQ(to_status(Error::packet_too_large, Origin::peer).code(), Errc::out_of_range);
    EXPECT_TRUE(to_status(Error::ok, Origin::peer).ok());
    EXPECT_STREQ(reason_to_string(0x87, PacketType::puback, V5), "not authorized");
    EXPECT_STREQ(reason_to_string(5, PacketType::connack, V3), "not authorized");
    EXPECT_STREQ(reason_to_string(4, PacketType::connack, V3), "bad user name or password");
}
