// SPDX-License-Identifier: Apache-2.0
// Bus: the I2C seam between the driver and a chip (real i2c-dev, the emulator in process, or the
// emulator daemon). One call = one complete I2C transaction (START ... STOP).
#pragma once

#include <cstdint>

#include "sebind/core/bytes.hpp"

namespace sebind::stsafe {

enum class BusResult : std::uint8_t {
    ok,            ///< transaction complete
    nack,          ///< the address was not acknowledged: the chip is busy (or asleep); retry later
    fault,         ///< the bus itself failed (no device, arbitration lost, I/O error, peer gone)
    host_storage,  ///< an emulated chip could not save its state on the host (disk full, read-only)
};

class Bus {
public:
    virtual ~Bus() = default;
    /// Writes `data` to 7-bit `address` in one transaction.
    virtual BusResult write(std::uint8_t address, Bytes data) noexcept = 0;
    /// Reads exactly `out.size()` bytes from `address` in one transaction. An STSAFE restarts
    /// every read at the first byte of its pending response and clocks 0xFF past its end.
    virtual BusResult read(std::uint8_t address, MutableBytes out) noexcept = 0;
};

}  // namespace sebind::stsafe
