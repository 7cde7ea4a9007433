// SPDX-License-Identifier: Apache-2.0
// CRC-32 (ISO-HDLC / IEEE 802.3: reflected 0xEDB88320, init and final XOR 0xFFFFFFFF), the
// checksum of outbox records. Check value: crc32("123456789") == 0xCBF43926.
#pragma once

#include <cstdint>

#include "sebind/core/bytes.hpp"

namespace sebind::mqtt {

/// Continues a CRC: crc32(b, crc32(a)) == crc32(a || b). Start with 0.
std::uint32_t crc32(Bytes data, std::uint32_t previous = 0) noexcept;

}  // namespace sebind::mqtt
