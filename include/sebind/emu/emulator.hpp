// SPDX-License-Identifier: Apache-2.0
// A software STSAFE-A110 ("EMULATED — development only") that speaks the chip's bytes on a
// virtual I2C bus. It has no command, option or API that exports a private key.
//
//   emu::init_chip("/tmp/se", {});                      // once: keys, certificate, factory CA
//   auto chip = emu::Chip::open("/tmp/se", {});         // state persisted in /tmp/se/chip.state
//   emu::EmulatedBus bus(**chip, clock);                 // a stsafe::Bus
//   stsafe::Device se(bus, clock, emu::kDriverConfig);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sebind/core/bytes.hpp"
#include "sebind/core/clock.hpp"
#include "sebind/core/result.hpp"
#include "sebind/stsafe/bus.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::emu {

/// Identification string used wherever the emulator identifies itself.
inline constexpr const char* kBanner = "EMULATED — development only";
/// File names inside an emulator state directory.
inline constexpr const char* kStateFile = "chip.state";
inline constexpr const char* kFactoryCaFile = "factory-ca.pem";

/// Driver settings for an emulated chip: no fixed waits (the emulator NACKs while busy).
inline constexpr stsafe::DeviceConfig kDriverConfig = [] {
    stsafe::DeviceConfig c;
    c.wait_table_percent = 0;
    return c;
}();

enum class Latency : std::uint8_t {
    zero,       ///< every command completes at once
    realistic,  ///< busy (address NACK) for the A110 wait-table time of each command (§8)
};

/// Fault injection for tests. Rates are per I2C transaction; the generator is seeded, so a test
/// run is reproducible.
struct FaultConfig {
    std::uint64_t seed = 1;
    /// Probability that a response read returns one flipped bit (a later read is clean again).
    double response_corruption_rate = 0.0;
    /// Probability that a command arrives with a flipped bit (the chip answers status 0x01).
    double command_corruption_rate = 0.0;
    /// Probability that a transaction starts a burst of `nack_burst_length` address NACKs.
    double nack_burst_rate = 0.0;
    std::uint32_t nack_burst_length = 3;
    /// 1-based index of the NVM write during which power is lost (0 = never). The write does not
    /// complete, the chip stops answering (bus fault) until power_cycle(). An all-or-nothing write
    /// leaves NVM as it was; a plain Update's page write is torn: a prefix of its bytes (none, some
    /// or all, chosen from `seed` and the write's index) is written.
    std::uint64_t power_loss_at_write = 0;
};

struct InitOptions {
    /// Seed for deterministic keys and serial number in tests; 0 = from the system's entropy.
    std::uint64_t seed = 0;
    /// Subject of the device certificate in zone 0 (the CN gets the serial appended when empty).
    std::string device_common_name;
    std::uint32_t certificate_days = 3650;
};

struct OpenOptions {
    Latency latency = Latency::zero;
    FaultConfig faults;
    /// false: changes stay in memory (benchmarks, fault tests); the state file is never written.
    bool persist = true;
};

/// Creates a new chip in `dir` (created if missing; refused if it already holds a chip): product
/// data with a random serial, the A110 zone layout, a P-256 key in slot 0, a factory CA and a
/// device certificate it signs (DER in zone 0), and `dir/factory-ca.pem`. On storage_failure
/// errno holds the file system's reason.
Status init_chip(std::string_view dir, const InitOptions& options);

struct ChipStats {
    std::uint64_t commands = 0;
    std::uint64_t signatures = 0;  ///< Generate Signature commands that succeeded
    std::uint64_t key_establishments = 0;
    std::uint64_t nvm_writes = 0;
};

class Chip {
public:
    /// Loads the chip stored in `dir`. Errors: does_not_exist (no chip there: run init),
    /// corrupted_data (state file fails its integrity check), storage_failure.
    static Result<std::unique_ptr<Chip>> open(std::string_view dir, const OpenOptions& options);
    /// A fresh chip that lives only in memory (unit tests, fuzzing, benchmarks).
    static Result<std::unique_ptr<Chip>> create_in_memory(const InitOptions& init, const OpenOptions& options);

    virtual ~Chip() = default;

    /// One I2C write transaction addressed to `address` at time `now_ms`.
    virtual stsafe::BusResult i2c_write(std::uint8_t address, Bytes data, std::uint32_t now_ms) noexcept = 0;
    /// One I2C read transaction: restarts at the first byte of the pending response, 0xFF past
    /// its end (and when no response is pending).
    virtual stsafe::BusResult i2c_read(std::uint8_t address, MutableBytes out, std::uint32_t now_ms) noexcept = 0;

    /// Runs one command frame to completion, ignoring timing and faults; returns the response
    /// frame size written to `response` (kMaxResponseFrame bytes are enough). Used by the fuzzer.
    virtual std::size_t process(Bytes command, MutableBytes response) noexcept = 0;

    /// Restores the chip as after a power cycle: volatile state cleared, NVM reloaded from the
    /// last completed write, power-loss fault disarmed.
    virtual Status power_cycle() noexcept = 0;
    virtual bool powered() const noexcept = 0;
    /// errno of the state-file save that failed on the host (disk full, read-only directory,
    /// file-size limit), 0 when none did since the last power cycle. Such a chip stops
    /// answering, and its bus reports BusResult::host_storage instead of a bus fault.
    virtual int storage_errno() const noexcept = 0;
    virtual void set_faults(const FaultConfig& faults) noexcept = 0;
    virtual void set_latency(Latency latency) noexcept = 0;
    virtual const ChipStats& stats() const noexcept = 0;
};

/// A stsafe::Bus in front of an in-process Chip.
class EmulatedBus final : public stsafe::Bus {
public:
    EmulatedBus(Chip& chip, Clock& clock) noexcept : m_chip(chip), m_clock(clock) {}
    stsafe::BusResult write(std::uint8_t address, Bytes data) noexcept override {
        return m_chip.i2c_write(address, data, m_clock.now_ms());
    }
    stsafe::BusResult read(std::uint8_t address, MutableBytes out) noexcept override {
        return m_chip.i2c_read(address, out, m_clock.now_ms());
    }

private:
    Chip& m_chip;
    Clock& m_clock;
};

}  // namespace sebind::emu
