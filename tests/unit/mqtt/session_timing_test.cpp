// SPDX-License-Identifier: Apache-2.0
// Session timers and failures: keep alive and PINGRESP timeout on a ManualClock, CONNACK
// timeout and refusal, protocol violations by the broker, MQTT 5 limits and reason codes,
// graceful disconnect, and the backoff policy. Portable: also run on the target (tests/target).
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "sebind/mqtt/session/backoff.hpp"
#include "session_harness.hpp"

using namespace sebind;
using namespace sebind::mqtt;
using namespace sebind::mqtt::test;

TEST(MqttKeepAlive, PingAfterIdleKeepAliveAndTimeoutWithoutPingresp) {
    Harness h;
    h.config.keep_alive_s = 30;
    h.config.ping_timeout_ms = 5000;
    h.connect();
    h.clock.advance(29'999);
    h.pump();
    EXPECT_EQ(h.broker.count(PacketType::pingreq), 0u);
    EXPECT_EQ(h.session->ms_until_next_timer(), 1u);
    h.clock.advance(1);
    h.pump();
    EXPECT_EQ(h.broker.count(PacketType::pingreq), 1u);      // §3.1.2.10: something within keep alive
    EXPECT_EQ(h.session->state(), SessionState::connected);  // PINGRESP arrived

    // Any packet sent resets the idle timer.
    h.clock.advance(20'000);
    ASSERT_TRUE(h.publish("x", QoS::at_most_once));
    h.pump();
    h.clock.advance(20'000);
    h.pump();
    EXPECT_EQ(h.broker.count(PacketType::pingreq), 1u);
    h.clock.advance(10'000);
    h.pump();
    EXPECT_EQ(h.broker.count(PacketType::pingreq), 2u);

    // A half-open connection: PINGREQ goes out, nothing comes back.
    h.broker.answer_pings = false;
    h.clock.advance(30'000);
    h.pump();
    EXPECT_EQ(h.broker.count(PacketType::pingreq), 3u);
    h.clock.advance(4'999);
    h.pump();
    EXPECT_EQ(h.session->state(), SessionState::connected);
    h.clock.advance(1);
    EXPECT_EQ(h.session->poll().code(), Errc::timeout);
    EXPECT_EQ(h.session->state(), SessionState::disconnected);
    ASSERT_EQ(h.handler.disconnects.size(), 1u);
    EXPECT_EQ(h.handler.disconnects[0].first, Errc::timeout);
}

TEST(MqttKeepAlive, ServerKeepAliveReplacesOurs) {
    Harness h(ProtocolVersion::v5);
    h.config.keep_alive_s = 60;
    h.broker.connack_properties.set_number(PropertyId::server_keep_alive, 10);
    h.connect();
    EXPECT_EQ(h.session->broker().keep_alive_s, 10);
    h.clock.advance(10'000);
    h.pump();
    EXPECT_EQ(h.broker.count(PacketType::pingreq), 1u);
}

TEST(MqttKeepAlive, ZeroDisablesPings) {
    Harness h;
    h.config.keep_alive_s = 0;
    h.connect();
    h.clock.advance(3'600'000);
    h.pump();
    EXPECT_EQ(h.broker.count(PacketType::pingreq), 0u);
    EXPECT_EQ(h.session->state(), SessionState::connected);
}

TEST(MqttConnectFailures, NoConnackTimesOutAndRefusalIsReported) {
    Harness h;
    h.config.connect_timeout_ms = 2000;
    h.broker.answer_connect = false;
    h.connect();
    EXPECT_EQ(h.session->state(), SessionState::connecting);
    EXPECT_EQ(h.session->ms_until_next_timer(), 2000u);
    h.clock.advance(2000);
    EXPECT_EQ(h.session->poll().code(), Errc::timeout);

    Harness r;
    r.broker.connack_code = 5;  // 3.1.1: not authorized
    r.make();
    ASSERT_TRUE(r.session->connect(r.broker.accept()).ok());
    r.broker.process();
    EXPECT_EQ(r.session->poll().code(), Errc::not_permitted);
    ASSERT_EQ(r.handler.disconnects.size(), 1u);
    EXPECT_EQ(r.handler.disconnects[0].second, 5);
    EXPECT_TRUE(r.handler.connected.empty());
}

namespace {

/// Sends `wire` from the broker and returns the status of the poll that handles it.
Status violation(Harness& h, const std::vector<std::uint8_t>& wire) {
    h.broker.send_raw(wire);
    return h.session->poll();
}

}  // namespace

TEST(MqttProtocolViolations, BrokerMistakesCloseTheConnection) {
    for (auto v : {ProtocolVersion::v3_1_1, ProtocolVersion::v5}) {
        Harness h(v);
        h.connect();
        // A QoS 1 PUBLISH that ends before its packet id: it cannot even be acknowledged (a
        // PUBLISH that can is refused on its own: MqttSession.TooLargeOrMalformedPublishIsRefused...).
        const std::vector<std::uint8_t> bad{0x32, 0x05, 0x00, 0x03, 'a', '/', 'b'};
        EXPECT_EQ(violation(h, bad).code(), Errc::invalid_response);
        EXPECT_TRUE(h.handler.messages.empty());
        h.broker.process();
        if (v == ProtocolVersion::v5) {
            ASSERT_EQ(h.broker.count(PacketType::disconnect), 1u);  // 5.0 §4.13: say why
            EXPECT_EQ(h.broker.of(PacketType::disconnect)[0].reason_code, reason::malformed_packet);
        } else {
            EXPECT_EQ(h.broker.count(PacketType::disconnect), 0u);  // 3.1.1: just close
        }
    }
    {
        Harness h(ProtocolVersion::v5);
        h.connect();
        // A Topic Alias although we allowed none ([MQTT-3.3.2-9]).
        EXPECT_EQ(violation(h, {0x30, 0x09, 0x00, 0x01, 'a', 0x03, 0x23, 0x00, 0x01, 'h', 'i'}).code(),
                  Errc::invalid_response);
        h.broker.process();
        EXPECT_EQ(h.broker.of(PacketType::disconnect).at(0).reason_code, reason::topic_alias_invalid);
    }
    {
        Harness h(ProtocolVersion::v5);
        h.connect();
        // A 4128-byte SUBACK > rx (4096); a PUBLISH that large is refused on its own instead.
        std::vector<std::uint8_t> big = {0x90, 0xA0, 0x20, 0x00, 0x01, 0x00};
        EXPECT_EQ(violation(h, big).code(), Errc::invalid_response);
        h.broker.process();
        EXPECT_EQ(h.broker.of(PacketType::disconnect).at(0).reason_code, reason::packet_too_large);
    }
    {
        Harness h;
        h.broker.answer_connect = false;
        h.connect();
        EXPECT_EQ(violation(h, {0xD0, 0x00}).code(), Errc::invalid_response);  // PINGRESP before CONNACK
    }
    {
        Harness h;
        h.connect();
        EXPECT_EQ(violation(h, {0x20, 0x02, 0x00, 0x00}).code(), Errc::invalid_response);  // a second CONNACK
    }
    {
        Harness h;
        h.connect();
        EXPECT_EQ(violation(h, {0xC0, 0x00}).code(), Errc::invalid_response);  // PINGREQ is client-only
    }
}

TEST(MqttVersion5, RefusedPublishIsFinishedWithItsReason) {
    Harness h(ProtocolVersion::v5);
    h.config.clean_start = false;
    h.broker.auto_ack = false;
    h.connect();
    auto id = h.publish("forbidden", QoS::at_least_once, "other/topic");
    ASSERT_TRUE(id);
    h.pump();
    h.broker.ack(PacketType::puback, *id, reason::not_authorized);
    h.pump();
    ASSERT_EQ(h.handler.delivered.size(), 1u);
    EXPECT_EQ(h.handler.delivered[0].reason, reason::not_authorized);
    EXPECT_EQ(h.store->size(), 0u);
    h.broker.drop();
    h.pump();
    h.connect();
    EXPECT_EQ(h.broker.count(PacketType::publish), 1u);  // not retried
}

TEST(MqttVersion5, BrokerMaximumPacketSizeIsRespected) {
    Harness h(ProtocolVersion::v5);
    h.broker.auto_ack = false;
    h.make();
    ASSERT_TRUE(h.publish(std::string(200, 'x'), QoS::at_least_once));  // stored before we know the limit
    h.broker.connack_properties.set_number(PropertyId::maximum_packet_size, 100);
    h.connect();
    EXPECT_EQ(h.broker.count(PacketType::publish), 0u);  // [MQTT-3.2.2-15]
    ASSERT_EQ(h.handler.delivered.size(), 1u);
    EXPECT_EQ(h.handler.delivered[0].reason, reason::packet_too_large);
    EXPECT_EQ(h.publish(std::string(200, 'x'), QoS::at_least_once).status().code(), Errc::out_of_range);
    EXPECT_TRUE(h.publish("small", QoS::at_least_once));
}

TEST(MqttVersion5, BrokerMaximumQosAndRetainAvailableAreRespected) {
    Harness h(ProtocolVersion::v5);
    h.make();
    ASSERT_TRUE(h.publish("stored as QoS 2", QoS::exactly_once));
    ASSERT_TRUE(h.session->publish("t", text("retained"), QoS::at_least_once, true));
    ASSERT_TRUE(h.publish("fine", QoS::at_least_once));
    h.broker.connack_properties.set_number(PropertyId::maximum_qos, 1).set_number(PropertyId::retain_available, 0);
    h.connect();
    EXPECT_EQ(h.broker.delivered, std::vector<std::string>{"fine"});  // [MQTT-3.2.2-11], [MQTT-3.2.2-14]
    ASSERT_EQ(h.handler.delivered.size(), 3u);
    EXPECT_EQ(h.handler.delivered[0].reason, reason::qos_not_supported);
    EXPECT_EQ(h.handler.delivered[1].reason, reason::retain_not_supported);
    EXPECT_EQ(h.handler.delivered[2].reason, reason::success);
    EXPECT_EQ(h.publish("x", QoS::exactly_once).status().code(), Errc::not_supported);
    EXPECT_EQ(h.session->publish("t", text("r"), QoS::at_most_once, true).status().code(), Errc::not_supported);
    EXPECT_TRUE(h.publish("x", QoS::at_most_once));
}

TEST(MqttVersion5, ServerDisconnectReasonIsReported) {
    Harness h(ProtocolVersion::v5);
    h.connect();
    h.broker.send(Packet{PacketType::disconnect, Disconnect{reason::session_taken_over, {}}});
    EXPECT_EQ(h.session->poll().code(), Errc::communication_failure);
    ASSERT_EQ(h.handler.disconnects.size(), 1u);
    EXPECT_EQ(h.handler.disconnects[0].second, reason::session_taken_over);
}

TEST(MqttSessionEnd, GracefulDisconnectKeepsUnacknowledgedMessages) {
    Harness h;
    h.broker.auto_ack = false;
    h.connect();
    ASSERT_TRUE(h.publish("pending", QoS::at_least_once));
    h.pump();
    ASSERT_TRUE(h.session->disconnect().ok());
    EXPECT_EQ(h.session->state(), SessionState::disconnected);
    h.broker.process();
    EXPECT_EQ(h.broker.count(PacketType::disconnect), 1u);
    ASSERT_EQ(h.handler.disconnects.size(), 1u);
    EXPECT_EQ(h.handler.disconnects[0].first, Errc::ok);
    EXPECT_EQ(h.store->size(), 1u);
    h.broker.auto_ack = true;
    h.connect();
    EXPECT_EQ(h.broker.delivered, (std::vector<std::string>{"pending", "pending"}));
    EXPECT_EQ(h.store->size(), 0u);
}

TEST(MqttBackoff, ExponentialCappedAndJitteredDeterministically) {
    BackoffConfig c;
    c.initial_ms = 1000;
    c.max_ms = 30'000;
    c.multiplier = 2;
    c.jitter_percent = 0;
    const std::uint32_t expected[] = {1000, 2000, 4000, 8000, 16'000, 30'000, 30'000};
    for (std::uint32_t a = 0; a < 7; ++a) EXPECT_EQ(backoff_delay_ms(c, a, 42), expected[a]) << a;
    EXPECT_EQ(backoff_delay_ms(c, 4'000'000'000u, 42), 30'000u);  // huge attempt counts do not overflow

    c.jitter_percent = 50;
    std::set<std::uint32_t> distinct;
    for (std::uint32_t a = 0; a < 7; ++a) {
        for (std::uint64_t seed = 0; seed < 200; ++seed) {
            const std::uint32_t d = backoff_delay_ms(c, a, seed);
            EXPECT_LE(d, expected[a]);
            EXPECT_GE(d, expected[a] / 2);
            EXPECT_EQ(d, backoff_delay_ms(c, a, seed));  // pure
            if (a == 6) distinct.insert(d);
        }
    }
    EXPECT_GT(distinct.size(), 150u);  // seeds spread a fleet out

    c.jitter_percent = 100;  // full jitter: anywhere in [0, base]
    std::uint32_t lowest = UINT32_MAX;
    for (std::uint64_t seed = 0; seed < 500; ++seed) lowest = std::min(lowest, backoff_delay_ms(c, 6, seed));
    EXPECT_LT(lowest, 3000u);

    Backoff b(c, 7);
    const std::uint32_t first = b.next_delay_ms();
    EXPECT_EQ(first, backoff_delay_ms(c, 0, 7));
    EXPECT_EQ(b.next_delay_ms(), backoff_delay_ms(c, 1, 7));
    EXPECT_EQ(b.attempts(), 2u);
    b.reset();
    EXPECT_EQ(b.next_delay_ms(), first);
}
