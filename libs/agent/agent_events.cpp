// SPDX-License-Identifier: Apache-2.0
// Agent: session events (connected, commands, acknowledgements), taking and publishing readings,
// and one log line per change of the outbox's or a sensor's state.
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "agent_impl.hpp"
#include "sebind/core/hex.hpp"

namespace sebind::agent {

namespace {

Bytes bytes_of(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string hex2(std::uint8_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", v);
    return buf;
}

std::string interval_text(std::uint32_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", ms / 1000.0);
    return buf;
}

}  // namespace

void Agent::Impl::on_connected(const mqtt::Connack&) noexcept {
    uplink_settled = true;
    // Retained, so a monitor that subscribes later still sees the current state (the will
    // replaces it with "offline" if the connection dies).
    const nlohmann::ordered_json online = {{"state", "online"},
                                           {"interval_s", m_interval_ms / 1000.0},
                                           {"telemetry", telemetry_topic},
                                           {"qos", static_cast<int>(config.qos)}};
    status_queue.emplace_back(online.dump(), true);
}

void Agent::Impl::on_subscribed(const mqtt::Suback& suback) noexcept {
    for (const std::uint8_t code : suback.reason_codes) {
        if (code < 0x80) {
            say("subscribed to " + command_topic + " (granted QoS " + std::to_string(code) + ")");
        } else {
            say("the broker refused the subscription to " + command_topic + " (" + hex2(code) + " " +
                mqtt::reason_to_string(code, mqtt::PacketType::suback, config.protocol) +
                ") — commands will not arrive: allow it in the broker's ACL");
        }
    }
}

void Agent::Impl::on_disconnected(Status, std::uint8_t) noexcept {
    // The uplink logs the cause; the QoS 0 "offline" state is reported by the next reading.
    uplink_settled = true;
}

void Agent::Impl::on_message(const mqtt::Publish& message) noexcept {
    if (message.topic != command_topic) {
        say("message on " + printable(message.topic) + " ignored (commands come on " + command_topic + ")");
        return;
    }
    ++stats.commands;
    if (message.retain) {
        // A retained command would run again at every subscription: refuse the idea outright.
        say("retained command ignored — publish commands without the retain flag");
        return;
    }
    const std::string_view payload(reinterpret_cast<const char*>(message.payload.data()), message.payload.size());
    Command cmd = parse_command(payload);
    switch (cmd.kind) {
        case Command::Kind::set_interval: {
            const std::uint32_t before = m_interval_ms;
            m_interval_ms = static_cast<std::uint32_t>(cmd.seconds * 1000 + 0.5);
            next_sample_ms = clock.now_ms() + m_interval_ms;
            say("command set_interval: interval " + interval_text(before) + " -> " + interval_text(m_interval_ms));
            status_queue.emplace_back(command_reply_fields(cmd, m_interval_ms / 1000.0, 0), false);
            break;
        }
        case Command::Kind::publish_now:
            say("command publish_now: taking a reading now");
            publish_now = true;
            answered.push_back(std::move(cmd));  // answered with the reading's seq
            break;
        case Command::Kind::unknown:
            say("command '" + cmd.name + "' unknown — ignored and reported on " + status_topic +
                " (known: set_interval, publish_now)");
            status_queue.emplace_back(command_reply_fields(cmd, 0, 0), false);
            break;
        case Command::Kind::invalid:
            say("bad command on " + command_topic + ": " + cmd.error + " — ignored and reported on " + status_topic);
            status_queue.emplace_back(command_reply_fields(cmd, 0, 0), false);
            break;
    }
}

void Agent::Impl::on_refused(const mqtt::RefusedMessage& message) noexcept {
    ++stats.commands_refused;
    const std::string topic = printable(std::string_view(reinterpret_cast<const char*>(message.topic.data()),
                                                         message.topic.size()),
                                        128) +
                              (message.topic_truncated ? "..." : "");
    const bool too_large = message.why == mqtt::Error::packet_too_large;
    const std::string why = too_large ? "larger than the " + std::to_string(rx_limit) + " bytes the agent takes"
                                      : std::string("malformed (") + mqtt::to_string(message.why) + ")";
    say("message of " + std::to_string(message.size) + " bytes on " + topic + " refused: " + why +
        " — acknowledged and dropped, the connection stays up; send smaller, well-formed commands");
    const nlohmann::ordered_json report = {{"error", too_large ? "message too large" : "malformed message"},
                                           {"topic", topic},
                                           {"bytes", message.size},
                                           {"limit", rx_limit}};
    // The topic may not be UTF-8 (that can be why it was refused): replace, never throw.
    status_queue.emplace_back(report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), false);
}

void Agent::Impl::on_delivered(std::uint16_t packet_id, std::uint64_t, std::uint8_t reason_code) noexcept {
    const auto it = reading_ids.find(packet_id);
    if (it == reading_ids.end()) return;  // a status message, or a reading of a previous run
    const std::uint64_t reading_seq = it->second;
    reading_ids.erase(it);
    if (reason_code < 0x80) {
        ++stats.readings_delivered;
        if (refused_in_a_row > 0)
            say("telemetry accepted again after " + std::to_string(refused_in_a_row) + " refusal(s)");
        refused_in_a_row = 0;
        return;
    }
    ++stats.readings_refused;
    if (refused_in_a_row++ > 0) return;  // reported once until it changes
    const std::string why = hex2(reason_code) + " " +
                            mqtt::reason_to_string(reason_code, mqtt::PacketType::puback, config.protocol);
    say("the broker refused reading seq " + std::to_string(reading_seq) + " on " + telemetry_topic + " (" + why +
        ") — publish under devices/" + identity->common_name() +
        "/ ([telemetry] topic) or allow the topic in the broker's ACL");
    const nlohmann::ordered_json report = {{"error", "telemetry refused"},
                                           {"topic", telemetry_topic},
                                           {"seq", reading_seq},
                                           {"reason_code", reason_code},
                                           {"reason", why}};
    status_queue.emplace_back(report.dump(), false);
}

void Agent::Impl::take_reading(bool on_demand) {
    std::vector<Reading> readings;
    const double t_s = static_cast<double>(clock.now_ms() - start_ms) / 1000.0;
    for (const auto& s : sensors) s->sample(t_s, readings);
    for (const auto& r : readings) {
        bool& failing = sensor_failing[r.sensor];
        if (failing == !r.value) continue;
        failing = !r.value;
        say("sensor " + r.sensor + (failing ? ": " + r.error : ": reading again"));
    }

    Status reserved;
    const std::uint64_t s = seq->next(&reserved);
    if (!reserved.ok() && !seq_warned) {
        seq_warned = true;
        say("warning: cannot reserve sequence numbers in " + config.outbox_dir +
            "/agent.seq — after a crash seq may repeat; free disk space");
    }
    ++stats.readings;
    const std::string payload = reading_json(identity->common_name(), s, unix_now_ms(), m_interval_ms / 1000.0,
                                             readings);
    const auto published = uplink->publish(telemetry_topic, bytes_of(payload), config.qos);
    if (published.ok()) {
        if (store_state != StoreState::ok) {
            say(store_state == StoreState::offline_qos0
                    ? "QoS 0 readings are sent again (connected)"
                    : "outbox: storing readings again (from seq " + std::to_string(s) + ")");
            store_state = StoreState::ok;
        }
        if (config.qos == mqtt::QoS::at_most_once)
            ++stats.readings_delivered;
        else
            reading_ids[*published] = s;
    } else {
        ++stats.readings_dropped;
        note_store_failure(published.status(), s, payload.size());
    }
    if (on_demand) {
        for (const auto& cmd : answered)
            status_queue.emplace_back(command_reply_fields(cmd, m_interval_ms / 1000.0, s), false);
        answered.clear();
    }
}

void Agent::Impl::note_store_failure(Status why, std::uint64_t seq_no, std::size_t bytes) {
    const std::string n = "reading seq " + std::to_string(seq_no);
    StoreState state = StoreState::other;
    std::string line;
    switch (why.code()) {
        case Errc::communication_failure:
            state = StoreState::offline_qos0;
            line = n +
                   " not sent: not connected, and QoS 0 readings are not stored — set [telemetry] qos = 1 to keep them "
                   "while offline";
            break;
        case Errc::busy:
            state = StoreState::full;
            line = "outbox full (" + std::to_string(outbox->size()) + " message(s); max_messages " +
                   std::to_string(config.max_messages) + ", max_bytes " + std::to_string(config.max_bytes) + "): " + n +
                   " refused, and new readings are refused until the broker acknowledges stored ones";
            break;
        case Errc::storage_failure:
            state = StoreState::failed;
            line = "outbox cannot store " + n + " in " + storage->path() + ": " +
                   (storage->last_errno() != 0 ? std::strerror(storage->last_errno()) : "I/O error") +
                   " — free disk space (or raise the file-size limit); new readings are refused until it can store "
                   "again, stored ones are kept";
            break;
        case Errc::out_of_range:
            state = StoreState::too_large;
            line = n + " (" + std::to_string(bytes) +
                   " bytes) is too large for the outbox or the broker — configure fewer sensors";
            break;
        default: line = n + " not stored: " + std::string(to_string(why.code()));
    }
    if (state != store_state) say(line);
    store_state = state;
}

void Agent::Impl::publish_status(const std::string& fields_json, bool retain) {
    const std::string payload = status_json(identity->common_name(), unix_now_ms(), fields_json);
    const auto r = uplink->publish(status_topic, bytes_of(payload), mqtt::QoS::at_least_once, retain);
    // A failing outbox was already reported by the readings; say it here only if nothing else did.
    if (!r.ok() && store_state == StoreState::ok)
        say("status message not stored (" + std::string(to_string(r.status().code())) + "): " + fields_json);
}

}  // namespace sebind::agent
