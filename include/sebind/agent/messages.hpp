// SPDX-License-Identifier: Apache-2.0
// What the agent says on the wire (JSON): readings on devices/<CN>/telemetry, states and replies
// on devices/<CN>/status, and the commands it accepts on devices/<CN>/commands (docs/agent.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sebind/agent/sensors.hpp"

namespace sebind::agent {

/// RFC 3339 UTC with milliseconds: "2026-11-25T10:50:00.123Z".
std::string rfc3339_utc(std::int64_t unix_ms);
/// Milliseconds since the Unix epoch (CLOCK_REALTIME).
std::int64_t unix_now_ms() noexcept;

/// {"device","seq","time","interval_s","readings":[{"sensor","value"|"error","unit","label"?}]}.
std::string reading_json(const std::string& device, std::uint64_t seq, std::int64_t unix_ms, double interval_s,
                         const std::vector<Reading>& readings);

struct Command {
    enum class Kind : std::uint8_t { set_interval, publish_now, unknown, invalid };
    Kind kind = Kind::invalid;
    std::string name;     ///< the "cmd" value (empty when absent)
    double seconds = 0;   ///< set_interval: 0.01..86400
    std::string id_json;  ///< the optional "id" member as JSON text, echoed in the reply ("" when absent)
    std::string error;    ///< invalid: what is wrong, one line
};

/// Parses {"cmd":"set_interval","seconds":N}, {"cmd":"publish_now"} (each may carry "id").
/// Anything else is `unknown` (a well-formed command we do not know) or `invalid` (not JSON, no
/// "cmd", seconds missing or out of range).
Command parse_command(std::string_view payload);

/// A status message: {"device","time",...fields}. `fields_json` is a JSON object whose members
/// are merged in (e.g. {"ack":"publish_now","seq":3}).
std::string status_json(const std::string& device, std::int64_t unix_ms, const std::string& fields_json);

/// The reply to a command: {"ack":...} or {"error":...}, with its id when it had one.
std::string command_reply_fields(const Command& command, double interval_s, std::uint64_t seq);

}  // namespace sebind::agent
