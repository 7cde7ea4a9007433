// SPDX-License-Identifier: Apache-2.0
// emud transport of the component harness: a real sebind-emud process on a private socket,
// started per test, waited for through --ready-fd (no sleeps), stopped by PID.
#include <filesystem>
#include <stdexcept>
#include <string>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.hpp"
#include "sebind/port_linux/daemon.hpp"
#include "sebind/port_linux/se_uri.hpp"

namespace sebind::test {

namespace {

class EmudChip final : public TestChip {
public:
    explicit EmudChip(const TestChipOptions& options) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sebind-emud-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        m_dir = tmpl;
        const std::string chip_dir = m_dir + "/chip";
        if (!emu::init_chip(chip_dir, options.init).ok()) throw std::runtime_error("init_chip failed");
        const std::string socket = m_dir + "/emud.sock";

        int ready[2];
        if (::pipe(ready) != 0) throw std::runtime_error("pipe failed");
        m_pid = ::fork();
        if (m_pid < 0) throw std::runtime_error("fork failed");
        if (m_pid == 0) {
            ::close(ready[0]);
            const std::string fd = std::to_string(ready[1]);
            std::vector<std::string> args = {SEBIND_EMUD_PATH, "--socket", socket, "--ready-fd", fd};
            if (options.open.latency == emu::Latency::realistic) args.insert(args.end(), {"--latency", "realistic"});
            if (!options.open.persist) args.emplace_back("--no-persist");
            args.push_back(chip_dir);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(ready[1]);
        char b = 0;
        const ssize_t n = ::read(ready[0], &b, 1);  // blocks until the daemon listens (or dies)
        ::close(ready[0]);
        if (n != 1) throw std::runtime_error("sebind-emud did not start");
        auto bus = port_linux::DaemonBus::connect(socket, "chip");
        if (!bus) throw std::runtime_error("cannot connect to sebind-emud");
        m_bus = std::move(*bus);
        m_device = std::make_unique<stsafe::Device>(*m_bus, m_clock, emu::kDriverConfig);
        if (options.open.faults.power_loss_at_write || options.open.faults.response_corruption_rate > 0 ||
            options.open.faults.command_corruption_rate > 0 || options.open.faults.nack_burst_rate > 0)
            set_faults(options.open.faults);
    }
    ~EmudChip() override {
        m_device.reset();
        m_bus.reset();
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
        }
        std::filesystem::remove_all(m_dir);
    }
    stsafe::Device& device() override { return *m_device; }
    emu::Chip* chip() override { return nullptr; }
    void set_faults(const emu::FaultConfig& faults) override {
        if (!m_bus->set_faults(faults).ok()) throw std::runtime_error("set_faults failed");
    }
    void set_latency(emu::Latency latency) override {
        if (!m_bus->set_latency(latency).ok()) throw std::runtime_error("set_latency failed");
    }
    Status power_cycle() override { return m_bus->power_cycle(); }
    emu::ChipStats stats() override {
        auto s = m_bus->stats();
        if (!s) throw std::runtime_error("stats failed");
        return *s;
    }
    std::string state_dir() const override { return m_dir + "/chip"; }
    const char* transport() const override { return "emud"; }
    Clock& clock() override { return m_clock; }

private:
    std::string m_dir;
    pid_t m_pid = -1;
    port_linux::SystemClock m_clock;
    std::unique_ptr<port_linux::DaemonBus> m_bus;
    std::unique_ptr<stsafe::Device> m_device;
};

}  // namespace

std::unique_ptr<TestChip> make_emud_test_chip(const TestChipOptions& options) {
    return std::make_unique<EmudChip>(options);
}

}  // namespace sebind::test
