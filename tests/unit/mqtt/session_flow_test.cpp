// SPDX-License-Identifier: Apache-2.0
// Session message flows against the in-memory broker: CONNECT contents, QoS 0/1/2 in both
// directions, the in-flight window, resend with DUP / PUBREL after reconnect, exactly-once
// inbound delivery, subscribe/unsubscribe, partial writes, back-pressure.
#include <gtest/gtest.h>

#include "session_harness.hpp"

using namespace sebind;
using namespace sebind::mqtt;
using namespace sebind::mqtt::test;

TEST(MqttSession, ConnectCarriesTheConfiguration) {
    Harness h(ProtocolVersion::v5);
    const Will will{"devices/device-001/status", text("offline"), QoS::at_least_once, true, {}};
    h.config.will = &will;
    h.config.clean_start = false;
    h.config.session_expiry_s = 600;
    h.config.keep_alive_s = 45;
    h.connect();
    ASSERT_EQ(h.broker.connects.size(), 1u);
    const auto& c = h.broker.connects[0];
    EXPECT_EQ(c.version, ProtocolVersion::v5);
    EXPECT_EQ(c.client_id, "device-001");
    EXPECT_FALSE(c.clean_start);
    EXPECT_EQ(c.keep_alive_s, 45);
    EXPECT_TRUE(c.has_will);
    EXPECT_EQ(c.will_topic, "devices/device-001/status");
    EXPECT_EQ(c.will_payload, "offline");
    EXPECT_EQ(c.session_expiry, 600u);
    EXPECT_TRUE(c.has_maximum_packet_size);
    EXPECT_EQ(c.maximum_packet_size, h.rx.size());  // what our decoder enforces
    EXPECT_EQ(h.session->state(), SessionState::connected);
    ASSERT_EQ(h.handler.connected.size(), 1u);
    EXPECT_FALSE(h.handler.connected[0]);
}

TEST(MqttSession, Qos0And1And2FlowsComplete) {
    for (auto v : {ProtocolVersion::v3_1_1, ProtocolVersion::v5}) {
        Harness h(v);
        h.connect();
        ASSERT_TRUE(h.publish("zero", QoS::at_most_once));
        auto id1 = h.publish("one", QoS::at_least_once);
        auto id2 = h.publish("two", QoS::exactly_once);
        ASSERT_TRUE(id1 && id2);
        EXPECT_NE(*id1, *id2);
        h.pump();
        EXPECT_EQ(h.broker.delivered, (std::vector<std::string>{"zero", "one", "two"}));
        // QoS 2: PUBLISH -> PUBREC -> PUBREL -> PUBCOMP (§4.3.3).
        ASSERT_EQ(h.broker.count(PacketType::pubrel), 1u);
        EXPECT_EQ(h.broker.of(PacketType::pubrel)[0].packet_id, *id2);
        ASSERT_EQ(h.handler.delivered.size(), 2u);
        EXPECT_EQ(h.handler.delivered[0].packet_id, *id1);
        EXPECT_EQ(h.handler.delivered[1].packet_id, *id2);
        EXPECT_EQ(h.store->size(), 0u);
        EXPECT_EQ(h.session->inflight(), 0u);
        for (const auto& p : h.broker.of(PacketType::publish)) EXPECT_FALSE(p.dup);
    }
}

TEST(MqttSession, InFlightWindowLimitsUnacknowledgedMessages) {
    Harness h;
    h.config.max_inflight = 20;
    h.broker.auto_ack = false;
    h.connect();
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(h.publish("m" + std::to_string(i), QoS::at_least_once));
    h.pump();
    auto pubs = h.broker.of(PacketType::publish);
    ASSERT_EQ(pubs.size(), 20u);
    EXPECT_EQ(h.session->inflight(), 20u);
    // Acknowledge five out of order: exactly five more go out, in FIFO order.
    for (int i : {4, 0, 17, 9, 2}) h.broker.ack(PacketType::puback, pubs[static_cast<std::size_t>(i)].packet_id);
    h.pump();
    pubs = h.broker.of(PacketType::publish);
    ASSERT_EQ(pubs.size(), 25u);
    for (int i = 0; i < 25; ++i) EXPECT_EQ(pubs[static_cast<std::size_t>(i)].payload, "m" + std::to_string(i));
    EXPECT_EQ(h.handler.delivered.size(), 5u);
}

