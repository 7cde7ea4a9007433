// SPDX-License-Identifier: Apache-2.0
// sebind as a service runs it: the daemon socket's permissions and what a refused user is told,
// and log lines with journald priority prefixes when stderr is the journal ($JOURNAL_STREAM).
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

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

/// `argv` as another user: nobody (uid and gid 65534) when we are root, else ourselves. Its
/// program is copied into `dir` (made searchable) first, as the build tree may be closed to others.
std::vector<std::string> as_unprivileged(const sebind::test::TempDir& dir, std::vector<std::string> argv) {
    if (::chmod(dir.path().c_str(), 0711) != 0) return {};
    std::filesystem::copy_file(argv[0], dir.file("sebind-copy"), std::filesystem::copy_options::overwrite_existing);
    ::chmod(dir.file("sebind-copy").c_str(), 0755);
    argv[0] = dir.file("sebind-copy");
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
    const auto r = run(as_unprivileged(dir, {SEBIND_BIN, "--se", "emud:" + sock, "info"}));
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
    const auto r = run(as_unprivileged(dir, {SEBIND_BIN, "--se", "emud:" + sock, "random", "8", "--hex"}));
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

TEST_F(Service, VerboseShowsTheFaultsTheDriverRecoversFromAndQuietShowsNothing) {
    const std::string sock = dir.file("emud.sock");
    // Damaged responses and commands and NACK bursts, fixed seed: the driver re-reads, re-sends and
    // polls through them, and the command still succeeds.
    Emud emud({SEBIND_EMUD_BIN, "--socket", sock, "--faults", "seed=7,crc=0.2,cmd=0.1,nack=0.1,nacklen=3", "--ready-fd",
               "{ready}", dir.file("se")});
    ASSERT_TRUE(emud.running());
    const auto verbose = run_sebind({"-v", "--se", "emud:" + sock, "info"});
    EXPECT_EQ(verbose.exit_code, 0) << verbose.output;
    const bool reread = verbose.output.find(": response damaged (") != std::string::npos &&
                        verbose.output.find("), reading it again (1 of 4)") != std::string::npos;
    const bool nacked = verbose.output.find(" NACK(s) before it answered") != std::string::npos;
    EXPECT_TRUE(reread && nacked) << verbose.output;
    EXPECT_NE(verbose.output.find("sebind: stsafe: "), std::string::npos) << verbose.output;

    const auto quiet = run_sebind({"--se", "emud:" + sock, "info"});
    EXPECT_EQ(quiet.exit_code, 0) << quiet.output;
    EXPECT_EQ(quiet.output.find("stsafe:"), std::string::npos) << quiet.output;
    EXPECT_EQ(quiet.output.find("reading it again"), std::string::npos) << quiet.output;
}

TEST_F(Service, RecoveryLinesAreRateLimitedWithACountOfWhatWasLeftOut) {
    const std::string sock = dir.file("emud.sock");
    // Realistic latency: every command is NACKed while the chip works, plus damaged frames.
    Emud emud({SEBIND_EMUD_BIN, "--socket", sock, "--latency", "realistic", "--faults", "seed=3,crc=0.3,cmd=0.2",
               "--ready-fd", "{ready}", dir.file("se")});
    ASSERT_TRUE(emud.running());
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_sebind({"-v", "--se", "emud:" + sock, "info"});
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::size_t recovery = 0, summaries = 0;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("sebind: stsafe: ", 0) != 0) continue;
        if (line.find("left out") != std::string::npos) ++summaries;
        if (line.find("NACK(s) before it answered") != std::string::npos ||
            line.find("reading it again") != std::string::npos || line.find("sending it again") != std::string::npos)
            ++recovery;
    }
    // At most 10 a second (one window per started second), and what was left out is counted.
    EXPECT_GE(recovery, 10u) << r.output;
    EXPECT_LE(recovery, 10u * (static_cast<std::size_t>(seconds.count()) + 1)) << r.output;
    EXPECT_GE(summaries, 1u) << r.output;
}

// `sebind emu power-cycle|faults|latency|stats`: the daemon's control messages from the CLI.
using EmuControl = sebind::test::CliTest;

