// SPDX-License-Identifier: Apache-2.0
// CRC-32 (reflected polynomial 0xEDB88320), table generated at compile time.
#include "sebind/mqtt/outbox/crc32.hpp"

#include <array>

namespace sebind::mqtt {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        t[i] = c;
    }
    return t;
}

constexpr auto kTable = make_table();

}  // namespace

std::uint32_t crc32(Bytes data, std::uint32_t previous) noexcept {
    std::uint32_t c = ~previous;
    for (std::uint8_t b : data) c = kTable[(c ^ b) & 0xFFu] ^ (c >> 8);
    return ~c;
}

}  // namespace sebind::mqtt
