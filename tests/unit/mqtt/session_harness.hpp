// SPDX-License-Identifier: Apache-2.0
// A session wired to the fake broker, a ManualClock and a recording handler.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "fake_broker.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/mqtt/session/session.hpp"

namespace sebind::mqtt::test {

struct Recorder final : SessionHandler {
    struct Delivered {
        std::uint16_t packet_id;
        std::uint64_t seq;
        std::uint8_t reason;
    };
    struct Message {
        std::string topic, payload;
        QoS qos;
        bool dup;
    };
    std::vector<bool> connected;  // session_present of each CONNACK
    std::vector<Message> messages;
    std::vector<Delivered> delivered;
    std::vector<std::vector<std::uint8_t>> subacks;
    int unsubacks = 0;
    std::vector<std::pair<Errc, std::uint8_t>> disconnects;
    std::vector<RefusedMessage> refused;      // topic views not kept
    Session* publish_from_handler = nullptr;  // when set, each message triggers a QoS 0 publish

    void on_connected(const Connack& c) noexcept override { connected.push_back(c.session_present); }
    void on_message(const Publish& p) noexcept override {
        messages.push_back({std::string(p.topic), std::string(p.payload.begin(), p.payload.end()), p.qos, p.dup});
        if (publish_from_handler != nullptr) (void)publish_from_handler->publish("reply", {}, QoS::at_most_once);
    }
    void on_refused(const RefusedMessage& m) noexcept override {
        refused.push_back(m);
        refused.back().topic = {};
    }
    void on_delivered(std::uint16_t id, std::uint64_t seq, std::uint8_t reason) noexcept override {
        delivered.push_back({id, seq, reason});
    }
    void on_subscribed(const Suback& s) noexcept override {
        subacks.emplace_back(s.reason_codes.begin(), s.reason_codes.end());
    }
    void on_unsubscribed(const Unsuback&) noexcept override { ++unsubacks; }
    void on_disconnected(Status why, std::uint8_t reason) noexcept override {
        disconnects.emplace_back(why.code(), reason);
    }
};

inline Bytes text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

struct Harness {
    explicit Harness(ProtocolVersion v = ProtocolVersion::v3_1_1, MessageStore* external = nullptr) : broker(v) {
        config.version = v;
        config.client_id = "device-001";
        config.keep_alive_s = 30;
        store = external != nullptr ? external : &memory;
    }
    void make() { session = std::make_unique<Session>(config, clock, *store, handler, rx, tx); }
    /// Connects over a fresh broker connection and runs until CONNACK is handled.
    void connect() {
        if (!session) make();
        ASSERT_TRUE(session->connect(broker.accept()).ok());
        pump();
    }
    /// Lets both sides work until nothing moves (bounded).
    void pump(int rounds = 50) {
        for (int i = 0; i < rounds; ++i) {
            last = session->poll();
            broker.process();
        }
    }
    Result<std::uint16_t> publish(const std::string& payload, QoS qos,
                                  const std::string& topic = "devices/device-001/telemetry") {
        payloads.push_back(payload);  // views must outlive the call only; kept for asserts
        return session->publish(topic, text(payloads.back()), qos);
    }

    ManualClock clock{1000};
    FakeBroker broker;
    MemoryStore memory{1000, 1 << 20};
    MessageStore* store;
    Recorder handler;
    SessionConfig config;
    std::vector<std::uint8_t> rx = std::vector<std::uint8_t>(4096);
    std::vector<std::uint8_t> tx = std::vector<std::uint8_t>(4096);
    std::unique_ptr<Session> session;
    std::deque<std::string> payloads;
    Status last;
};

}  // namespace sebind::mqtt::test
