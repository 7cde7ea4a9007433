// SPDX-License-Identifier: Apache-2.0
// emud transport of the component harness (harness_emud.cpp): compiled when the build has the
// sebind-emud target, with SEBIND_EMUD_PATH="$<TARGET_FILE:sebind-emud>" defined for it.
#pragma once

#include <memory>

#include "harness.hpp"

namespace sebind::test {

/// A fresh chip (options.init) in a private temp dir, served by its own sebind-emud process
/// (options.open.latency -> --latency, persist=false -> --no-persist, faults via SET_FAULTS).
/// The driver reaches it through port_linux::DaemonBus with a SystemClock; chip() is nullptr.
/// Destroying it stops the daemon by PID (SIGTERM, waitpid), expects a clean exit that removed
/// the socket, and deletes the temp dir. Throws std::runtime_error when the daemon cannot start.
std::unique_ptr<TestChip> make_emud_test_chip(const TestChipOptions& options);

}  // namespace sebind::test
