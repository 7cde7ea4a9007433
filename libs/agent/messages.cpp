// SPDX-License-Identifier: Apache-2.0
// JSON readings, status messages and command parsing (nlohmann-json), RFC 3339 timestamps.
#include "sebind/agent/messages.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace sebind::agent {

// Ordered: members appear as written (device, seq, time, ...), which reads better in a log.
using json = nlohmann::ordered_json;

std::int64_t unix_now_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

std::string rfc3339_utc(std::int64_t unix_ms) {
    // Floor division so that times before 1970 still give a valid (if unlikely) timestamp.
    std::int64_t secs = unix_ms / 1000, ms = unix_ms % 1000;
    if (ms < 0) ms += 1000, --secs;
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];  // room for any int the format could print (keeps -Wformat-truncation quiet)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

std::string reading_json(const std::string& device, std::uint64_t seq, std::int64_t unix_ms, double interval_s,
                         const std::vector<Reading>& readings) {
    json list = json::array();
    for (const auto& r : readings) {
        json item = {{"sensor", r.sensor}};
        if (r.value)
            item["value"] = *r.value;
        else
            item["error"] = r.error;
        if (!r.unit.empty()) item["unit"] = r.unit;
        if (!r.label.empty()) item["label"] = r.label;
        list.push_back(std::move(item));
    }
    const json j = {{"device", device},
                    {"seq", seq},
                    {"time", rfc3339_utc(unix_ms)},
                    {"interval_s", interval_s},
                    {"readings", list}};
    // Sensor files may hold any bytes: replace what is not UTF-8 rather than throw.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Command parse_command(std::string_view payload) {
    Command c;
    const json j = json::parse(payload.begin(), payload.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        c.error = "not a JSON object";
        return c;
    }
    if (j.contains("id")) c.id_json = j["id"].dump();
    if (!j.contains("cmd") || !j["cmd"].is_string()) {
        c.error = "no \"cmd\" string";
        return c;
    }
    c.name = j["cmd"].get<std::string>();
    if (c.name == "publish_now") {
        c.kind = Command::Kind::publish_now;
    } else if (c.name == "set_interval") {
        if (!j.contains("seconds") || !j["seconds"].is_number()) {
            c.error = "set_interval needs \"seconds\": a number";
            return c;
        }
        const double s = j["seconds"].get<double>();
        if (!std::isfinite(s) || s < 0.01 || s > 86400) {
            c.error = "set_interval \"seconds\" must be in 0.01..86400";
            return c;
        }
        c.kind = Command::Kind::set_interval;
        c.seconds = s;
    } else {
        c.kind = Command::Kind::unknown;
    }
    return c;
}

std::string status_json(const std::string& device, std::int64_t unix_ms, const std::string& fields_json) {
    json j = {{"device", device}, {"time", rfc3339_utc(unix_ms)}};
    const json fields = json::parse(fields_json, nullptr, false);
    if (fields.is_object()) j.update(fields);
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string command_reply_fields(const Command& command, double interval_s, std::uint64_t seq) {
    json j;
    switch (command.kind) {
        case Command::Kind::set_interval: j = {{"ack", "set_interval"}, {"interval_s", interval_s}}; break;
        case Command::Kind::publish_now: j = {{"ack", "publish_now"}, {"seq", seq}}; break;
        case Command::Kind::unknown:
            j = {{"error", "unknown command"},
                 {"cmd", command.name},
                 {"known", json::array({"set_interval", "publish_now"})}};
            break;
        case Command::Kind::invalid: j = {{"error", "bad command"}, {"detail", command.error}}; break;
    }
    if (!command.id_json.empty()) j["id"] = json::parse(command.id_json, nullptr, false);
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sebind::agent
