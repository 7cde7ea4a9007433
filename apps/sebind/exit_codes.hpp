// SPDX-License-Identifier: Apache-2.0
// The exit codes of sebind and sebind-emud: one code per failure class. `kExitCodes` is the one
// source: `sebind --help` prints it, `--json` failures name its class, and a test checks the
// tables in README.md and docs/ against it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace sebind::cli {

enum class Exit : int {
    ok = 0,
    internal = 1,
    usage = 2,
    no_se = 3,
    se_unreachable = 4,
    se_refused = 5,
    not_found = 6,
    already_exists = 7,
    invalid_input = 8,
    mismatch = 9,
    storage = 10,
    integrity = 11,
    expired = 12,
    too_large = 13,
    // 20-29: TLS and connection failures (connect; `run` retries these instead)
    tls_not_listening = 20,
    tls_unknown_host = 21,
    tls_timeout = 22,
    tls_untrusted_server = 23,
    tls_hostname = 24,
    tls_server_expired = 25,
    tls_server_rsa = 26,
    tls_no_common_suite = 27,
    tls_client_rejected = 28,
    tls_protocol = 29,
    // 30-39: MQTT and agent failures; 31-35: CONNECT refused (30 + the MQTT 3.1.1 return code)
    mqtt_failure = 30,
    mqtt_refused_version = 31,
    mqtt_refused_client_id = 32,
    mqtt_refused_unavailable = 33,
    mqtt_refused_credentials = 34,
    mqtt_refused_not_authorized = 35,
    agent_config = 36,
    // 40-49: diagnosis
    doctor_gaps = 40,
};

struct ExitCodeInfo {
    Exit code;
    std::string_view name;     ///< the class in `--json` failures and in the docs' tables
    std::string_view meaning;  ///< one line, as `sebind --help` prints it
};

inline constexpr ExitCodeInfo kExitCodes[] = {
    {Exit::ok, "ok", "success"},
    {Exit::internal, "internal", "a bug in sebind (please report it)"},
    {Exit::usage, "usage", "bad arguments"},
    {Exit::no_se, "no_se", "no --se and no SEBIND_SE"},
    {Exit::se_unreachable, "se_unreachable", "bus, daemon or chip not answering, busy, CRC errors"},
    {Exit::se_refused, "se_refused", "the chip refused: access condition, usage limit, life cycle"},
    {Exit::not_found, "not_found", "empty slot, unknown zone, missing file"},
    {Exit::already_exists, "already_exists", "would overwrite something (use --force where offered)"},
    {Exit::invalid_input, "invalid_input", "garbage file, bad certificate/CSR/subject/path, wrong curve"},
    {Exit::mismatch, "mismatch", "certificate and key do not belong together"},
    {Exit::storage, "storage", "host file system: disk full, permissions, state file"},
    {Exit::integrity, "integrity", "MAC, checksum or corrupted data"},
    {Exit::expired, "expired", "certificate expired or not yet valid (use --force)"},
    {Exit::too_large, "too_large", "does not fit the zone, the frame or the request size"},
    {Exit::tls_not_listening, "tls_not_listening", "nothing listens at host:port, or it is unreachable"},
    {Exit::tls_unknown_host, "tls_unknown_host", "the host name does not resolve"},
    {Exit::tls_timeout, "tls_timeout", "TCP connect, handshake or read took too long"},
    {Exit::tls_untrusted_server, "tls_untrusted_server", "the server certificate is not from the --ca"},
    {Exit::tls_hostname, "tls_hostname", "the server certificate does not name --host"},
    {Exit::tls_server_expired, "tls_server_expired", "the server certificate is expired or not yet valid"},
    {Exit::tls_server_rsa, "tls_server_rsa", "the server offers only RSA key exchange (no ECDHE: no forward secrecy)"},
    {Exit::tls_no_common_suite, "tls_no_common_suite",
     "the server wants suites, curves or a TLS version we do not offer"},
    {Exit::tls_client_rejected, "tls_client_rejected", "the server refused our certificate"},
    {Exit::tls_protocol, "tls_protocol", "any other TLS failure (the message has the stack's error)"},
    {Exit::mqtt_failure, "mqtt_failure", "MQTT failure: no CONNACK, connection lost, publish refused"},
    {Exit::mqtt_refused_version, "mqtt_refused_version", "the broker refused CONNECT: unacceptable protocol version"},
    {Exit::mqtt_refused_client_id, "mqtt_refused_client_id", "the broker refused CONNECT: client identifier rejected"},
    {Exit::mqtt_refused_unavailable, "mqtt_refused_unavailable", "the broker refused CONNECT: server unavailable"},
    {Exit::mqtt_refused_credentials, "mqtt_refused_credentials",
     "the broker refused CONNECT: bad user name or password"},
    {Exit::mqtt_refused_not_authorized, "mqtt_refused_not_authorized", "the broker refused CONNECT: not authorized"},
    {Exit::agent_config, "agent_config", "`sebind run`: device.toml unreadable or invalid"},
    {Exit::doctor_gaps, "doctor_gaps", "`sebind doctor`: something blocks a handshake (each gap is listed)"},
};

/// The codes a restart cannot cure: a person has to change the configuration, the chip, its
/// certificate or the broker first (a full disk, a chip that stopped answering or a lost network
/// may clear by themselves and are left out). The systemd unit
/// (examples/systemd/sebind-agent.service) lists exactly these in RestartPreventExitStatus, and a
/// test checks that it does.
inline constexpr Exit kExitNeedsPerson[] = {
    Exit::usage,
    Exit::no_se,
    Exit::se_refused,
    Exit::not_found,
    Exit::already_exists,
    Exit::invalid_input,
    Exit::mismatch,
    Exit::integrity,
    Exit::expired,
    Exit::too_large,
    Exit::tls_untrusted_server,
    Exit::tls_hostname,
    Exit::tls_server_expired,
    Exit::tls_server_rsa,
    Exit::tls_no_common_suite,
    Exit::tls_client_rejected,
    Exit::mqtt_refused_version,
    Exit::mqtt_refused_client_id,
    Exit::mqtt_refused_credentials,
    Exit::mqtt_refused_not_authorized,
    Exit::agent_config,
};

/// The row of `code`, or nullptr for a number that is no exit code.
constexpr const ExitCodeInfo* exit_code_info(int code) noexcept {
    for (const ExitCodeInfo& e : kExitCodes)
        if (static_cast<int>(e.code) == code) return &e;
    return nullptr;
}

/// A parser's complaint as one line that names the help to read:
/// "<what> — see `<command> --help`" (the exit code is Exit::usage).
inline std::string usage_line(std::string what, const std::string& command) {
    std::replace(what.begin(), what.end(), '\n', ' ');
    return what + " — see `" + command + " --help`";
}

}  // namespace sebind::cli