TEST(MqttSession, AcknowledgementsRefillTheWindowBeforeTheSessionWaitsForMore) {
    // A transport's recv may wait (TLS: up to recv_wait_ms), and a broker whose window was emptied
    // has nothing to say until it gets the next messages: they must be out before that wait, or
    // every emptied window costs a full wait.
    Harness h;
    h.config.max_inflight = 2;
    h.broker.auto_ack = false;
    h.connect();
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(h.publish("m" + std::to_string(i), QoS::at_least_once));
    h.pump();
    const auto pubs = h.broker.of(PacketType::publish);
    ASSERT_EQ(pubs.size(), 2u);
    std::vector<std::size_t> sent_at_wait;
    h.broker.on_client_wait = [&] {
        h.broker.process();
        sent_at_wait.push_back(h.broker.count(PacketType::publish));
    };
    h.broker.ack(PacketType::puback, pubs[0].packet_id);
    h.broker.ack(PacketType::puback, pubs[1].packet_id);
    (void)h.session->poll();
    ASSERT_FALSE(sent_at_wait.empty());
    EXPECT_EQ(sent_at_wait.front(), 4u);
    h.broker.on_client_wait = nullptr;
}

TEST(MqttSession, Version5ReceiveMaximumCapsTheWindow) {
    Harness h(ProtocolVersion::v5);
    h.broker.auto_ack = false;
    h.broker.connack_properties.set_number(PropertyId::receive_maximum, 3);
    h.connect();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(h.publish("m", QoS::exactly_once));
    h.pump();
    EXPECT_EQ(h.broker.count(PacketType::publish), 3u);
    EXPECT_EQ(h.session->broker().receive_maximum, 3);
}

TEST(MqttSession, ResendWithDupAndSameIdsAfterReconnect) {
    Harness h;
    h.config.clean_start = false;
    h.broker.auto_ack = false;
    h.connect();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(h.publish("m" + std::to_string(i), QoS::at_least_once));
    h.pump();
    const auto first = h.broker.of(PacketType::publish);
    ASSERT_EQ(first.size(), 3u);
    h.broker.drop();
    EXPECT_EQ(h.session->poll().code(), Errc::communication_failure);  // the poll that sees it
    EXPECT_EQ(h.session->state(), SessionState::disconnected);
    EXPECT_TRUE(h.session->poll().ok());  // later polls have nothing to report
    ASSERT_EQ(h.handler.disconnects.size(), 1u);
    EXPECT_EQ(h.handler.disconnects[0].first, Errc::communication_failure);

    h.broker.auto_ack = true;
    h.connect();
    ASSERT_EQ(h.handler.connected.size(), 2u);
    EXPECT_TRUE(h.handler.connected[1]);  // the broker kept the session
    const auto all = h.broker.of(PacketType::publish);
    ASSERT_EQ(all.size(), 6u);
    for (int i = 0; i < 3; ++i) {
        const auto& again = all[3 + static_cast<std::size_t>(i)];
        EXPECT_TRUE(again.dup);                                                    // [MQTT-3.3.1-1]
        EXPECT_EQ(again.packet_id, first[static_cast<std::size_t>(i)].packet_id);  // [MQTT-4.4.0-1]
        EXPECT_EQ(again.payload, first[static_cast<std::size_t>(i)].payload);
    }
    EXPECT_EQ(h.store->size(), 0u);
    EXPECT_EQ(h.session->stats().resends, 3u);
}

TEST(MqttSession, ReleasedQos2ResendsPubrelNotPublish) {
    Harness h;
    h.config.clean_start = false;
    h.broker.auto_ack = false;
    h.connect();
    auto id = h.publish("exactly", QoS::exactly_once);
    ASSERT_TRUE(id);
    h.pump();
    h.broker.ack(PacketType::pubrec, *id);
    h.pump();
    ASSERT_EQ(h.broker.count(PacketType::pubrel), 1u);
    StoreEntry e;
    ASSERT_TRUE(h.store->find(*id, e));
    EXPECT_TRUE(e.released);
    h.broker.drop();  // PUBCOMP never came
    h.pump();
    h.broker.auto_ack = true;
    h.connect();
    EXPECT_EQ(h.broker.count(PacketType::publish), 1u);  // not sent again (§4.4)
    ASSERT_EQ(h.broker.count(PacketType::pubrel), 2u);
    EXPECT_EQ(h.broker.of(PacketType::pubrel)[1].packet_id, *id);
    EXPECT_EQ(h.broker.delivered, std::vector<std::string>{"exactly"});
    ASSERT_EQ(h.handler.delivered.size(), 1u);
    EXPECT_EQ(h.store->size(), 0u);
}

