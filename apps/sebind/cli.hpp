// SPDX-License-Identifier: Apache-2.0
// Shared plumbing of the sebind CLI: global options, exit codes, failures, opening the SE.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "sebind/core/hex.hpp"
#include "sebind/core/status.hpp"
#include "sebind/port_linux/se_uri.hpp"

namespace sebind::cli {

/// Exit codes, one per failure class; `sebind --help` prints this table.
enum class Exit : int {
    ok = 0,
    internal = 1,          ///< a bug in sebind
    usage = 2,             ///< bad arguments
    no_se = 3,             ///< no --se and no SEBIND_SE
    se_unreachable = 4,    ///< bus, daemon or chip not answering / busy / CRC errors
    se_refused = 5,        ///< the chip refused: access condition, usage limit, life cycle
    not_found = 6,         ///< empty slot, unknown zone, missing file
    already_exists = 7,    ///< would overwrite something (use --force where offered)
    invalid_input = 8,     ///< garbage file, bad certificate/CSR, wrong curve
    mismatch = 9,          ///< certificate and key do not belong together
    storage = 10,          ///< host file system (disk full, permissions, state file)
    integrity = 11,        ///< MAC / checksum / corrupted data
    expired = 12,          ///< certificate expired or not yet valid (use --force)
    too_large = 13,        ///< does not fit the zone or the frame
    // 20-29: TLS and connection failures (connect; `run` retries these instead)
    tls_not_listening = 20,     ///< nothing listens at host:port, or it is unreachable
    tls_unknown_host = 21,      ///< the host name does not resolve
    tls_timeout = 22,           ///< TCP connect, handshake or read took too long
    tls_untrusted_server = 23,  ///< the server certificate is not from the --ca
    tls_hostname = 24,          ///< the server certificate does not name --host
    tls_server_expired = 25,    ///< the server certificate is expired or not yet valid
    tls_server_rsa = 26,        ///< the server has only an RSA certificate (no ECDSA suite possible)
    tls_no_common_suite = 27,   ///< the server wants suites or curves we do not offer
    tls_client_rejected = 28,   ///< the server refused our certificate (verify-pair; the broker's CA)
    tls_protocol = 29,          ///< any other TLS failure (the message has the stack's error)
    mqtt_failure = 30,     ///< 30-39: MQTT and agent failures; 31-35: CONNECT refused (30 + 3.1.1 return code)
    agent_config = 36,     ///< `sebind run`: device.toml unreadable or invalid (the message names the key and the fix)
};

/// The table printed in --help.
std::string exit_code_help();

/// Thrown by subcommands; main prints "sebind: <message>" on one line and exits with `code`.
/// The message names the cause and the fix. What it quotes (a topic, a file's text) may hold a
/// NUL or a line break: those are escaped (\xNN), so the line is whole and stays one line.
struct Failure : std::runtime_error {
    Failure(Exit c, const std::string& message) : std::runtime_error(printable(message, 4096)), code(c) {}
    Exit code;
};

/// Exit class for a library Status.
Exit exit_for(Status s) noexcept;
/// Throws a Failure for a failed Status: "<what>: <cause> — <fix>".
[[noreturn]] void fail(Status s, const std::string& what);
inline void check(Status s, const std::string& what) { if (!s.ok()) fail(s, what); }

struct GlobalOptions {
    std::string se_uri;  ///< --se, else SEBIND_SE
    bool json = false;
    bool verbose = false;
};

/// Opens the secure element named by --se or SEBIND_SE; throws Failure(no_se) with a line
/// saying how to pass one or create an emulator when neither is set.
std::unique_ptr<port_linux::SeConnection> open_se(const GlobalOptions& global,
                                                  const port_linux::ConnectOptions& options = {});

// One function per subcommand file: each adds its subcommand(s) to the app.
void add_emu_commands(CLI::App& app, GlobalOptions& global);
void add_info_command(CLI::App& app, GlobalOptions& global);
void add_random_command(CLI::App& app, GlobalOptions& global);
void add_echo_command(CLI::App& app, GlobalOptions& global);
void add_keygen_command(CLI::App& app, GlobalOptions& global);
void add_csr_command(CLI::App& app, GlobalOptions& global);
void add_cert_commands(CLI::App& app, GlobalOptions& global);
void add_verify_pair_command(CLI::App& app, GlobalOptions& global);
void add_pki_commands(CLI::App& app, GlobalOptions& global);
void add_connect_command(CLI::App& app, GlobalOptions& global);
void add_run_command(CLI::App& app, GlobalOptions& global);

}  // namespace sebind::cli
