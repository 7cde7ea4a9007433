// SPDX-License-Identifier: Apache-2.0
// Shared plumbing of the sebind CLI: global options, exit codes, failures, opening the SE.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "exit_codes.hpp"  // the exit codes (enum Exit) and their table, one source
#include "sebind/core/hex.hpp"
#include "sebind/core/status.hpp"
#include "sebind/se_uri/se_uri.hpp"

namespace sebind::tls {
enum class Failure : std::uint8_t;  // include/sebind/tls/report.hpp
}

namespace sebind::cli {

/// The table printed in --help (from kExitCodes).
std::string exit_code_help();

/// Thrown by subcommands; main prints "sebind: <message>" on one line (under --json the line
/// `{"error":{"exit":N,"class":"NAME","message":"..."}}`) and exits with `code`.
/// The message names the cause and the fix.
/// What it quotes (a topic, a file's text) may hold a NUL or a line break: those are escaped
/// (\xNN), so the line is whole and stays one line.
struct Failure : std::runtime_error {
    Failure(Exit c, const std::string& message) : std::runtime_error(printable(message, 4096)), code(c) {}
    Exit code;
};

/// Exit class for a library Status.
Exit exit_for(Status s) noexcept;
/// Exit class for a TLS failure (20-29, see `sebind --help`); in cmd_connect.cpp.
Exit exit_for(tls::Failure f);
/// Throws a Failure for a failed Status: "<what>: <cause> — <fix>".
[[noreturn]] void fail(Status s, const std::string& what);
inline void check(Status s, const std::string& what) {
    if (!s.ok()) fail(s, what);
}

/// Failure(storage): "cannot write <what>: <the system's reason> — <fix>" (free space, raise the
/// file-size limit, make the directory writable...).
[[noreturn]] void fail_write(const std::string& what, int err);
/// At start: a file-size limit (ulimit -f) makes writes fail with EFBIG, reported like a full
/// disk, instead of killing the program with SIGXFSZ.
void guard_output();
/// At the end of a command: flushes stdout; Failure(storage) when any of its output was lost.
void finish_stdout();

struct GlobalOptions {
    std::string se_uri;  ///< --se, else SEBIND_SE
    bool json = false;
    bool verbose = false;
};

/// Adds --se, --json and -v/--verbose to `app` and to every subcommand below it, so that they
/// are accepted before or after any subcommand and shown in each --help (commands that hand
/// their arguments to another program, `emu serve`, are left alone).
void add_global_options(CLI::App& app, GlobalOptions& global);

/// The one line a failure prints on stderr: "sebind: <message>", or under --json
/// {"error":{"exit":N,"class":"NAME","message":"..."}}.
std::string failure_line(Exit code, const std::string& message, bool json);

/// Opens the secure element named by --se or SEBIND_SE; throws Failure(no_se) with a line
/// saying how to pass one or create an emulator when neither is set.
std::unique_ptr<port_linux::SeConnection> open_se(const GlobalOptions& global,
                                                  const port_linux::ConnectOptions& options = {});

/// The one rule for --zone in every command: the zone must be in the chip's partition (Query);
/// otherwise Failure(not_found) "zone N does not exist on this chip (zones ...)".
void require_zone(stsafe::Device& device, std::uint8_t zone);

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
void add_doctor_command(CLI::App& app, GlobalOptions& global);

}  // namespace sebind::cli
