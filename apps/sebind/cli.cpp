// SPDX-License-Identifier: Apache-2.0
// CLI plumbing: exit codes, one-line failures with a fix, opening the secure element.
#include "cli.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "sebind/core/log.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/host/files.hpp"
#include "sebind/host/journal.hpp"
#include "sebind/stsafe/protocol.hpp"

namespace sebind::cli {

std::string exit_code_help() {
    std::string text = "Exit codes (class in --json failures):\n";
    for (const ExitCodeInfo& e : kExitCodes) {
        char row[160];
        std::snprintf(row, sizeof row, "  %2d  %-28.*s %.*s\n", static_cast<int>(e.code),
                      static_cast<int>(e.name.size()), e.name.data(), static_cast<int>(e.meaning.size()),
                      e.meaning.data());
        text += row;
    }
    return text +
           "Options --se, --json and -v go before or after the subcommand.\n"
           "SE URIs: emu:DIR | emud:SOCKET[#CHIP] | i2c:/dev/i2c-N[?addr=0x20]  (or set SEBIND_SE)\n";
}

void add_global_options(CLI::App& app, GlobalOptions& global) {
    if (app.get_prefix_command()) return;
    const char* group = "Global options (before or after the subcommand)";
    app.add_option("--se", global.se_uri,
                   "Secure element URI: emu:DIR, emud:SOCKET[#CHIP], i2c:/dev/i2c-N[?addr=0x20] (default: $SEBIND_SE)")
        ->group(group);
    app.add_flag("--json", global.json, "Machine-readable output; failures as one JSON line on stderr")->group(group);
    app.add_flag("-v,--verbose", global.verbose, "Log driver activity to stderr")->group(group);
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_global_options(*sub, global);
}

std::string failure_line(Exit code, const std::string& message, bool json) {
    if (!json) return "sebind: " + message;
    const ExitCodeInfo* info = exit_code_info(static_cast<int>(code));
    const nlohmann::ordered_json j = {{"error",
                                       {{"exit", static_cast<int>(code)},
                                        {"class", info ? std::string(info->name) : std::string("unknown")},
                                        {"message", message}}}};
    // Invalid UTF-8 (a file name, a peer's text) is replaced, never a reason to fail here.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Exit exit_for(Status s) noexcept {
    switch (s.code()) {
        case Errc::ok: return Exit::ok;
        case Errc::communication_failure:
        case Errc::busy:
        case Errc::timeout:
        case Errc::invalid_response:
        case Errc::hardware_failure: return Exit::se_unreachable;
        case Errc::integrity_failure:
        case Errc::corrupted_data: return Exit::integrity;
        case Errc::not_permitted: return Exit::se_refused;
        case Errc::does_not_exist: return Exit::not_found;
        case Errc::already_exists: return Exit::already_exists;
        case Errc::invalid_argument:
        case Errc::not_supported: return Exit::invalid_input;
        case Errc::invalid_signature: return Exit::mismatch;
        case Errc::storage_failure: return Exit::storage;
        case Errc::out_of_range:
        case Errc::buffer_too_small: return Exit::too_large;
        case Errc::expired: return Exit::expired;
    }
    return Exit::internal;
}

namespace {

/// The secure element this command has open, while it is open: a storage failure of an emulated
/// chip is its state file, named with its directory and the system's reason.
struct OpenSe {
    port_linux::SeConnection* connection = nullptr;
    std::string dir;
};
OpenSe g_open_se;

class TrackedConnection final : public port_linux::SeConnection {
public:
    TrackedConnection(std::unique_ptr<port_linux::SeConnection> inner, std::string dir) : m_inner(std::move(inner)) {
        g_open_se = {m_inner.get(), std::move(dir)};
    }
    ~TrackedConnection() override { g_open_se = {}; }
    TrackedConnection(const TrackedConnection&) = delete;
    TrackedConnection& operator=(const TrackedConnection&) = delete;
    stsafe::Device& device() noexcept override { return m_inner->device(); }
    port_linux::SeKind kind() const noexcept override { return m_inner->kind(); }
    emu::Chip* emulator() noexcept override { return m_inner->emulator(); }

private:
    std::unique_ptr<port_linux::SeConnection> m_inner;
};

/// errno of a failed state-file save of the open emulated chip, else 0.
int emulator_storage_errno() {
    emu::Chip* chip = g_open_se.connection ? g_open_se.connection->emulator() : nullptr;
    return chip ? chip->storage_errno() : 0;
}

std::string cause_and_fix(Status s) {
    if (s.code() == Errc::storage_failure) {
        if (const int err = emulator_storage_errno())
            return std::string("cannot save the emulator state in ") + g_open_se.dir + " (" + std::strerror(err) +
                   ") — " + host::write_fix(err) + "; the state file keeps its last complete write";
    }
    std::string cause;
    if (s.device_status()) {
        cause = std::string("the chip answered ") +
                stsafe::to_string(static_cast<stsafe::DeviceStatus>(s.device_status()));
        char code[8];
        std::snprintf(code, sizeof code, " (0x%02X)", s.device_status());
        cause += code;
    } else {
        cause = to_string(s.code());
    }
    // The chip's own code, when there is one, says more than our category (§3).
    const char* fix = nullptr;
    switch (s.device_status()) {
        case 0x0B: fix = "the key's usage limit is used up: generate a new key (`sebind keygen --force`)"; break;
        case 0x0F: fix = "the chip's life cycle forbids it (terminated or locked): use another chip"; break;
        case 0x11:
            fix =
                "the chip's access condition forbids it: it needs host keys (C-MAC) or a looser zone/command AC, see "
                "`sebind info`";
            break;
        case 0x09: fix = "the host C-MAC counter is exhausted: this chip can no longer take protected commands"; break;
        case 0x13: fix = "the zone's one-way counter has reached its limit"; break;
        case 0x16: fix = "the host keys do not match the chip's: provision the right ones"; break;
        default: break;
    }
    if (!fix) switch (s.code()) {
            case Errc::communication_failure:
            case Errc::busy:
            case Errc::timeout:
                fix = "check the bus/URI (--se or SEBIND_SE), the I2C wiring, or that sebind-emud is running";
                break;
            case Errc::invalid_response:
                fix = "the answer was malformed: check the bus address and wiring (or report a bug)";
                break;
            case Errc::integrity_failure:
                fix = "a MAC or CRC kept failing: check the bus wiring and the host keys";
                break;
            case Errc::hardware_failure: fix = "the chip reported an internal error: power-cycle it, then retry"; break;
            case Errc::not_permitted:
                fix = "the chip's configuration forbids this operation (see `sebind info`)";
                break;
            case Errc::does_not_exist: fix = "create it first (e.g. `sebind keygen`) or pick another slot/zone"; break;
            case Errc::already_exists: fix = "it can be written only once (use --force where offered)"; break;
            case Errc::out_of_range: fix = "stay within the zone size or counter value shown by `sebind info`"; break;
            case Errc::buffer_too_small: fix = "the data does not fit: use a larger zone or less data"; break;
            case Errc::storage_failure: fix = "check the directory exists, is writable and the disk is not full"; break;
            case Errc::corrupted_data:
                fix = "the stored data is damaged: rewrite it (emulator state: recreate it with `sebind emu init`)";
                break;
            case Errc::invalid_argument: fix = "check the arguments (`sebind --help`)"; break;
            case Errc::not_supported:
                fix = "this chip or build does not offer it (see `sebind info` for the curves and slots)";
                break;
            case Errc::invalid_signature: fix = "the key and the certificate/signature do not belong together"; break;
            case Errc::expired: fix = "renew the certificate, or pass --force to accept it anyway"; break;
            default: fix = "run with --verbose for details"; break;
        }
    return cause + " — " + fix;
}

/// The driver's log on stderr; `journal` (non-null) when stderr is the journal: each line then
/// carries its level as a priority prefix.
void log_to_stderr(void* journal, LogLevel level, const char* message) {
    std::fprintf(stderr, "%ssebind: %s\n", journal ? host::journal_prefix(level) : "", message);
}

}  // namespace

void fail(Status s, const std::string& what) { throw Failure(exit_for(s), what + ": " + cause_and_fix(s)); }

void require_zone(stsafe::Device& device, std::uint8_t zone) {
    auto partition = device.query_partition();
    if (!partition) fail(partition.status(), "query data partition");
    if (partition->find(zone)) return;
    std::string zones;  // "0-7", or the indices as ranges
    for (std::size_t i = 0; i < partition->zone_count;) {
        std::size_t j = i;
        while (j + 1 < partition->zone_count && partition->zones[j + 1].index == partition->zones[j].index + 1) ++j;
        zones += (zones.empty() ? "" : ", ") + std::to_string(partition->zones[i].index) +
                 (j > i ? "-" + std::to_string(partition->zones[j].index) : "");
        i = j + 1;
    }
    throw Failure(Exit::not_found, "zone " + std::to_string(zone) + " does not exist on this chip (its zones: " +
                                       zones + ") — pick one of them (`sebind info` lists them)");
}

void fail_write(const std::string& what, int err) {
    throw Failure(Exit::storage, "cannot write " + what + ": " + std::strerror(err) + " — " + host::write_fix(err));
}

void guard_output() { std::signal(SIGXFSZ, SIG_IGN); }

void finish_stdout() {
    errno = 0;
    const bool flushed = std::fflush(stdout) == 0;
    const int err = errno;
    if (flushed && !std::ferror(stdout)) return;
    std::clearerr(stdout);
    if (err) fail_write("standard output", err);
    throw Failure(Exit::storage,
                  "cannot write standard output (part of the output was lost) — check where it goes and free space");
}

std::unique_ptr<port_linux::SeConnection> open_se(const GlobalOptions& global,
                                                  const port_linux::ConnectOptions& options) {
    if (global.verbose) {
        static int journal = 0;  // only its address is used: non-null = stderr is the journal
        set_log_sink(log_to_stderr, host::is_journal_stream(STDERR_FILENO) ? &journal : nullptr);
        set_log_level(LogLevel::debug);
    }
    std::string text = global.se_uri;
    if (text.empty()) {
        const char* env = std::getenv("SEBIND_SE");
        if (env) text = env;
    }
    if (text.empty())
        throw Failure(Exit::no_se,
                      "no secure element — pass --se URI or set SEBIND_SE (e.g. `sebind emu init ./se && export "
                      "SEBIND_SE=emu:./se`)");
    auto uri = port_linux::parse_se_uri(text);
    if (!uri)
        throw Failure(Exit::usage, "bad secure element URI '" + text +
                                       "' — use emu:DIR, emud:SOCKET[#CHIP] or i2c:/dev/i2c-N[?addr=0x20]");
    std::string detail;
    auto conn = port_linux::open_se(*uri, options, &detail);
    if (!conn) {
        const Status s = conn.status();
        switch (uri->kind) {
            case port_linux::SeKind::emulator:
                if (s.code() == Errc::does_not_exist)
                    throw Failure(Exit::not_found, "no emulated chip in " + uri->path +
                                                       " — create one with `sebind emu init " + uri->path + "`");
                if (s.code() == Errc::corrupted_data)
                    throw Failure(Exit::integrity, "the emulator state in " + uri->path +
                                                       " is corrupted — recreate it with `sebind emu init`");
                break;
            case port_linux::SeKind::daemon:
                if (s.code() == Errc::does_not_exist)
                    throw Failure(Exit::not_found,
                                  "sebind-emud at " + uri->path + " has no chip named '" + uri->chip + "'");
                // The path or chip name can never work (e.g. longer than a socket address holds).
                if (s.code() == Errc::invalid_argument) throw Failure(Exit::invalid_input, "--se: " + detail);
                // Running, but its socket's permissions keep us out: say so, not "start it".
                if (s.code() == Errc::not_permitted) throw Failure(Exit::se_refused, detail);
                throw Failure(Exit::se_unreachable,
                              "cannot connect to sebind-emud at " + uri->path + " (" + to_string(s.code()) +
                                  ") — start it with `sebind-emud --socket " + uri->path + " DIR` or check the path");
            case port_linux::SeKind::i2c:
                throw Failure(s.code() == Errc::not_permitted ? Exit::se_refused : Exit::se_unreachable,
                              "cannot open " + uri->path + " (" + to_string(s.code()) +
                                  ") — check the I2C bus is enabled and you may access it (group i2c)");
        }
        fail(s, "cannot open the secure element");
    }
    return std::make_unique<TrackedConnection>(std::move(*conn),
                                               uri->kind == port_linux::SeKind::emulator ? uri->path : std::string());
}

}  // namespace sebind::cli
