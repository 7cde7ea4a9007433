// SPDX-License-Identifier: Apache-2.0
// `sebind run --config device.toml`: the telemetry agent (libs/agent) in the foreground, one log
// line per state change on stdout; SIGTERM/SIGINT deliver what is stored, DISCONNECT, exit 0.
#include <csignal>
#include <cstdio>
#include <string>

#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.hpp"
#include "sebind/agent/agent.hpp"
#include "sebind/agent/config.hpp"
#include "sebind/agent/messages.hpp"
#include "sebind/agent/sensors.hpp"
#include "sebind/host/journal.hpp"
#include "service_notify.hpp"

namespace sebind::cli {

namespace {

/// SIGTERM and SIGINT become a readable descriptor: blocked signals interrupt no system call
/// (a TLS read interrupted by a handler would look like a broken connection), and the agent
/// notices them in its waits.
class StopSignals {
public:
    StopSignals() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) throw Failure(Exit::internal, "cannot block SIGTERM/SIGINT");
        m_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m_fd < 0) throw Failure(Exit::internal, "signalfd failed");
        // A closed broker socket must be an error return, not a fatal SIGPIPE; a file-size limit
        // on the outbox must be a storage error (EFBIG) the agent reports, not a SIGXFSZ death.
        std::signal(SIGPIPE, SIG_IGN);
        std::signal(SIGXFSZ, SIG_IGN);
    }
    ~StopSignals() {
        if (m_fd >= 0) ::close(m_fd);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;
    int fd() const { return m_fd; }

private:
    int m_fd = -1;
};

void print_line(const std::string& line) {
    // Into the journal, a line says its priority: warnings as such, the rest as information.
    static const bool journal = host::is_journal_stream(STDOUT_FILENO);
    const char* priority = !journal                         ? ""
                           : line.rfind("warning:", 0) == 0 ? host::journal_prefix(LogLevel::warning)
                                                            : host::journal_prefix(LogLevel::info);
    std::printf("%s%s %s\n", priority, agent::rfc3339_utc(agent::unix_now_ms()).c_str(), line.c_str());
    std::fflush(stdout);    // one line at a time into journald or a pipe
    std::clearerr(stdout);  // the log is best effort: a lost line must not fail the agent at exit
}

}  // namespace

void add_run_command(CLI::App& app, GlobalOptions& global) {
    struct Args {
        std::string config;
        std::uint64_t count = 0;
        std::uint32_t interval_ms = 0;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand(
        "run", "The telemetry agent: sensors -> JSON readings -> MQTT over mutual TLS with the chip key");
    cmd->add_option("--config", a->config, "device.toml (reference: docs/agent.md; example: examples/device.toml)")
        ->required();
    cmd->add_option("--count", a->count, "Stop after N readings of this run were delivered (QoS 0: sent)");
    cmd->add_option("--interval-ms", a->interval_ms,
                    "Sampling interval in milliseconds, overriding [telemetry] interval_s")
        ->check(CLI::Range(1u, 86'400'000u));
    cmd->footer(
        "The secure element: --se, else [se] uri in the configuration, else $SEBIND_SE.\n"
        "SIGTERM/SIGINT: stop sampling, deliver what is stored ([outbox] drain_timeout_s), DISCONNECT, exit 0.");
    cmd->callback([&global, a] {
        StopSignals signals;
        std::string error;
        auto config = agent::load_config(a->config, &error);
        if (!config) throw Failure(Exit::agent_config, error);
        // Sensors are configuration: a machine without the named hardware is a config error. An
        // entry that takes whatever the machine has (thermal, hwmon) where it has none is skipped
        // by the agent with a warning, unless no other sensor is left.
        std::size_t usable = 0;
        std::string missing;
        for (const auto& sc : config->sensors) {
            std::string why;
            const auto sensor = agent::open_sensor(sc, &why);
            const std::string at = a->config + ":" + std::to_string(sc.line) + ": ";
            if (sensor)
                ++usable;
            else if (sensor.status().code() != Errc::does_not_exist)
                throw Failure(Exit::agent_config, at + why);
            else if (missing.empty())
                missing = at + why;
        }
        if (usable == 0 && !missing.empty())
            throw Failure(Exit::agent_config, missing + " (no other sensor is configured)");
        GlobalOptions se_options = global;
        if (se_options.se_uri.empty()) se_options.se_uri = config->se_uri;  // empty: open_se falls back to SEBIND_SE
        auto se = open_se(se_options);

        agent::AgentOptions options;
        options.count = a->count;
        options.interval_ms = a->interval_ms;
        options.stop_fd = signals.fd();
        options.on_stopping = notify_stopping;
        options.on_alive = notify_watchdog;
        options.alive_interval_ms = watchdog_interval_ms();
        print_line("sebind agent starting: " + a->config);
        std::string detail;
        auto created = agent::Agent::create(*config, se->device(), options, print_line, &detail);
        if (!created) {
            const Status st = created.status();
            throw Failure(exit_for(st),
                          detail.empty() ? std::string("agent start-up failed: ") + to_string(st.code()) : detail);
        }
        notify_ready();  // checked and about to connect: systemd starts what is ordered after us
        if (const Status st = (*created)->run(); !st.ok()) fail(st, "agent");
    });
}

}  // namespace sebind::cli
