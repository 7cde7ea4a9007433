// SPDX-License-Identifier: Apache-2.0
// emud transport of the component harness: a real sebind-emud process per test on a private
// socket, waited for through --ready-fd (no sleeps), driven through DaemonBus + SystemClock,
// controlled through DaemonControl, stopped by PID (SIGTERM, waitpid).
#include "harness_emud.hpp"

#include <csignal>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sebind/emud/daemon.hpp"
#include "sebind/se_uri/se_uri.hpp"

#ifndef SEBIND_EMUD_PATH
#error "SEBIND_EMUD_PATH must name the sebind-emud executable ($<TARGET_FILE:sebind-emud>)"
#endif

extern char** environ;

namespace sebind::test {

namespace {

constexpr const char* kChipName = "chip";

class EmudChip final : public TestChip {
public:
    explicit EmudChip(const TestChipOptions& options) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sebind-emud-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        m_dir = tmpl;
        try {
            start(options);
        } catch (...) {
            shutdown();  // the destructor does not run for a half-built object
            throw;
        }
    }
    ~EmudChip() override {
        const int exit_code = shutdown();
        // The daemon must stop cleanly on SIGTERM and remove its socket file.
        EXPECT_EQ(exit_code, 0) << "sebind-emud did not exit cleanly on SIGTERM";
    }

    stsafe::Device& device() override { return *m_device; }
    emu::Chip* chip() override { return nullptr; }
    void set_faults(const emu::FaultConfig& faults) override {
        if (!m_control->set_faults(faults).ok()) throw std::runtime_error("sebind-emud: SET_FAULTS failed");
    }
    void set_latency(emu::Latency latency) override {
        if (!m_control->set_latency(latency).ok()) throw std::runtime_error("sebind-emud: SET_LATENCY failed");
    }
    Status power_cycle() override { return m_control->power_cycle(); }
    emu::ChipStats stats() override {
        auto s = m_control->stats();
        if (!s) throw std::runtime_error("sebind-emud: STATS failed");
        return *s;
    }
    std::string state_dir() const override { return m_dir + "/" + kChipName; }
    const char* transport() const override { return "emud"; }
    Clock& clock() override { return m_clock; }

private:
    void start(const TestChipOptions& options) {
        const std::string chip_dir = state_dir();
        if (!emu::init_chip(chip_dir, options.init).ok()) throw std::runtime_error("init_chip failed");
        m_socket = m_dir + "/emud.sock";

        std::vector<std::string> args = {SEBIND_EMUD_PATH, "--socket", m_socket, "--ready-fd", "3"};
        if (options.open.latency == emu::Latency::realistic) args.insert(args.end(), {"--latency", "realistic"});
        if (!options.open.persist) args.emplace_back("--no-persist");
        args.push_back(chip_dir);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);

        // The ready pipe is close-on-exec except as the daemon's fd 3 (dup2 clears the flag), so
        // no other child inherits it and EOF means the daemon died before listening.
        int ready[2];
        if (::pipe2(ready, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, ready[1], 3);
        const int spawned = ::posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(ready[1]);
        if (spawned != 0) {
            ::close(ready[0]);
            m_pid = -1;
            throw std::runtime_error(std::string("cannot start ") + SEBIND_EMUD_PATH);
        }
        char b = 0;
        const ssize_t n = ::read(ready[0], &b, 1);  // blocks until the daemon listens (or dies)
        ::close(ready[0]);
        if (n != 1) throw std::runtime_error("sebind-emud exited before listening");

        std::string why;
        auto bus = port_linux::DaemonBus::connect(m_socket, kChipName, &why);
        if (!bus) throw std::runtime_error(why);
        m_bus = std::move(*bus);
        auto control = port_linux::DaemonControl::connect(m_socket, kChipName, &why);
        if (!control) throw std::runtime_error(why);
        m_control = std::move(*control);
        m_device = std::make_unique<stsafe::Device>(*m_bus, m_clock, emu::kDriverConfig);
        const emu::FaultConfig& f = options.open.faults;
        if (f.power_loss_at_write || f.response_corruption_rate > 0 || f.command_corruption_rate > 0 ||
            f.nack_burst_rate > 0)
            set_faults(f);
    }

    /// Stops the daemon (SIGTERM, waitpid) and removes the temp dir; returns the daemon's exit
    /// code (-1 if it was killed by a signal or never started, 100 if it left its socket behind).
    int shutdown() {
        m_device.reset();
        m_control.reset();
        m_bus.reset();
        int exit_code = -1;
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            int status = 0;
            if (::waitpid(m_pid, &status, 0) == m_pid && WIFEXITED(status)) exit_code = WEXITSTATUS(status);
            m_pid = -1;
            if (exit_code == 0 && std::filesystem::exists(m_socket)) exit_code = 100;
        }
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
        return exit_code;
    }

    std::string m_dir;
    std::string m_socket;
    pid_t m_pid = -1;
    port_linux::SystemClock m_clock;
    std::unique_ptr<port_linux::DaemonBus> m_bus;
    std::unique_ptr<port_linux::DaemonControl> m_control;
    std::unique_ptr<stsafe::Device> m_device;
};

}  // namespace

std::unique_ptr<TestChip> make_emud_test_chip(const TestChipOptions& options) {
    return std::make_unique<EmudChip>(options);
}

}  // namespace sebind::test
