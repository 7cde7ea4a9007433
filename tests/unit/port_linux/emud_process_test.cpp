// SPDX-License-Identifier: Apache-2.0
// The sebind-emud executable: readiness (--ready-fd, banner), clean stop on SIGTERM/SIGINT with
// the socket file removed, --faults/--latency/--no-persist, and one-line failures with exit codes.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sebind/emud/daemon.hpp"
#include "sebind/se_uri/se_uri.hpp"
#include "sebind/stsafe/device.hpp"

extern char** environ;

using namespace sebind;
using namespace sebind::port_linux;

namespace {

const std::vector<std::uint8_t> kEchoCommand = {0x00, 0x01, 0x02, 0x03, 0xA7, 0x29};

/// A sebind-emud process: its stderr is captured and, with a ready pipe, it gets --ready-fd 3.
class Emud {
public:
    explicit Emud(std::vector<std::string> args, bool ready_pipe = true) {
        int err[2], ready[2] = {-1, -1};
        EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
        if (ready_pipe) {
            EXPECT_EQ(::pipe2(ready, O_CLOEXEC), 0);
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, err[1], 2);
        if (ready_pipe) {
            posix_spawn_file_actions_adddup2(&actions, ready[1], 3);  // dup2 clears close-on-exec
            args.insert(args.begin(), {"--ready-fd", "3"});
        }
        args.insert(args.begin(), SEBIND_EMUD_PATH);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        EXPECT_EQ(::posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(err[1]);
        m_err = err[0];
        if (ready_pipe) {
            ::close(ready[1]);
            char b = 0;
            m_ready = ::read(ready[0], &b, 1) == 1;  // blocks until listening, or EOF if it died
            ::close(ready[0]);
        }
    }
    ~Emud() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        ::close(m_err);
    }
    bool ready() const { return m_ready; }
    /// Sends `sig` (0: none) and returns the exit code (or 128 + signal).
    int stop(int sig = SIGTERM) {
        if (sig) ::kill(m_pid, sig);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    /// Everything the process wrote to stderr (call after stop()).
    std::string errors() {
        std::string out;
        char buf[512];
        ssize_t n;
        while ((n = ::read(m_err, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
        return out;
    }

private:
    pid_t m_pid = -1;
    int m_err = -1;
    bool m_ready = false;
};

class EmudProcess : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/sebind-emudp-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        ASSERT_TRUE(emu::init_chip(dir + "/one", {.seed = 5, .device_common_name = {}, .certificate_days = 10}).ok());
        ASSERT_TRUE(emu::init_chip(dir + "/two", {.seed = 6, .device_common_name = {}, .certificate_days = 10}).ok());
        sock = dir + "/emud.sock";
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    std::string dir, sock;
};

}  // namespace

TEST_F(EmudProcess, ServesUntilSigtermThenRemovesItsSocket) {
    Emud emud({"--socket", sock, dir + "/one", dir + "/two"});
    ASSERT_TRUE(emud.ready());
    EXPECT_TRUE(std::filesystem::is_socket(sock));
    auto bus = DaemonBus::connect(sock, "two");
    ASSERT_TRUE(bus);
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), stsafe::BusResult::ok);
    // An idle connected client does not delay the stop.
    EXPECT_EQ(emud.stop(SIGTERM), 0);
    EXPECT_FALSE(std::filesystem::exists(sock));
    EXPECT_EQ(emud.errors(), "sebind-emud: serving 2 chip(s) on " + sock + " (EMULATED — development only)\n");
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), stsafe::BusResult::fault);
}

TEST_F(EmudProcess, SigintStopsItToo) {
    Emud emud({"--socket", sock, dir + "/one"});
    ASSERT_TRUE(emud.ready());
    EXPECT_EQ(emud.stop(SIGINT), 0);
    EXPECT_FALSE(std::filesystem::exists(sock));
}

