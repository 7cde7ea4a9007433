// SPDX-License-Identifier: Apache-2.0
// AgentConfig: what `sebind run --config device.toml` reads (docs/agent.md has the reference).
//
//     std::string error;
//     auto cfg = agent::load_config("/etc/sebind/device.toml", &error);
//     if (!cfg) { std::fprintf(stderr, "%s\n", error.c_str()); return 36; }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sebind/core/result.hpp"
#include "sebind/mqtt/codec/types.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"

namespace sebind::agent {

enum class SensorType : std::uint8_t { thermal, hwmon, loadavg, simulated };
const char* to_string(SensorType t) noexcept;

enum class Waveform : std::uint8_t { sine, triangle, sawtooth, square, constant };
const char* to_string(Waveform w) noexcept;

/// One [[sensor]] entry. Only the fields of its type are used.
struct SensorConfig {
    SensorType type = SensorType::simulated;
    std::string name;  ///< prefix of its readings' names (default: the type)
    // thermal: <root>/thermal_zone*/temp (m°C); hwmon: <root>/hwmon*/temp*_input (m°C);
    // loadavg: `root` is the file itself (default /proc/loadavg).
    std::string root;
    std::vector<std::string> only;  ///< thermal: zone directories; hwmon: chip names (`name` file). Empty = all
    // simulated: a deterministic function of the time since start.
    std::string unit;
    Waveform waveform = Waveform::sine;
    double period_s = 60.0;  ///< the waveform repeats every period_s seconds (its rate)
    double min = 0.0, max = 1.0;
    int line = 0;  ///< line of the entry in the file (for messages)
};

enum class TlsStack : std::uint8_t { mbedtls, wolfssl };
/// `any`: the stack's default (mbedTLS: 1.2; wolfSSL: 1.3, falling back to 1.2).
enum class TlsVersion : std::uint8_t { any, tls12, tls13 };

struct AgentConfig {
    std::string source;  ///< the file it came from ("" when parsed from text)

    // [se]
    std::string se_uri;  ///< empty: --se / SEBIND_SE decide

    // [identity]
    std::uint8_t slot = 1;
    std::optional<std::uint8_t> zone;  ///< default identity::default_zone(slot)

    // [broker]
    std::string host = "localhost";
    std::uint16_t port = 8883;
    std::string ca_file;            ///< required
    std::string chain_file;         ///< PEM intermediate CA(s) sent after the device certificate; empty: none
    std::vector<std::string> alpn;  ///< ALPN protocols offered, in preference order; empty: none
    std::uint16_t keep_alive_s = 60;
    std::string client_id;  ///< empty: the certificate's CN
    mqtt::ProtocolVersion protocol = mqtt::ProtocolVersion::v3_1_1;
    TlsStack stack = TlsStack::mbedtls;
    TlsVersion tls_version = TlsVersion::any;
    bool session_tickets = true;            ///< false: resume by session id only (mbedTLS stack)
    bool chip_ecdhe = false;                ///< ECDHE in the chip (mbedTLS stack; docs/tls-mbedtls.md)
    bool clean_start = false;               ///< false: the broker keeps our subscription and queued commands
    std::uint32_t session_expiry_s = 3600;  ///< MQTT 5: how long the broker keeps that session
    std::uint32_t timeout_ms = 10'000;      ///< TCP connect, TLS handshake, CONNACK
    std::uint32_t reconnect_initial_ms = 1'000;
    std::uint32_t reconnect_max_ms = 60'000;

    // [outbox]
    std::string outbox_dir = "/var/lib/sebind/outbox";
    std::size_t max_messages = 10'000;
    std::uint64_t max_bytes = 16u << 20;
    mqtt::SyncPolicy sync = mqtt::SyncPolicy::every_record;
    std::uint32_t drain_timeout_ms = 5'000;  ///< SIGTERM: how long to try delivering what is stored

    // [telemetry]
    double interval_s = 10.0;
    mqtt::QoS qos = mqtt::QoS::at_least_once;
    std::string topic;  ///< may contain {cn}; empty: devices/{cn}/telemetry

    std::vector<SensorConfig> sensors;  ///< at least one
};

/// Parses TOML text. Unknown sections and keys, wrong types and values out of range are refused
/// with one line in `error`: "<source>:<line>: <what> — <fix>". Relative paths (ca_file,
/// chain_file, outbox dir, sensor roots) are resolved against `base_dir` when it is not empty.
/// Errors: invalid_argument (the text), the caller prints `error`.
Result<AgentConfig> parse_config(const std::string& text, const std::string& source, const std::string& base_dir,
                                 std::string* error);

/// Reads and parses `path`; relative paths inside resolve against the file's directory.
/// Errors: does_not_exist (cannot read the file), invalid_argument (see parse_config).
Result<AgentConfig> load_config(const std::string& path, std::string* error);

/// The topic with `{cn}` replaced by the certificate's common name.
std::string expand_topic(const std::string& pattern, const std::string& common_name);

}  // namespace sebind::agent
