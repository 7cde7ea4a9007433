// SPDX-License-Identifier: Apache-2.0
// sebind-emud: serve emulated chips (state directories from `sebind emu init`) on a Unix socket.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "sebind/port_linux/daemon.hpp"

namespace {

sebind::port_linux::EmuDaemon* g_daemon = nullptr;

extern "C" void on_signal(int) {
    if (g_daemon) g_daemon->stop();
}

/// "seed=7,crc=0.01,cmd=0.01,nack=0.01,nacklen=3,powerloss=N"
bool parse_faults(const std::string& spec, sebind::emu::FaultConfig& out) {
    std::size_t pos = 0;
    while (pos < spec.size()) {
        const std::size_t comma = spec.find(',', pos);
        const std::string item = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        pos = comma == std::string::npos ? spec.size() : comma + 1;
        const auto eq = item.find('=');
        if (eq == std::string::npos) return false;
        const std::string key = item.substr(0, eq);
        const std::string value = item.substr(eq + 1);
        char* end = nullptr;
        if (key == "crc" || key == "cmd" || key == "nack") {
            const double v = std::strtod(value.c_str(), &end);
            if (*end || v < 0 || v > 1) return false;
            (key == "crc" ? out.response_corruption_rate : key == "cmd" ? out.command_corruption_rate : out.nack_burst_rate) = v;
        } else if (key == "seed" || key == "nacklen" || key == "powerloss") {
            const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
            if (*end || value.empty()) return false;
            if (key == "seed") out.seed = v;
            else if (key == "nacklen") out.nack_burst_length = static_cast<std::uint32_t>(v);
            else out.power_loss_at_write = v;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sebind-emud: emulated STSAFE-A110 chips on a Unix socket (EMULATED — development only)"};
    std::string socket_path, latency = "zero", faults_spec;
    std::vector<std::string> dirs;
    int ready_fd = -1;
    bool no_persist = false;
    app.add_option("--socket", socket_path, "Unix socket path to listen on")->required();
    app.add_option("--latency", latency, "zero | realistic (NACK for the A110 command times)")
        ->check(CLI::IsMember({"zero", "realistic"}));
    app.add_option("--faults", faults_spec, "Fault injection: seed=N,crc=RATE,cmd=RATE,nack=RATE,nacklen=N,powerloss=N");
    app.add_option("--ready-fd", ready_fd, "Write one byte to this file descriptor once listening");
    app.add_flag("--no-persist", no_persist, "Keep changes in memory; never write the state files");
    app.add_option("dirs", dirs, "Chip state directories (created by `sebind emu init DIR`)")->required();
    CLI11_PARSE(app, argc, argv);

    sebind::emu::OpenOptions options;
    options.latency = latency == "realistic" ? sebind::emu::Latency::realistic : sebind::emu::Latency::zero;
    options.persist = !no_persist;
    if (!faults_spec.empty() && !parse_faults(faults_spec, options.faults)) {
        std::fprintf(stderr, "sebind-emud: bad --faults '%s' — use e.g. seed=7,crc=0.01,nack=0.01\n", faults_spec.c_str());
        return 2;
    }
    auto daemon = sebind::port_linux::EmuDaemon::create(dirs, options);
    if (!daemon) {
        std::fprintf(stderr, "sebind-emud: cannot open the chips (%s) — create each with `sebind emu init DIR`\n",
                     sebind::to_string(daemon.status().code()));
        return 6;
    }
    if (auto st = (*daemon)->listen(socket_path); !st.ok()) {
        std::fprintf(stderr, "sebind-emud: cannot listen on %s — check the directory exists and is writable\n",
                     socket_path.c_str());
        return 4;
    }
    g_daemon = daemon->get();
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    std::fprintf(stderr, "sebind-emud: serving %zu chip(s) on %s (EMULATED — development only)\n",
                 (*daemon)->chip_count(), socket_path.c_str());
    if (ready_fd >= 0) {
        const char b = 'R';
        [[maybe_unused]] auto n = ::write(ready_fd, &b, 1);
        ::close(ready_fd);
    }
    const auto st = (*daemon)->run();
    g_daemon = nullptr;
    return st.ok() ? 0 : 4;
}
