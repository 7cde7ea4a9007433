// SPDX-License-Identifier: Apache-2.0
// sebind-emud: serve emulated chips (state directories from `sebind emu init`) on a Unix socket.
// A thin main around port_linux::EmuDaemon; the protocol is docs/emud-protocol.md.
#include <climits>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <grp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "exit_codes.hpp"
#include "sebind/emud/daemon.hpp"
#include "sebind/version.h"

namespace {

// Exit codes: the classes of the sebind CLI (exit_codes.hpp).
using sebind::cli::Exit;
constexpr int kExitUsage = static_cast<int>(Exit::usage);
constexpr int kExitUnreachable = static_cast<int>(Exit::se_unreachable);
constexpr int kExitNotFound = static_cast<int>(Exit::not_found);
constexpr int kExitAlreadyExists = static_cast<int>(Exit::already_exists);
constexpr int kExitStorage = static_cast<int>(Exit::storage);
constexpr int kExitIntegrity = static_cast<int>(Exit::integrity);

sebind::port_linux::EmuDaemon* g_daemon = nullptr;

extern "C" void on_stop_signal(int) {
    if (g_daemon) g_daemon->stop();  // writes one byte to a pipe: async-signal-safe
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sebind-emud: emulated STSAFE-A110 chips on a Unix socket (EMULATED — development only)",
                 "sebind-emud"};
    app.footer(
        "Also `sebind emu serve ...`. Control a served chip: `sebind emu power-cycle|faults|latency|stats "
        "--socket PATH [--chip NAME]` (docs/emud-protocol.md).");
    std::string socket_path, latency = "zero", faults_spec;
    std::vector<std::string> dirs;
    int ready_fd = -1;
    bool no_persist = false;
    app.set_version_flag("--version", "sebind-emud " SEBIND_VERSION_STRING, "Print the version and exit");
    std::string socket_group, socket_mode = "0600";
    app.add_option("--socket", socket_path, "Unix socket path to listen on (created with mode 0600)")->required();
    app.add_option(
        "--socket-group", socket_group,
        "Group of the socket file (name or number), so that its members may connect with --socket-mode 0660");
    app.add_option("--socket-mode", socket_mode, "Permission bits of the socket file, octal (default 0600: owner only)")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                if (!text.empty() && text.size() <= 4 && text.find_first_not_of("01234567") == std::string::npos)
                    return {};
                return "takes octal permission bits such as 0600 or 0660, got '" + text + "'";
            },
            "MODE"));
    app.add_option("--latency", latency, "zero | realistic (the chip NACKs for the A110 command times)")
        ->check(CLI::IsMember({"zero", "realistic"}));
    app.add_option("--faults", faults_spec,
                   "Fault injection for every chip: seed=N,crc=RATE,cmd=RATE,nack=RATE,nacklen=N,powerloss=N");
    app.add_option("--ready-fd", ready_fd, "Write one byte to this file descriptor once listening, then close it")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                int fd = -1;
                if (CLI::detail::lexical_cast(text, fd) && fd >= 0) return {};
                return "takes an open file descriptor number (0 to " + std::to_string(INT_MAX) + "), got '" + text +
                       "'";
            },
            "FD"));
    app.add_flag("--no-persist", no_persist, "Keep changes in memory; never write the state files");
    app.add_option("dirs", dirs, "Chip state directories (created by `sebind emu init DIR`); chip name = base name")
        ->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        // One line with the exit code of a usage error, whatever CLI11's own code for it.
        std::fprintf(stderr, "sebind-emud: %s\n", sebind::cli::usage_line(e.what(), "sebind-emud").c_str());
        return kExitUsage;
    }

    sebind::emu::OpenOptions options;
    options.latency = latency == "realistic" ? sebind::emu::Latency::realistic : sebind::emu::Latency::zero;
    options.persist = !no_persist;
    if (!faults_spec.empty()) {
        auto faults = sebind::port_linux::parse_fault_spec(faults_spec);
        if (!faults) {
            std::fprintf(
                stderr,
                "sebind-emud: bad --faults '%s' — use e.g. seed=7,crc=0.01,cmd=0.01,nack=0.01,nacklen=3,powerloss=5 "
                "(rates 0..1, nacklen 1..1000)\n",
                faults_spec.c_str());
            return kExitUsage;
        }
        options.faults = *faults;
    }

    std::string why;
    auto daemon = sebind::port_linux::EmuDaemon::create(dirs, options, &why);
    if (!daemon) {
        std::fprintf(stderr, "sebind-emud: %s\n", why.c_str());
        const auto code = daemon.status().code();
        return code == sebind::Errc::corrupted_data     ? kExitIntegrity
               : code == sebind::Errc::invalid_argument ? kExitUsage
               : code == sebind::Errc::storage_failure  ? kExitStorage
                                                        : kExitNotFound;
    }

    // Hold SIGTERM/SIGINT until the handler can reach the daemon, so that a stop request that
    // arrives while starting up still ends in a clean exit that removes the socket file.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    // A file-size limit makes a state save fail with EFBIG (the chip stops answering, the state
    // file keeps its last complete write) instead of killing every chip with SIGXFSZ.
    std::signal(SIGXFSZ, SIG_IGN);

    sebind::port_linux::EmuDaemon::SocketAccess access;
    access.mode = static_cast<unsigned>(std::stoul(socket_mode, nullptr, 8));
    if (!socket_group.empty()) {
        const group* g = ::getgrnam(socket_group.c_str());
        if (g) {
            access.group = static_cast<long>(g->gr_gid);
        } else if (socket_group.find_first_not_of("0123456789") == std::string::npos && socket_group.size() <= 9) {
            access.group = std::stol(socket_group);
        } else {
            std::fprintf(stderr,
                         "sebind-emud: --socket-group '%s' is no group on this system — create it (groupadd --system "
                         "%s) or give a group number\n",
                         socket_group.c_str(), socket_group.c_str());
            return kExitUsage;
        }
    }
    if (auto st = (*daemon)->listen(socket_path, access, &why); !st.ok()) {
        std::fprintf(stderr, "sebind-emud: %s\n", why.c_str());
        return st.code() == sebind::Errc::invalid_argument ? kExitUsage
               : st.code() == sebind::Errc::already_exists ? kExitAlreadyExists
                                                           : kExitUnreachable;
    }
    g_daemon = daemon->get();
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);

    std::fprintf(stderr, "sebind-emud: serving %zu chip(s) on %s (EMULATED — development only)\n",
                 (*daemon)->chip_count(), socket_path.c_str());
    if (ready_fd >= 0) {
        const char ready = 'R';
        if (::write(ready_fd, &ready, 1) != 1)
            std::fprintf(stderr, "sebind-emud: cannot write to --ready-fd %d (ignored)\n", ready_fd);
        ::close(ready_fd);
    }
    const auto st = (*daemon)->run();
    g_daemon = nullptr;
    daemon->reset();  // closes the clients and removes the socket file
    if (!st.ok()) {
        std::fprintf(stderr, "sebind-emud: poll failed — stopping\n");
        return kExitUnreachable;
    }
    return 0;
}
