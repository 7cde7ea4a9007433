// SPDX-License-Identifier: Apache-2.0
// SE URIs and an opened secure element, without the emulator (sebind::port_linux). The URI names
// every transport; this target opens only i2c: (open_i2c_se), so a product that talks to a real
// chip links no emulator code. sebind/se_uri/se_uri.hpp (sebind::se_uri) opens all three.
//   emu:DIR                      emulator state directory, in process
//   emud:SOCKET[#CHIP]           emulator daemon (sebind-emud); CHIP = a chip's name (its dir's
//                                base name), default the daemon's first chip
//   i2c:/dev/i2c-N[?addr=0x20]   real chip through Linux i2c-dev; addr in hex (0x..) or decimal,
//                                a 7-bit address outside the reserved ranges (0x08..0x77)
//
//   auto uri = port_linux::parse_se_uri("i2c:/dev/i2c-1");
//   std::string why;
//   auto se = uri ? port_linux::open_i2c_se(*uri, &why) : uri.status();
//   if (!se) { fprintf(stderr, "%s\n", why.c_str()); ... }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sebind/core/result.hpp"
#include "sebind/host/clock.hpp"
#include "sebind/stsafe/bus.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::emu {
class Chip;
}

namespace sebind::port_linux {

enum class SeKind : std::uint8_t { emulator, daemon, i2c };

/// Longest chip name an emud: URI (and the daemon protocol) carries.
inline constexpr std::size_t kMaxSeChipName = 255;

struct SeUri {
    SeKind kind = SeKind::emulator;
    std::string path;  ///< state dir, socket path or i2c device node
    std::string chip;  ///< daemon: chip name (may be empty)
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

/// An SeConnection of `kind` over a bus the caller opened: the system clock and a driver with
/// `config` (SEBIND_EXPECTS bus != nullptr).
std::unique_ptr<SeConnection> make_se_connection(SeKind kind, std::unique_ptr<stsafe::Bus> bus,
                                                 const stsafe::DeviceConfig& config);

/// Opens an i2c: URI: I2cDevBus, the default DeviceConfig (the real wait table) with the URI's
/// address. Nothing is sent to the chip yet. Errors: does_not_exist, not_permitted,
/// communication_failure (as open_i2c_device); not_supported for an emu: or emud: URI (open
/// those with open_se, sebind::se_uri). `detail`, when given, receives a one-line explanation
/// with the fix.
Result<std::unique_ptr<SeConnection>> open_i2c_se(const SeUri& uri, std::string* detail = nullptr);

}  // namespace sebind::port_linux
