// SPDX-License-Identifier: Apache-2.0
// CRC-16/X-25 (§2.1): reflected polynomial 0x8408, table generated at compile time.
#include "sebind/stsafe/crc.hpp"

#include <array>

namespace sebind::stsafe {
namespace {

constexpr std::array<std::uint16_t, 256> make_table() {
    std::array<std::uint16_t, 256> table{};
    for (unsigned i = 0; i < 256; ++i) {
        unsigned crc = i;
        for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0x8408u : crc >> 1;
        table[i] = static_cast<std::uint16_t>(crc);
    }
    return table;
}

constexpr auto kTable = make_table();

}  // namespace

void Crc16::update(std::uint8_t byte) noexcept {
    m_state = static_cast<std::uint16_t>((m_state >> 8) ^ kTable[(m_state ^ byte) & 0xFF]);
}

void Crc16::update(Bytes data) noexcept {
    for (std::uint8_t b : data) update(b);
}

std::uint16_t crc16(Bytes data) noexcept {
    Crc16 crc;
    crc.update(data);
    return crc.value();
}

}  // namespace sebind::stsafe
