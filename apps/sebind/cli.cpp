// SPDX-License-Identifier: Apache-2.0
// CLI plumbing: exit codes, one-line failures with a fix, opening the secure element.
#include "cli.hpp"

#include <cstdio>
#include <cstdlib>

#include "sebind/core/log.hpp"
#include "sebind/stsafe/protocol.hpp"

namespace sebind::cli {

std::string exit_code_help() {
    return "Exit codes:\n"
           "  0 success            1 internal error      2 usage error\n"
           "  3 no secure element  4 SE unreachable/busy 5 chip refused (access condition, limit)\n"
           "  6 not found          7 already exists      8 invalid input\n"
           "  9 cert/key mismatch  10 host storage       11 integrity (MAC, checksum)\n"
           "  12 expired           13 too large\n"
           "  20 nothing listening 21 unknown host       22 timeout\n"
           "  23 untrusted server  24 name mismatch      25 server cert expired\n"
           "  26 static RSA only   27 no common suite    28 our cert refused     29 other TLS error\n"
           "  30 MQTT failure      31-35 broker refused CONNECT (30 + return code)\n"
           "  36 bad agent configuration (device.toml)\n"
           "SE URIs: emu:DIR | emud:SOCKET[#CHIP] | i2c:/dev/i2c-N[?addr=0x20]  (or set SEBIND_SE)\n";
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

std::string cause_and_fix(Status s) {
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
        case 0x11: fix = "the chip's access condition forbids it: it needs host keys (C-MAC) or a looser zone/command AC, see `sebind info`"; break;
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
        case Errc::integrity_failure: fix = "a MAC or CRC kept failing: check the bus wiring and the host keys"; break;
        case Errc::hardware_failure: fix = "the chip reported an internal error: power-cycle it, then retry"; break;
        case Errc::not_permitted: fix = "the chip's configuration forbids this operation (see `sebind info`)"; break;
        case Errc::does_not_exist: fix = "create it first (e.g. `sebind keygen`) or pick another slot/zone"; break;
        case Errc::already_exists: fix = "it can be written only once (use --force where offered)"; break;
        case Errc::out_of_range: fix = "stay within the zone size or counter value shown by `sebind info`"; break;
        case Errc::buffer_too_small: fix = "the data does not fit: use a larger zone or less data"; break;
        case Errc::storage_failure: fix = "check the directory exists, is writable and the disk is not full"; break;
        case Errc::corrupted_data: fix = "the stored data is damaged: rewrite it (emulator state: recreate it with `sebind emu init`)"; break;
        case Errc::invalid_argument: fix = "check the arguments (`sebind --help`)"; break;
        case Errc::not_supported: fix = "this chip or build does not offer it (see `sebind info` for the curves and slots)"; break;
        case Errc::invalid_signature: fix = "the key and the certificate/signature do not belong together"; break;
        case Errc::expired: fix = "renew the certificate, or pass --force to accept it anyway"; break;
        default: fix = "run with --verbose for details"; break;
    }
    return cause + " — " + fix;
}

void log_to_stderr(void*, LogLevel, const char* message) { std::fprintf(stderr, "sebind: %s\n", message); }

}  // namespace

void fail(Status s, const std::string& what) { throw Failure(exit_for(s), what + ": " + cause_and_fix(s)); }

std::unique_ptr<port_linux::SeConnection> open_se(const GlobalOptions& global, const port_linux::ConnectOptions& options) {
    if (global.verbose) {
        set_log_sink(log_to_stderr, nullptr);
        set_log_level(LogLevel::debug);
    }
    std::string text = global.se_uri;
    if (text.empty()) {
        const char* env = std::getenv("SEBIND_SE");
        if (env) text = env;
    }
    if (text.empty())
        throw Failure(Exit::no_se,
                      "no secure element: pass --se URI or set SEBIND_SE (e.g. `sebind emu init ./se && export SEBIND_SE=emu:./se`)");
    auto uri = port_linux::parse_se_uri(text);
    if (!uri)
        throw Failure(Exit::usage, "bad secure element URI '" + text +
                                       "' — use emu:DIR, emud:SOCKET[#CHIP] or i2c:/dev/i2c-N[?addr=0x20]");
    auto conn = port_linux::open_se(*uri, options);
    if (!conn) {
        const Status s = conn.status();
        switch (uri->kind) {
            case port_linux::SeKind::emulator:
                if (s.code() == Errc::does_not_exist)
                    throw Failure(Exit::not_found, "no emulated chip in " + uri->path + " — create one with `sebind emu init " + uri->path + "`");
                if (s.code() == Errc::corrupted_data)
                    throw Failure(Exit::integrity, "the emulator state in " + uri->path + " is corrupted — recreate it with `sebind emu init`");
                break;
            case port_linux::SeKind::daemon:
                if (s.code() == Errc::does_not_exist)
                    throw Failure(Exit::not_found, "sebind-emud at " + uri->path + " has no chip named '" + uri->chip + "'");
                throw Failure(Exit::se_unreachable, "cannot connect to sebind-emud at " + uri->path + " (" +
                                                        to_string(s.code()) + ") — start it with `sebind-emud --socket " +
                                                        uri->path + " DIR` or check the path");
            case port_linux::SeKind::i2c:
                throw Failure(s.code() == Errc::not_permitted ? Exit::se_refused : Exit::se_unreachable,
                              "cannot open " + uri->path + " (" + to_string(s.code()) +
                                  ") — check the I2C bus is enabled and you may access it (group i2c)");
        }
        fail(s, "cannot open the secure element");
    }
    return std::move(*conn);
}

}  // namespace sebind::cli
