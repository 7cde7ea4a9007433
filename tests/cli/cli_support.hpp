// SPDX-License-Identifier: Apache-2.0
// Shared by the CLI tests: running the `sebind` binary, counting output lines, an emulated chip
// per test, and starting a daemon that signals readiness on a pipe.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.hpp"

namespace sebind::test {

inline RunResult run_sebind(std::vector<std::string> args) {
    args.insert(args.begin(), SEBIND_BIN);
    return run(args);
}

inline int lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

/// Forks and executes `argv`, in which "{ready}" stands for the write end of a pipe the program
/// signals readiness on (`--ready-fd`); `in_child` runs in the child before exec (limits). Returns
/// the child's PID once it is ready, -1 when it never became ready (it is then reaped).
inline pid_t start_ready(std::vector<std::string> argv, const std::function<void()>& in_child = {}) {
    int ready[2];
    if (::pipe(ready) != 0) return -1;
    for (auto& a : argv)
        if (a == "{ready}") a = std::to_string(ready[1]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(ready[0]);
        if (in_child) in_child();
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(ready[1]);
    char b = 0;
    const bool ok = pid > 0 && ::read(ready[0], &b, 1) == 1;
    ::close(ready[0]);
    if (pid > 0 && !ok) {
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    return ok ? pid : -1;
}

/// A fresh emulated chip (CN device-001) in a temporary directory: `uri` = "emu:DIR/se", `se_option` =
/// the same as one --se=URI argument.
class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        ::unsetenv("SEBIND_SE");
        auto r = run_sebind({"emu", "init", dir.file("se"), "--cn", "device-001"});
        ASSERT_EQ(r.exit_code, 0) << r.output;
        uri = "emu:" + dir.file("se");
        se_option = "--se=" + uri;
    }
    TempDir dir;
    std::string uri;
    std::string se_option;
};

}  // namespace sebind::test
