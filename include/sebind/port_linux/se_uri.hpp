// SPDX-License-Identifier: Apache-2.0
// One string names a secure element everywhere (CLI --se, SEBIND_SE, examples):
//   emu:DIR                      emulator state directory, in process
//   emud:SOCKET[#CHIP]           emulator daemon (sebind-emud); CHIP = a chip's name (its dir's
//                                base name), default the daemon's first chip
//   i2c:/dev/i2c-N[?addr=0x20]   real chip through Linux i2c-dev
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sebind/core/clock.hpp"
#include "sebind/core/result.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/bus.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::port_linux {

enum class SeKind : std::uint8_t { emulator, daemon, i2c };

struct SeUri {
    SeKind kind = SeKind::emulator;
    std::string path;   ///< state dir, socket path or i2c device node
    std::string chip;   ///< daemon: chip name (may be empty)
    std::uint8_t address = stsafe::kDefaultI2cAddress;
};

/// Parses an SE URI. Errors: invalid_argument (unknown scheme, empty path, bad address).
Result<SeUri> parse_se_uri(std::string_view text);

/// The wall clock (CLOCK_MONOTONIC), sleeping with nanosleep.
class SystemClock final : public Clock {
public:
    std::uint32_t now_ms() noexcept override;
    void delay_ms(std::uint32_t ms) noexcept override;
};

/// An opened secure element: the bus, the clock and a driver configured for that transport.
class SeConnection {
public:
    virtual ~SeConnection() = default;
    virtual stsafe::Device& device() noexcept = 0;
    virtual SeKind kind() const noexcept = 0;
    /// The in-process emulator chip for emu: URIs (statistics, fault injection), else nullptr.
    virtual emu::Chip* emulator() noexcept { return nullptr; }
};

struct ConnectOptions {
    emu::OpenOptions emulator;  ///< for emu: URIs
};

/// Opens the secure element named by `uri`.
Result<std::unique_ptr<SeConnection>> open_se(const SeUri& uri, const ConnectOptions& options = {});

}  // namespace sebind::port_linux
