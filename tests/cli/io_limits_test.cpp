// SPDX-License-Identifier: Apache-2.0
// `sebind` against a full disk, a file-size limit, a read-only state directory and oversized
// inputs: exit 10 (host storage) or 13 (too large) with one line naming the file and the reason,
// nothing half-written left behind, the chip's previous state intact.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <csignal>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "process.hpp"

using sebind::test::lines;
using sebind::test::read_text;
using sebind::test::run;
using sebind::test::run_sebind;
using sebind::test::RunResult;
using sebind::test::TempDir;
using sebind::test::write_file;

namespace {

/// sebind with its standard output redirected to `target` (stderr still captured).
RunResult sebind_stdout_to(const std::string& target, std::vector<std::string> args) {
    std::vector<std::string> argv = {"sh", "-c", "exec \"$0\" \"$@\" > \"$SEBIND_TEST_STDOUT\"", SEBIND_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    ::setenv("SEBIND_TEST_STDOUT", target.c_str(), 1);
    auto r = run(argv);
    ::unsetenv("SEBIND_TEST_STDOUT");
    return r;
}

/// sebind with RLIMIT_FSIZE set to `bytes` in the child before it executes (prlimit(1)).
RunResult sebind_with_file_limit(std::size_t bytes, std::vector<std::string> args) {
    std::vector<std::string> argv = {"prlimit", "--fsize=" + std::to_string(bytes), SEBIND_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

bool contains(const std::string& s, const std::string& piece) { return s.find(piece) != std::string::npos; }

/// Files in `dir` whose name contains ".tmp" (left-over temporary files).
std::vector<std::string> temporaries(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (contains(e.path().filename().string(), ".tmp")) out.push_back(e.path().string());
    return out;
}

class CliLimits : public sebind::test::CliTest {
protected:
    bool slot1_has_key() {
        auto r = run_sebind({se_option, "--json", "info"});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return nlohmann::json::parse(r.output)["key_slots"][1]["present"].get<bool>();
    }
    /// A certificate for slot 1's key from a development CA (keygen, csr, pki dev, pki sign).
    std::string issue_certificate() {
        EXPECT_EQ(run_sebind({se_option, "csr", "--subject", "CN=device-001", "-o", dir.file("dev.csr")}).exit_code, 0);
        EXPECT_EQ(run_sebind({"pki", "dev", "--out", dir.file("pki")}).exit_code, 0);
        auto r = run_sebind({"pki", "sign", "--ca", dir.file("pki"), dir.file("dev.csr"), "-o", dir.file("dev.crt")});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return dir.file("dev.crt");
    }
};

}  // namespace

TEST_F(CliLimits, OutputToAFullDeviceIsExitTenWithTheReason) {
    ASSERT_EQ(run_sebind({se_option, "keygen"}).exit_code, 0);
    // stdout: data commands whose output is lost must not report success.
    for (const auto& args : std::vector<std::vector<std::string>>{{se_option, "info"},
                                                                  {se_option, "--json", "info"},
                                                                  {se_option, "cert", "show", "--pem"},
                                                                  {se_option, "csr", "--subject", "CN=x"}}) {
        auto r = sebind_stdout_to("/dev/full", args);
        EXPECT_EQ(r.exit_code, 10) << args.back() << ": " << r.output;
        EXPECT_EQ(lines(r.output), 1) << r.output;
        EXPECT_TRUE(contains(r.output, "cannot write standard output: No space left on device — free space"))
            << r.output;
    }
    // -o naming a device that is full.
    auto csr = run_sebind({se_option, "csr", "--subject", "CN=x", "-o", "/dev/full"});
    EXPECT_EQ(csr.exit_code, 10) << csr.output;
    EXPECT_TRUE(contains(csr.output, "cannot write /dev/full: No space left on device")) << csr.output;
    // keygen: the key exists now, and the line says so rather than only "cannot write".
    auto keygen = run_sebind({se_option, "keygen", "--force", "-o", "/dev/full"});
    EXPECT_EQ(keygen.exit_code, 10) << keygen.output;
    EXPECT_EQ(lines(keygen.output), 1) << keygen.output;
    EXPECT_TRUE(contains(keygen.output, "the key was generated in slot 1")) << keygen.output;
    EXPECT_TRUE(contains(keygen.output, "No space left on device")) << keygen.output;
}

TEST_F(CliLimits, KeygenFindsAnUnwritableOutputBeforeGeneratingAKey) {
    auto r = run_sebind({se_option, "keygen", "-o", dir.file("no-such-dir/pub.pem")});
    EXPECT_EQ(r.exit_code, 10) << r.output;
    EXPECT_EQ(lines(r.output), 1) << r.output;
    EXPECT_TRUE(contains(r.output, "cannot write " + dir.file("no-such-dir/pub.pem") + ": No such file or directory"))
        << r.output;
    EXPECT_FALSE(slot1_has_key()) << "nothing was generated";
    // A written output replaces the file whole: the PEM, no temporary file beside it.
    write_file(dir.file("pub.pem"), std::string("old content\n"));
    ASSERT_EQ(run_sebind({se_option, "keygen", "-o", dir.file("pub.pem")}).exit_code, 0);
    EXPECT_TRUE(contains(read_text(dir.file("pub.pem")), "-----BEGIN PUBLIC KEY-----"));
    EXPECT_TRUE(temporaries(dir.path()).empty());
}

TEST_F(CliLimits, FileSizeLimitIsHostStorageAndLeavesTheStateIntact) {
    // RLIMIT_FSIZE below the state file's size: each state save fails with EFBIG. sebind must
    // neither die of SIGXFSZ nor leave chip.state.tmp, and the chip must keep its last state.
    ASSERT_EQ(run_sebind({se_option, "keygen"}).exit_code, 0);
    const std::string crt = issue_certificate();
    const std::string state = dir.file("se/chip.state");
    const std::string before = read_text(state);
    ASSERT_GT(before.size(), 4096u);

    for (const auto& args : std::vector<std::vector<std::string>>{{se_option, "keygen", "--force", "--curve", "p384"},
                                                                  {se_option, "cert", "store", crt}}) {
        auto r = sebind_with_file_limit(4096, args);
        EXPECT_EQ(r.exit_code, 10) << args[1] << ": " << r.output;
        EXPECT_EQ(lines(r.output), 1) << r.output;
        EXPECT_TRUE(contains(r.output, "cannot save the emulator state in " + dir.file("se") + " (File too large)"))
            << r.output;
        EXPECT_TRUE(contains(r.output, "ulimit -f")) << r.output;
        EXPECT_TRUE(temporaries(dir.file("se")).empty());
        EXPECT_EQ(read_text(state), before) << args[1];
    }
    // The chip still works from the old state: slot 1 is still the P-256 key, the CSR verifies.
    auto csr = run_sebind({se_option, "csr", "--subject", "CN=device-001"});
    EXPECT_EQ(csr.exit_code, 0) << csr.output;

    auto init = sebind_with_file_limit(4096, {"emu", "init", dir.file("se2")});
    EXPECT_EQ(init.exit_code, 10) << init.output;
    EXPECT_TRUE(contains(init.output, "cannot write the emulator state in " + dir.file("se2") + ": File too large"))
        << init.output;
    EXPECT_FALSE(std::filesystem::exists(dir.file("se2/chip.state")));
    EXPECT_TRUE(temporaries(dir.file("se2")).empty());
}

TEST_F(CliLimits, ReadOnlyStateDirectoryIsHostStorageNamingTheDirectory) {
    // CI runs as root, which ignores permission bits: a read-only bind mount in a private mount
    // namespace makes the directory really read-only, for this command only.
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for unshare -m (CI runs as root)";
    ASSERT_EQ(run_sebind({se_option, "keygen"}).exit_code, 0);
    const std::string state_dir = dir.file("se");
    const std::string before = read_text(state_dir + "/chip.state");
    auto r = run(
        {"unshare", "-m", "sh", "-c",
         "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && exec \"$0\" --se \"emu:$1\" keygen --force",
         SEBIND_BIN, state_dir});
    EXPECT_EQ(r.exit_code, 10) << r.output;
    EXPECT_EQ(lines(r.output), 1) << r.output;
    EXPECT_TRUE(contains(r.output, "cannot save the emulator state in " + state_dir + " (Read-only file system)"))
        << r.output;
    EXPECT_FALSE(contains(r.output, "I2C")) << r.output;
    EXPECT_EQ(read_text(state_dir + "/chip.state"), before);
}

TEST_F(CliLimits, OversizedInputsAreTooLargeNamingTheFileAndTheLimit) {
    ASSERT_EQ(run_sebind({se_option, "keygen"}).exit_code, 0);
    // Past the 256 KiB limit for certificates and requests: refused before parsing, whatever
    // the content (the device in the field: /dev/zero).
    const std::string big = dir.file("big.pem");
    write_file(big, std::string(256 * 1024 + 1, 'A'));
    ASSERT_EQ(run_sebind({"pki", "dev", "--out", dir.file("pki")}).exit_code, 0);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {se_option, "cert", "store", big},
             {se_option, "verify-pair", "--cert", big},
             {"pki", "sign", "--ca", dir.file("pki"), big, "-o", dir.file("x.crt")}}) {
        auto r = run_sebind(args);
        EXPECT_EQ(r.exit_code, 13) << args[1] << ": " << r.output;
        EXPECT_EQ(lines(r.output), 1) << r.output;
        EXPECT_TRUE(contains(r.output, big + " is larger than 256 KiB")) << r.output;
    }
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.crt")));
    // A directory where a file is expected says so.
    auto d = run_sebind({se_option, "cert", "store", dir.path()});
    EXPECT_EQ(d.exit_code, 8) << d.output;
    EXPECT_TRUE(contains(d.output, dir.path() + " is a directory")) << d.output;
}

TEST_F(CliLimits, RunWithADirectoryAsConfigSaysItIsADirectory) {
    auto r = run_sebind({se_option, "run", "--config", dir.path()});
    EXPECT_EQ(r.exit_code, 36) << r.output;
    EXPECT_EQ(lines(r.output), 1) << r.output;
    EXPECT_TRUE(contains(r.output, dir.path() + " is a directory")) << r.output;
    EXPECT_FALSE(contains(r.output, "[broker]")) << r.output;
}

TEST_F(CliLimits, VerifyPairWithAnRsaCertificateNamesBothKeys) {
    ASSERT_EQ(run_sebind({se_option, "keygen"}).exit_code, 0);
    auto rsa = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.file("rsa.key"), "-out",
                    dir.file("rsa.pem"), "-subj", "/CN=rsa-device", "-days", "30"});
    ASSERT_EQ(rsa.exit_code, 0) << rsa.output;
    auto r = run_sebind({se_option, "verify-pair", "--slot", "1", "--cert", dir.file("rsa.pem")});
    EXPECT_EQ(r.exit_code, 9) << r.output;
    EXPECT_EQ(lines(r.output), 1) << r.output;
    EXPECT_TRUE(contains(r.output, "RSA-2048 key")) << r.output;
    EXPECT_TRUE(contains(r.output, "slot 1 holds an EC P-256 key")) << r.output;
    EXPECT_FALSE(contains(r.output, "CHIP ERROR")) << r.output;
}

