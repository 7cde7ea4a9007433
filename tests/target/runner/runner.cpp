// SPDX-License-Identifier: Apache-2.0
// main() of a target test image: runs every registered test, prints each failure with file:line
// and the active SCOPED_TRACE messages, then a summary line; the exit status (semihosting
// SYS_EXIT under QEMU) is 0 only when no test failed and at least SEBIND_TARGET_MIN_TESTS ran.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

namespace testing::internal {
namespace {

struct Registered {
    std::string name;
    std::function<void()> body;
};

struct State {
    std::vector<Registered> tests;
    std::vector<std::function<void()>> generators;
    std::vector<std::string> traces;
    bool current_failed = false;
    std::size_t failed_checks = 0;
};

State& state() {
    static State s;
    return s;
}

void print(const std::string& text) { std::fputs(text.c_str(), stdout); }

}  // namespace

bool register_test(const char* suite, const char* name, void (*body)()) {
    add_test(std::string(suite) + "." + name, body);
    return true;
}

bool register_generator(std::function<void()> generate) {
    state().generators.push_back(std::move(generate));
    return true;
}

void add_test(std::string full_name, std::function<void()> body) {
    state().tests.push_back({std::move(full_name), std::move(body)});
}

void Report::operator=(const Message& message) const {
    State& s = state();
    s.current_failed = true;
    ++s.failed_checks;
    std::string text = std::string(m_file) + ":" + std::to_string(m_line) + ": Failure: " + m_outcome.what;
    if (!message.str().empty()) text += " (" + message.str() + ")";
    text += "\n";
    for (auto it = s.traces.rbegin(); it != s.traces.rend(); ++it) text += "  trace: " + *it + "\n";
    print(text);
}

ScopedTrace::ScopedTrace(const char* file, int line, const Message& message) {
    state().traces.push_back(std::string(file) + ":" + std::to_string(line) + ": " + message.str());
}

ScopedTrace::~ScopedTrace() { state().traces.pop_back(); }

}  // namespace testing::internal

#ifndef SEBIND_TARGET_MIN_TESTS
#define SEBIND_TARGET_MIN_TESTS 1
#endif

#ifdef SEBIND_TARGET_PLANTED_FAILURE
// The runner's self-test: an image built with this definition must end with a non-zero status.
TEST(TargetRunner, PlantedFailure) { EXPECT_EQ(1 + 1, 3) << "planted failure"; }
#endif

int main() {
    using testing::internal::state;
    std::set_terminate([] {
        testing::internal::print("terminate: an exception escaped outside a test, or a noexcept function threw\n");
        std::_Exit(134);
    });
    for (const auto& generate : state().generators) generate();
    std::size_t failed = 0;
    for (const auto& test : state().tests) {
        state().current_failed = false;
        try {
            test.body();
        } catch (const std::exception& e) {
            const testing::internal::Outcome outcome{false, std::string("uncaught exception: ") + e.what()};
            testing::internal::Report("(runner)", 0, outcome) = testing::Message() << test.name;
        } catch (...) {
            testing::internal::Report("(runner)", 0, {false, "uncaught exception"}) = testing::Message() << test.name;
        }
        if (state().current_failed) {
            ++failed;
            testing::internal::print("[  FAILED  ] " + test.name + "\n");
        }
    }
    const std::size_t total = state().tests.size();
    testing::internal::print("[==========] " + std::to_string(total) + " tests, " + std::to_string(total - failed) +
                             " passed, " + std::to_string(failed) + " failed (" +
                             std::to_string(state().failed_checks) + " failed checks)\n");
    std::fflush(stdout);
    if (total < SEBIND_TARGET_MIN_TESTS) {
        testing::internal::print("[  FAILED  ] " + std::to_string(total) + " tests ran, the image must run at least " +
                                 std::to_string(SEBIND_TARGET_MIN_TESTS) + "\n");
        return 1;
    }
    return failed != 0 ? 1 : 0;
}
