// SPDX-License-Identifier: Apache-2.0
// The identity record in a data zone: a slot's public key and certificate, stored so that a power
// loss at any NVM write leaves the old or the new record, never a torn one (docs/identity-zone-layout.md).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::identity {

/// Zone header: 32 bytes at offset 0, always written with one atomic Update.
struct ZoneHeader {
    std::uint8_t active_copy = 0;  ///< 0 = copy A, 1 = copy B
    std::uint32_t generation = 0;  ///< incremented by every store
    std::uint8_t slot = 0;
    stsafe::Curve curve = stsafe::Curve::p256;
    std::uint16_t record_size = 0;
    std::array<std::uint8_t, 16> record_digest{};  ///< leading bytes of SHA-256(record)
};

inline constexpr std::size_t kHeaderSize = 32;
/// Copies start after a 64-byte header area (one atomicity buffer).
inline constexpr std::size_t kHeaderArea = 64;

std::array<std::uint8_t, kHeaderSize> encode_header(const ZoneHeader& h) noexcept;
/// Errors: does_not_exist (no magic: not an identity zone), corrupted_data (bad version, CRC,
/// impossible values).
Result<ZoneHeader> decode_header(Bytes data) noexcept;

/// Record: `0x04 len2 X len2 Y` (the public key, as the chip writes it) then `len2 DER`
/// (certificate, length 0 after keygen and before a certificate is stored).
struct Record {
    stsafe::PublicKey public_key;
    std::vector<std::uint8_t> certificate;  ///< DER; may be empty
};
std::vector<std::uint8_t> encode_record(const Record& r);
/// Errors: corrupted_data.
Result<Record> decode_record(Bytes data, stsafe::Curve curve);
std::array<std::uint8_t, 16> record_digest(Bytes record) noexcept;

/// Byte offset and size of copy `index` in a zone of `zone_size` bytes.
struct CopyArea {
    std::size_t offset = 0;
    std::size_t size = 0;
};
CopyArea copy_area(std::size_t zone_size, std::uint8_t index) noexcept;

/// The whole layout decoded from a zone image (header + both copies), for tools and fuzzing:
/// the active record if header and digest agree. Errors as decode_header / decode_record.
Result<Record> decode_zone_image(Bytes zone);

}  // namespace sebind::identity