TEST_F(CliLimits, AgentWithAZoneOnAnotherCurveThanTheSlotIsAMismatch) {
    // Slot 1 holds a P-384 key, zone 0 the factory P-256 certificate: a key/certificate mismatch
    // (9, which the unit's RestartPreventExitStatus stops on), not invalid input (8).
    ASSERT_EQ(run_sebind({se_option, "keygen", "--curve", "p384"}).exit_code, 0);
    write_file(dir.file("device.toml"), "[se]\nuri = \"emu:" + dir.file("se") +
                                            "\"\n[identity]\nslot = 1\nzone = 0\n"
                                            "[broker]\nhost = \"localhost\"\nport = 1\nca_file = \"" +
                                            dir.file("se/factory-ca.pem") +
                                            "\"\n"
                                            "[outbox]\ndir = \"" +
                                            dir.file("outbox") +
                                            "\"\n"
                                            "[[sensor]]\ntype = \"simulated\"\nname = \"sim\"\n");
    auto r = run_sebind({"run", "--config", dir.file("device.toml"), "--count", "1"});
    EXPECT_EQ(r.exit_code, 9) << r.output;
    EXPECT_TRUE(contains(r.output, "has an EC P-256 key, not the key in slot 1")) << r.output;
}

TEST_F(CliLimits, DaemonUnderAFileSizeLimitSurvivesAndReportsHostStorage) {
    // sebind-emud with RLIMIT_FSIZE below the state file's size, set in the child before exec:
    // a state save fails with EFBIG. The daemon must not die of SIGXFSZ; the client learns it is
    // the host's storage (10), and the state file keeps its last complete write.
    ASSERT_EQ(run_sebind({se_option, "keygen"}).exit_code, 0);
    const std::string state = dir.file("se/chip.state");
    const std::string before = read_text(state);
    const std::string sock = dir.file("emud.sock");
    const pid_t pid = sebind::test::start_ready(
        {SEBIND_EMUD_BIN, "--socket", sock, "--ready-fd", "{ready}", dir.file("se")}, [] {
            const rlimit limit{4096, 4096};
            if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
        });
    ASSERT_GT(pid, 0);
    auto r = run_sebind({"--se", "emud:" + sock, "keygen", "--force", "--curve", "p384"});
    int status = 0;
    const pid_t still_running = ::waitpid(pid, &status, WNOHANG);
    if (still_running == 0) {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, &status, 0);
    }
    EXPECT_EQ(still_running, 0) << "sebind-emud died"
                                << (WIFSIGNALED(status) ? " of signal " + std::to_string(WTERMSIG(status)) : "");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(r.exit_code, 10) << r.output;
    EXPECT_EQ(lines(r.output), 1) << r.output;
    EXPECT_EQ(read_text(state), before);
    EXPECT_TRUE(temporaries(dir.file("se")).empty());
}
