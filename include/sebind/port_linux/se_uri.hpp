// SPDX-License-Identifier: Apache-2.0
// One string names a secure element everywhere (CLI --se, SEBIND_SE, examples):
//   emu:DIR                      emulator state directory, in process
//   emud:SOCKET[#CHIP]           emulator daemon (sebind-emud); CHIP = a chip's name (its dir's
//                                base name), default the daemon's first chip
//   i2c:/dev/i2c-N[?addr=0x20]   real chip through Linux i2c-dev; addr in hex (0x..) or decimal,
//                                a 7-bit address outside the reserved ranges (0x08..0x77)
//
//   auto uri = port_linux::parse_se_uri("emud:/tmp/se.sock#chip1");
//   std::string why;
//   auto se = uri ? port_linux::open_se(*uri, {}, &why) : uri.status();
//   if (!se) { fprintf(stderr, "%s\n", why.c_str()); ... }
//   auto pd = (*se)->device().query_product_data();
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sebind/core/clock.hpp"
#include "sebind/core/result.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/host/clock.hpp"
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

/// Parses an SE URI. Errors: invalid_argument (unknown scheme, empty path, empty or over-long
/// chip name, i2c path not absolute, a query other than addr=, bad address).
Result<SeUri> parse_se_uri(std::string_view text);

/// The real clock (CLOCK_MONOTONIC), sleeping with nanosleep.
using SystemClock = host::MonotonicClock;

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

/// Opens the secure element named by `uri`: emu -> emu::Chip::open + emu::EmulatedBus +
/// SystemClock, driver with emu::kDriverConfig; emud -> DaemonBus, emu::kDriverConfig; i2c ->
/// I2cDevBus, the default DeviceConfig (the real wait table). Nothing is sent to the chip yet.
/// Errors: emu as emu::Chip::open (does_not_exist, corrupted_data, storage_failure); emud as
/// DaemonBus::connect (communication_failure, does_not_exist, not_supported); i2c
/// does_not_exist, not_permitted, communication_failure. `detail`, when given, receives a
/// one-line explanation with the fix (e.g. "cannot connect to sebind-emud at PATH: ...").
Result<std::unique_ptr<SeConnection>> open_se(const SeUri& uri, const ConnectOptions& options = {},
                                              std::string* detail = nullptr);

}  // namespace sebind::port_linux
