// SPDX-License-Identifier: Apache-2.0
// The agent's state, shared by agent.cpp (start-up, main loop, shutdown) and agent_events.cpp
// (session events, commands, publishing). Private to libs/agent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sebind/agent/agent.hpp"
#include "sebind/agent/connector.hpp"
#include "sebind/agent/device_identity.hpp"
#include "sebind/agent/messages.hpp"
#include "sebind/agent/sensors.hpp"
#include "sebind/agent/seq_store.hpp"
#include "sebind/agent/uplink.hpp"
#include "sebind/host/clock.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/mqtt/outbox/posix_storage.hpp"
#include "sebind/tls_mbedtls/client.hpp"

namespace sebind::agent {

/// Why the last reading could not be stored/sent; a line is logged when this changes.
enum class StoreState : std::uint8_t { ok, offline_qos0, full, failed, too_large, other };

struct Agent::Impl final : mqtt::SessionHandler {
    Impl(const AgentConfig& c, const AgentOptions& o, AgentLog l) : config(c), options(o), log(std::move(l)) {}

    // --- agent_events.cpp
    void on_connected(const mqtt::Connack& connack) noexcept override;
    void on_message(const mqtt::Publish& message) noexcept override;
    void on_refused(const mqtt::RefusedMessage& message) noexcept override;
    void on_delivered(std::uint16_t packet_id, std::uint64_t seq, std::uint8_t reason_code) noexcept override;
    void on_subscribed(const mqtt::Suback& suback) noexcept override;
    void on_disconnected(Status why, std::uint8_t reason_code) noexcept override;
    void take_reading(bool on_demand);
    void publish_status(const std::string& fields_json, bool retain = false);
    void note_store_failure(Status why, std::uint64_t seq, std::size_t bytes);
    void say(const std::string& line) const {
        if (log) log(line);
    }

    // --- agent.cpp
    Status start(stsafe::Device& device, std::string* detail);
    /// The connector of the configured TLS stack, with the identity's certificate and chip key.
    Connector make_connector(stsafe::Device& device);
    Status run();
    bool stop_requested(std::uint32_t wait_ms);
    std::uint32_t interval_ms() const noexcept { return m_interval_ms; }

    AgentConfig config;
    AgentOptions options;
    AgentLog log;
    host::MonotonicClock clock;  // delay_ms sleeps: only Uplink::drain waits through it

    std::unique_ptr<DeviceIdentity> identity;
    std::vector<std::unique_ptr<Sensor>> sensors;
    std::unique_ptr<mqtt::PosixFileStorage> storage;
    std::unique_ptr<mqtt::Outbox> outbox;
    std::optional<SeqStore> seq;
    ConnectorCaches caches;
    std::unique_ptr<Uplink> uplink;

    // Views of these are held by the session configuration: they live as long as the uplink.
    std::string client_id, telemetry_topic, status_topic, command_topic, will_payload;
    mqtt::Will will;

    AgentStats stats;
    std::uint32_t m_interval_ms = 10'000;
    std::size_t rx_limit = 0;  // largest inbound packet the uplink takes
    std::uint32_t start_ms = 0;
    std::uint32_t next_sample_ms = 0;
    bool publish_now = false;       // a publish_now command waits for the loop
    bool uplink_settled = false;    // the first connection attempt ended (up, refused or failed)
    std::vector<Command> answered;  // commands whose reply waits for the loop (publish_now: after its reading)
    std::vector<std::pair<std::string, bool>> status_queue;  // (fields, retain) to publish after step()
    /// Packet ids of this run's QoS 1/2 readings -> their seq (status messages are not counted).
    std::map<std::uint16_t, std::uint64_t> reading_ids;
    StoreState store_state = StoreState::ok;
    std::uint64_t refused_in_a_row = 0;
    std::map<std::string, bool> sensor_failing;  // channel -> failing, for one line per change
    bool seq_warned = false;
};

}  // namespace sebind::agent