TEST_F(EmudProcess, FaultsAndLatencyFromTheCommandLine) {
    {
        Emud emud({"--socket", sock, "--faults", "seed=3,nack=1,nacklen=2", dir + "/one"});
        ASSERT_TRUE(emud.ready());
        auto bus = DaemonBus::connect(sock, "");
        ASSERT_TRUE(bus);
        EXPECT_EQ((*bus)->write(0x20, kEchoCommand), stsafe::BusResult::nack);
        EXPECT_EQ((*bus)->write(0x20, kEchoCommand), stsafe::BusResult::nack);
        EXPECT_EQ(emud.stop(), 0);
    }
    {
        Emud emud({"--socket", sock, "--latency", "realistic", dir + "/one"});
        ASSERT_TRUE(emud.ready());
        auto uri = parse_se_uri("emud:" + sock + "#one");
        ASSERT_TRUE(uri);
        auto se = open_se(*uri);
        ASSERT_TRUE(se);
        std::uint8_t digest[32] = {9};
        ASSERT_TRUE((*se)->device().generate_signature(0, digest));
        EXPECT_GT((*se)->device().stats().nacks, 0u);
        EXPECT_EQ(emud.stop(), 0);
    }
}

TEST_F(EmudProcess, PersistsUnlessToldNotTo) {
    const std::vector<std::uint8_t> data(8, 0x77);
    auto write_zone = [&](std::vector<std::string> extra) {
        extra.insert(extra.end(), {"--socket", sock, dir + "/one"});
        Emud emud(extra);
        ASSERT_TRUE(emud.ready());
        auto se = open_se(*parse_se_uri("emud:" + sock));
        ASSERT_TRUE(se);
        ASSERT_TRUE((*se)->device().update(3, 0, data).ok());
        EXPECT_EQ(emud.stop(), 0);
    };
    auto zone_now = [&] {
        auto se = open_se(*parse_se_uri("emu:" + dir + "/one"));
        std::vector<std::uint8_t> out(8);
        EXPECT_TRUE(se && (*se)->device().read(3, 0, out).ok());
        return out;
    };
    const auto before = zone_now();
    ASSERT_NE(before, data);
    write_zone({"--no-persist"});
    EXPECT_EQ(zone_now(), before);
    write_zone({});
    EXPECT_EQ(zone_now(), data);
}

TEST_F(EmudProcess, FailuresAreOneLineWithDistinctExitCodes) {
    struct Case {
        std::vector<std::string> args;
        int exit_code;
        std::string says;
    };
    {
        std::FILE* f = std::fopen((dir + "/file").c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fclose(f);
    }
    const std::vector<Case> cases = {
        {{"--socket", sock, "--faults", "crc=2", dir + "/one"}, 2, "bad --faults 'crc=2'"},
        {{"--socket", sock, "--faults", "bogus=1", dir + "/one"}, 2, "bad --faults"},
        {{"--socket", sock, dir + "/one", dir + "/one/"}, 2, "two chip directories are named 'one'"},
        {{"--socket", sock, dir + "/none"}, 6, "sebind emu init " + dir + "/none"},
        {{"--socket", dir + "/file", dir + "/one"}, 7, "is not a socket"},
        {{"--socket", dir + "/no/such/dir/s.sock", dir + "/one"}, 4, "cannot bind"},
    };
    for (const auto& tc : cases) {
        Emud emud(tc.args, false);
        EXPECT_EQ(emud.stop(0), tc.exit_code) << tc.says;
        const std::string err = emud.errors();
        EXPECT_NE(err.find(tc.says), std::string::npos) << err;
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
        EXPECT_EQ(err.rfind("sebind-emud: ", 0), 0u) << err;
    }
    EXPECT_TRUE(std::filesystem::is_regular_file(dir + "/file"));  // untouched
    // A second daemon on a live socket refuses and leaves the first one serving.
    Emud first({"--socket", sock, dir + "/one"});
    ASSERT_TRUE(first.ready());
    Emud second({"--socket", sock, dir + "/two"}, false);
    EXPECT_EQ(second.stop(0), 7);
    EXPECT_NE(second.errors().find("another process is serving"), std::string::npos);
    EXPECT_TRUE(DaemonBus::connect(sock, "one"));
    EXPECT_EQ(first.stop(), 0);
}