TEST(MqttSession, UnacknowledgedQos2PublishIsNotDeliveredTwiceByTheBroker) {
    Harness h;
    h.config.clean_start = false;
    h.broker.auto_ack = false;
    h.connect();
    ASSERT_TRUE(h.publish("once", QoS::exactly_once));
    h.pump();
    h.broker.drop();  // PUBREC lost
    h.pump();
    h.broker.auto_ack = true;
    h.connect();
    EXPECT_EQ(h.broker.count(PacketType::publish), 2u);
    EXPECT_TRUE(h.broker.of(PacketType::publish)[1].dup);
    EXPECT_EQ(h.broker.delivered, std::vector<std::string>{"once"});
}

TEST(MqttSession, WithoutABrokerSessionEverythingIsSentAgainAsNew) {
    Harness h;
    h.config.clean_start = true;
    h.broker.auto_ack = false;
    h.connect();
    ASSERT_TRUE(h.publish("a", QoS::at_least_once));
    auto q2 = h.publish("b", QoS::exactly_once);
    ASSERT_TRUE(q2);
    h.pump();
    h.broker.ack(PacketType::pubrec, *q2);
    h.pump();
    h.broker.drop();
    h.pump();
    h.broker.auto_ack = true;
    h.connect();
    EXPECT_FALSE(h.handler.connected[1]);
    const auto pubs = h.broker.of(PacketType::publish);
    ASSERT_EQ(pubs.size(), 3u);
    EXPECT_EQ(pubs[2].payload, "a");
    EXPECT_FALSE(pubs[2].dup);  // a new PUBLISH for the new session
    // The QoS 2 message the broker had acknowledged with PUBREC is finished, not resent.
    EXPECT_EQ(h.broker.count(PacketType::pubrel), 1u);
    EXPECT_EQ(h.handler.delivered.size(), 2u);
    EXPECT_EQ(h.store->size(), 0u);
}

TEST(MqttSession, Qos1And2CanBeQueuedBeforeConnecting) {
    Harness h;
    h.make();
    ASSERT_TRUE(h.publish("early", QoS::at_least_once));
    EXPECT_EQ(h.publish("zero", QoS::at_most_once).status().code(), Errc::communication_failure);
    h.connect();
    EXPECT_EQ(h.broker.delivered, std::vector<std::string>{"early"});
    EXPECT_FALSE(h.broker.of(PacketType::publish)[0].dup);
}

TEST(MqttSession, InboundQos1IsAcknowledgedAndQos2DeliveredExactlyOnce) {
    Harness h;
    h.connect();
    auto publish_to_client = [&](std::uint16_t id, QoS q, bool dup, const char* payload) {
        Publish p;
        p.topic = "devices/device-001/commands";
        p.payload = text(payload);
        p.qos = q;
        p.dup = dup;
        p.packet_id = id;
        h.broker.send(Packet{PacketType::publish, p});
        h.pump();
    };
    publish_to_client(7, QoS::at_least_once, false, "interval=5");
    ASSERT_EQ(h.broker.count(PacketType::puback), 1u);
    EXPECT_EQ(h.broker.of(PacketType::puback)[0].packet_id, 7);
    publish_to_client(8, QoS::exactly_once, false, "now");
    publish_to_client(8, QoS::exactly_once, true, "now");  // broker resends before our PUBREC arrived
    EXPECT_EQ(h.broker.count(PacketType::pubrec), 2u);     // each PUBLISH is answered
    h.broker.ack(PacketType::pubrel, 8);
    h.pump();
    ASSERT_EQ(h.broker.count(PacketType::pubcomp), 1u);
    publish_to_client(8, QoS::exactly_once, false, "again");  // id reused after PUBCOMP: a new message
    ASSERT_EQ(h.handler.messages.size(), 3u);
    EXPECT_EQ(h.handler.messages[0].payload, "interval=5");
    EXPECT_EQ(h.handler.messages[1].payload, "now");
    EXPECT_EQ(h.handler.messages[2].payload, "again");
    EXPECT_EQ(h.session->stats().duplicates_dropped, 1u);
}

