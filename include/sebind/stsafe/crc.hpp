// SPDX-License-Identifier: Apache-2.0
// CRC-16/X-25 as used by STSAFE-A frames (§2), table driven.
#pragma once

#include <cstdint>

#include "sebind/core/bytes.hpp"

namespace sebind::stsafe {

/// Incremental CRC-16/X-25: poly 0x1021 reflected, init 0xFFFF, final XOR 0xFFFF.
class Crc16 {
public:
    void update(Bytes data) noexcept;
    void update(std::uint8_t byte) noexcept;
    std::uint16_t value() const noexcept { return static_cast<std::uint16_t>(m_state ^ 0xFFFF); }

private:
    std::uint16_t m_state = 0xFFFF;
};

/// One-shot CRC. On the wire it is sent most significant byte first.
std::uint16_t crc16(Bytes data) noexcept;

}  // namespace sebind::stsafe
