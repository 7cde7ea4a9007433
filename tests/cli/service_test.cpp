// SPDX-License-Identifier: Apache-2.0
// sebind as a service runs it: the daemon socket's permissions and what a refused user is told,
// and log lines with journald priority prefixes when stderr is the journal ($JOURNAL_STREAM).
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_support.hpp"
#include "process.hpp"

using sebind::test::lines;
using sebind::test::run;
using sebind::test::run_sebind;
using Service = sebind::test::CliTest;

namespace {

/// A sebind-emud serving the test's chip, stopped (SIGTERM) and reaped on destruction.
class Emud {
public:
    explicit Emud(std::vector<std::string> argv) : m_pid(sebind::test::start_ready(std::move(argv))) {}
    ~Emud() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGTERM);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    Emud(const Emud&) = delete;
    Emud& operator=(const Emud&) = delete;
    bool running() const { return m_pid > 0; }

private:
    pid_t m_pid;
};

/// `argv` as another user: nobody (uid and gid 65534) when we are root, else ourselves.
std::vector<std::string> as_unprivileged(std::vector<std::string> argv) {
    if (::geteuid() != 0) return argv;
    argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    return argv;
}

/// Runs `argv` with $JOURNAL_STREAM naming its own stderr, as systemd sets it for a service.
std::vector<std::string> with_stderr_as_journal(std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"sh", "-c", "JOURNAL_STREAM=$(stat -L -c %d:%i /dev/stderr) exec \"$0\" \"$@\""});
    return argv;
}

}  // namespace

TEST_F(Service, ARefusedDaemonSocketSaysPermissionDeniedAndHowToOpenIt) {
    // The test directory must be searchable by the other user; the socket stays 0600 (owner only).
    ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
    const std::string sock = dir.file("emud.sock");
    Emud emud({SEBIND_EMUD_BIN, "--socket", sock, "--ready-fd", "{ready}", dir.file("se")});
    ASSERT_TRUE(emud.running());
    // Not root: the owner is refused too once the socket grants nothing.
    if (::geteuid() != 0) {
        ASSERT_EQ(::chmod(sock.c_str(), 0), 0);
    }
    const auto r = run(as_unprivileged({SEBIND_BIN, "--se", "emud:" + sock, "info"}));
    EXPECT_EQ(r.exit_code, 5) << r.output;  // se_refused, as a /dev/i2c-N the user may not open
    EXPECT_EQ(lines(r.output), 1) << r.output;
    EXPECT_NE(r.output.find("cannot connect to sebind-emud at " + sock + ": permission denied"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("--socket-group GROUP --socket-mode 0660"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("start it"), std::string::npos) << "the daemon is running: " << r.output;
}

TEST_F(Service, ASocketGroupAndModeLetTheGroupsMembersIn) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another user";
    ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
    const std::string sock = dir.file("emud.sock");
    // 65534: nogroup on Debian, the primary group of the client below.
    Emud emud({SEBIND_EMUD_BIN, "--socket", sock, "--socket-group", "65534", "--socket-mode", "0660", "--ready-fd",
               "{ready}", dir.file("se")});
    ASSERT_TRUE(emud.running());
    struct stat st {};
    ASSERT_EQ(::stat(sock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    EXPECT_EQ(st.st_gid, 65534u);
    const auto r = run(as_unprivileged({SEBIND_BIN, "--se", "emud:" + sock, "random", "8", "--hex"}));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.size(), 17u) << r.output;
}

TEST_F(Service, BadSocketGroupOrModeIsAUsageError) {
    const std::string sock = dir.file("emud.sock");
    auto r = run({SEBIND_EMUD_BIN, "--socket", sock, "--socket-group", "no-such-group-here", dir.file("se")});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("groupadd --system no-such-group-here"), std::string::npos) << r.output;
    r = run({SEBIND_EMUD_BIN, "--socket", sock, "--socket-mode", "0698", dir.file("se")});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("octal"), std::string::npos) << r.output;
}

TEST_F(Service, IntoTheJournalAFailureLineCarriesTheErrorPriority) {
    const std::vector<std::string> argv = {SEBIND_BIN, "--se", "emu:" + dir.file("none"), "info"};
    const auto journal = run(with_stderr_as_journal(argv));
    EXPECT_EQ(journal.exit_code, 6) << journal.output;
    EXPECT_EQ(journal.output.rfind("<3>sebind: no emulated chip in ", 0), 0u) << journal.output;
    // Anywhere else (a terminal, a pipe, JOURNAL_STREAM naming another file): no prefix.
    const auto plain = run(argv);
    EXPECT_EQ(plain.output.rfind("sebind: no emulated chip in ", 0), 0u) << plain.output;
    ASSERT_EQ(::setenv("JOURNAL_STREAM", "1:2", 1), 0);
    const auto other = run(argv);
    ::unsetenv("JOURNAL_STREAM");
    EXPECT_EQ(other.output.rfind("sebind: no emulated chip in ", 0), 0u) << other.output;
}