TEST(MqttSession, TooLargeOrMalformedPublishIsRefusedAndTheConnectionLives) {
    for (const auto v : {ProtocolVersion::v3_1_1, ProtocolVersion::v5}) {
        SCOPED_TRACE(v == ProtocolVersion::v5 ? "5.0" : "3.1.1");
        Harness h(v);
        h.connect();
        const std::string big(10'000, 'x');  // rx storage is 4096 bytes
        Publish p;
        p.topic = "devices/device-001/commands";
        p.payload = text(big);
        p.qos = QoS::at_least_once;
        p.packet_id = 1;
        h.broker.send(Packet{PacketType::publish, p});
        h.pump();
        // QoS 2 with an ill-formed UTF-8 topic (C3 28): framed fine, so it can be answered.
        std::vector<std::uint8_t> bad{0x34, 0x07, 0x00, 0x02, 0xC3, 0x28, 0x00, 0x02};
        if (v == ProtocolVersion::v5) bad.push_back(0x00), bad[1] = 0x08;
        bad.push_back('x');
        h.broker.send_raw(bad);
        h.pump();
        p.qos = QoS::at_most_once;
        p.packet_id = 0;
        h.broker.send(Packet{PacketType::publish, p});
        h.pump();
        p.payload = text("{\"cmd\":\"publish_now\"}");
        p.qos = QoS::at_least_once;
        p.packet_id = 4;
        h.broker.send(Packet{PacketType::publish, p});
        h.pump();

        EXPECT_TRUE(h.last.ok()) << to_string(h.last.code());
        EXPECT_EQ(h.session->state(), SessionState::connected);
        EXPECT_TRUE(h.handler.disconnects.empty());
        ASSERT_EQ(h.handler.messages.size(), 1u);
        EXPECT_EQ(h.handler.messages[0].payload, "{\"cmd\":\"publish_now\"}");
        // Each is acknowledged at its QoS, so the broker does not send it again.
        const auto pubacks = h.broker.of(PacketType::puback);
        ASSERT_EQ(pubacks.size(), 2u);
        EXPECT_EQ(pubacks[0].packet_id, 1);
        EXPECT_EQ(pubacks[1].packet_id, 4);
        const auto pubrecs = h.broker.of(PacketType::pubrec);
        ASSERT_EQ(pubrecs.size(), 1u);
        EXPECT_EQ(pubrecs[0].packet_id, 2);
        if (v == ProtocolVersion::v5) {
            EXPECT_EQ(pubacks[0].reason_code, reason::implementation_specific_error);
            EXPECT_EQ(pubrecs[0].reason_code, reason::topic_name_invalid);
            EXPECT_EQ(pubacks[1].reason_code, reason::success);
        }
        ASSERT_EQ(h.handler.refused.size(), 3u);
        EXPECT_EQ(h.handler.refused[0].why, Error::packet_too_large);
        EXPECT_EQ(h.handler.refused[0].packet_id, 1);
        EXPECT_GT(h.handler.refused[0].size, 10'000u);
        EXPECT_EQ(h.handler.refused[1].why, Error::bad_utf8);
        EXPECT_EQ(h.handler.refused[1].qos, QoS::exactly_once);
        EXPECT_EQ(h.handler.refused[2].qos, QoS::at_most_once);
        EXPECT_EQ(h.session->stats().messages_refused, 3u);
    }
}

TEST(MqttSession, SubscribeAndUnsubscribe) {
    Harness h;
    h.connect();
    const Subscription subs[] = {{"devices/device-001/commands", QoS::at_least_once}, {"fleet/#", QoS::exactly_once}};
    auto id = h.session->subscribe(subs);
    ASSERT_TRUE(id);
    h.pump();
    const auto seen = h.broker.of(PacketType::subscribe);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].packet_id, *id);
    EXPECT_EQ(seen[0].filters, (std::vector<std::string>{"devices/device-001/commands", "fleet/#"}));
    ASSERT_EQ(h.handler.subacks.size(), 1u);
    EXPECT_EQ(h.handler.subacks[0], (std::vector<std::uint8_t>{1, 2}));
    ASSERT_TRUE(h.session->unsubscribe(std::span<const Subscription>(subs).first(1)));
    h.pump();
    EXPECT_EQ(h.handler.unsubacks, 1);
    const Subscription bad[] = {{"a/#/b", QoS::at_most_once}};
    EXPECT_EQ(h.session->subscribe(bad).status().code(), Errc::invalid_argument);
}

