// SPDX-License-Identifier: Apache-2.0
// Test harness: one component suite, several transports. SEBIND_TEST_TRANSPORT selects how the
// driver reaches the emulated chip: "inproc" (default, emu::EmulatedBus) or "emud" (a
// sebind-emud daemon started by the harness on a private socket, stopped by PID).
#pragma once

#include <memory>
#include <string>

#include "sebind/core/clock.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::test {

class TestChip {
public:
    virtual ~TestChip() = default;
    virtual stsafe::Device& device() = 0;
    /// The in-process chip (statistics, direct inspection), or nullptr through the daemon.
    virtual emu::Chip* chip() = 0;
    /// Changes fault injection / latency on the running chip.
    virtual void set_faults(const emu::FaultConfig& faults) = 0;
    virtual void set_latency(emu::Latency latency) = 0;
    /// Power cycle: volatile state lost, NVM reloaded from the last completed write.
    virtual Status power_cycle() = 0;
    /// Emulator statistics (through the daemon too).
    virtual emu::ChipStats stats() = 0;
    /// Directory holding the chip state and factory-ca.pem (empty for in-memory chips).
    virtual std::string state_dir() const = 0;
    /// "inproc" or "emud".
    virtual const char* transport() const = 0;
    /// The clock the driver waits on (ManualClock in process, the system clock through emud).
    virtual Clock& clock() = 0;
};

struct TestChipOptions {
    emu::InitOptions init{.seed = 42, .device_common_name = {}, .certificate_days = 3650};
    emu::OpenOptions open{};
    bool on_disk = true;  ///< false: in-memory chip (inproc only; emud always uses a directory)
};

/// Creates a fresh chip for one test on the transport SEBIND_TEST_TRANSPORT names.
std::unique_ptr<TestChip> make_test_chip(const TestChipOptions& options = {});

/// The transport the suite runs on ("inproc" or "emud").
std::string test_transport();

}  // namespace sebind::test