TEST_F(EmuControl, PowerCycleRevivesAChipDarkenedByAPowerLossSetThroughFaults) {
    const std::string sock = dir.file("emud.sock");
    Emud emud({SEBIND_EMUD_BIN, "--socket", sock, "--ready-fd", "{ready}", dir.file("se")});
    ASSERT_TRUE(emud.running());
    const std::string se = "emud:" + sock;
    auto stats = run_sebind({"emu", "stats", "--socket", sock, "--json"});
    ASSERT_EQ(stats.exit_code, 0) << stats.output;
    const auto before = nlohmann::json::parse(stats.output);
    EXPECT_EQ(before["chip"], "se");
    const auto writes = before["nvm_writes"].get<std::uint64_t>();
    // Power is lost at the next NVM write: the key generation's.
    auto faults = run_sebind(
        {"emu", "faults", "--socket", sock, "--chip", "se", "powerloss=" + std::to_string(writes + 1)});
    ASSERT_EQ(faults.exit_code, 0) << faults.output;
    EXPECT_NE(faults.output.find("chip se: faults set to powerloss="), std::string::npos) << faults.output;
    auto keygen = run_sebind({"--se", se, "keygen", "--slot", "1", "--curve", "p256"});
    EXPECT_EQ(keygen.exit_code, 4) << keygen.output;
    auto dark = run_sebind({"--se", se, "random", "4", "--hex"});
    EXPECT_EQ(dark.exit_code, 4) << "unpowered until a power cycle: " << dark.output;

    auto cycle = run_sebind({"emu", "power-cycle", "--socket", sock});
    ASSERT_EQ(cycle.exit_code, 0) << cycle.output;
    EXPECT_NE(cycle.output.find("chip se power-cycled"), std::string::npos) << cycle.output;
    auto alive = run_sebind({"--se", se, "random", "4", "--hex"});
    EXPECT_EQ(alive.exit_code, 0) << alive.output;
    EXPECT_EQ(alive.output.size(), 9u) << alive.output;
    stats = run_sebind({"--json", "emu", "stats", "--socket", sock});
    ASSERT_EQ(stats.exit_code, 0) << stats.output;
    EXPECT_GT(nlohmann::json::parse(stats.output)["commands"].get<std::uint64_t>(),
              before["commands"].get<std::uint64_t>());
}

TEST_F(EmuControl, FaultsAndLatencySetAndClearedChangeWhatTheDriverMeets) {
    const std::string sock = dir.file("emud.sock");
    Emud emud({SEBIND_EMUD_BIN, "--socket", sock, "--ready-fd", "{ready}", dir.file("se")});
    ASSERT_TRUE(emud.running());
    const std::vector<std::string> info = {"-v", "--se", "emud:" + sock, "info"};
    auto clean = run_sebind(info);
    ASSERT_EQ(clean.exit_code, 0) << clean.output;
    EXPECT_EQ(clean.output.find("sebind: stsafe: "), std::string::npos) << clean.output;

    ASSERT_EQ(run_sebind({"emu", "faults", "--socket", sock, "seed=5,crc=0.3"}).exit_code, 0);
    auto damaged = run_sebind(info);
    EXPECT_EQ(damaged.exit_code, 0) << damaged.output;
    EXPECT_NE(damaged.output.find("reading it again"), std::string::npos) << damaged.output;

    auto cleared = run_sebind({"emu", "faults", "--socket", sock, "none"});
    ASSERT_EQ(cleared.exit_code, 0) << cleared.output;
    EXPECT_NE(cleared.output.find("chip se: faults cleared"), std::string::npos) << cleared.output;
    ASSERT_EQ(run_sebind({"emu", "latency", "--socket", sock, "realistic"}).exit_code, 0);
    auto slow = run_sebind(info);
    EXPECT_EQ(slow.exit_code, 0) << slow.output;
    EXPECT_EQ(slow.output.find("reading it again"), std::string::npos) << slow.output;
    EXPECT_NE(slow.output.find("NACK(s) before it answered"), std::string::npos) << slow.output;
    ASSERT_EQ(run_sebind({"emu", "latency", "--socket", sock, "zero"}).exit_code, 0);
    auto fast = run_sebind(info);
    EXPECT_EQ(fast.output.find("sebind: stsafe: "), std::string::npos) << fast.output;
}

TEST_F(EmuControl, FailuresNameTheCauseAndTheFix) {
    const std::string sock = dir.file("emud.sock");
    auto none = run_sebind({"emu", "power-cycle", "--socket", sock});
    EXPECT_EQ(none.exit_code, 4) << none.output;
    EXPECT_NE(none.output.find("start it with `sebind-emud --socket " + sock), std::string::npos) << none.output;
    EXPECT_EQ(lines(none.output), 1) << none.output;

    Emud emud({SEBIND_EMUD_BIN, "--socket", sock, "--ready-fd", "{ready}", dir.file("se")});
    ASSERT_TRUE(emud.running());
    auto chip = run_sebind({"emu", "stats", "--socket", sock, "--chip", "nosuch"});
    EXPECT_EQ(chip.exit_code, 6) << chip.output;
    EXPECT_NE(chip.output.find("nosuch"), std::string::npos) << chip.output;
    auto spec = run_sebind({"emu", "faults", "--socket", sock, "crc=2"});
    EXPECT_EQ(spec.exit_code, 2) << spec.output;
    EXPECT_NE(spec.output.find("bad fault specification 'crc=2'"), std::string::npos) << spec.output;
    auto mode = run_sebind({"emu", "latency", "--socket", sock, "slow"});
    EXPECT_EQ(mode.exit_code, 2) << mode.output;
}

TEST(EmuServe, HelpShowsTheSocketAndTheChipDirectories) {
    const auto help = run_sebind({"emu", "serve", "--help"});
    EXPECT_EQ(help.exit_code, 0) << help.output;
    for (const char* item : {"--socket", "--socket-group", "--socket-mode", "--faults", "--latency", "dirs",
                             "Chip state directories", "sebind emu power-cycle"})
        EXPECT_NE(help.output.find(item), std::string::npos) << item << " missing from: " << help.output;
}