TEST(MqttSession, PartialWritesAndBlockedOutputKeepPacketsIntact) {
    Harness h(ProtocolVersion::v5);
    h.broker.max_send_chunk = 1;  // one byte per send()
    h.connect();
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(h.publish(std::string(300, static_cast<char>('a' + i)), QoS::at_least_once));
    h.pump(5000);
    EXPECT_EQ(h.broker.last_error, Error::ok);
    ASSERT_EQ(h.broker.delivered.size(), 10u);
    EXPECT_EQ(h.broker.delivered[9], std::string(300, 'j'));
    // Output blocked entirely: QoS 0 refuses with busy once the buffer is full, QoS 1 is stored.
    h.broker.block_client_sends = true;
    Status st;
    int accepted = 0;
    while ((st = h.publish(std::string(1000, 'x'), QoS::at_most_once).status()).ok()) ++accepted;
    EXPECT_EQ(st.code(), Errc::busy);
    EXPECT_GE(accepted, 2);
    EXPECT_TRUE(h.publish("stored", QoS::at_least_once));
    h.broker.block_client_sends = false;
    h.broker.max_send_chunk = SIZE_MAX;
    h.pump();
    EXPECT_EQ(h.broker.delivered.back(), "stored");
}

TEST(MqttSession, BackPressureFromAFullStoreAndOversizedMessages) {
    MemoryStore small(3, 1 << 20);
    Harness h(ProtocolVersion::v3_1_1, &small);
    h.broker.auto_ack = false;
    h.connect();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(h.publish("m", QoS::at_least_once));
    EXPECT_EQ(h.publish("m", QoS::at_least_once).status().code(), Errc::busy);
    EXPECT_EQ(h.publish(std::string(5000, 'x'), QoS::at_least_once).status().code(),
              Errc::out_of_range);  // > tx buffer
    EXPECT_EQ(h.session->publish("a/+", {}, QoS::at_least_once).status().code(), Errc::invalid_argument);
    h.pump();
    h.broker.ack(PacketType::puback, h.broker.of(PacketType::publish)[0].packet_id);
    h.pump();
    EXPECT_TRUE(h.publish("m", QoS::at_least_once));  // room again
}

TEST(MqttSession, HandlersMayPublishWhileMessagesArrive) {
    Harness h;
    h.connect();
    h.handler.publish_from_handler = h.session.get();
    for (std::uint16_t id = 1; id <= 30; ++id) {
        Publish p;
        p.topic = "in";
        p.qos = QoS::at_least_once;
        p.packet_id = id;
        h.broker.send(Packet{PacketType::publish, p});
    }
    h.pump();
    EXPECT_EQ(h.handler.messages.size(), 30u);
    EXPECT_EQ(h.broker.count(PacketType::puback), 30u);
    EXPECT_EQ(h.broker.count(PacketType::publish), 30u);  // the replies
    EXPECT_EQ(h.broker.last_error, Error::ok);
}

TEST(MqttSession, PacketIdsOfStoredMessagesAreNotHandedOutAgain) {
    // Messages a previous session left in the store keep their packet ids: a new publish (which
    // starts counting at 1) and a new SUBSCRIBE must skip them and each other.
    MemoryStore store;
    const std::uint8_t payload[] = {'x'};
    for (const std::uint16_t id : {std::uint16_t{1}, std::uint16_t{2}, std::uint16_t{4}})
        ASSERT_TRUE(store.enqueue(id, QoS::at_least_once, false, "t", payload));
    Harness h(ProtocolVersion::v3_1_1, &store);
    h.broker.auto_ack = false;
    h.connect();
    auto first = h.publish("new", QoS::at_least_once);
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, 3u);
    const Subscription sub{"devices/+/commands", QoS::at_least_once};
    auto sub_id = h.session->subscribe(std::span<const Subscription>(&sub, 1));
    ASSERT_TRUE(sub_id);
    EXPECT_EQ(*sub_id, 5u);
    auto second = h.publish("newer", QoS::at_least_once);
    ASSERT_TRUE(second);
    EXPECT_EQ(*second, 6u);
    EXPECT_EQ(store.size(), 5u);
}
