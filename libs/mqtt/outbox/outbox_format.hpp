// SPDX-License-Identifier: Apache-2.0
// Internal: the outbox log format (documented in docs/mqtt.md), shared by writer and recovery.
//
//   log     = header record*
//   header  = "SBOUTBOX" | be32 version (1) | be32 CRC-32 of the previous 12 bytes      (16 bytes)
//   record  = be32 length L | be32 CRC-32 of (the 4 length bytes || body) | body (L bytes)
//   body    = u8 type, then
//     1 enqueued:     be64 seq | be16 packet id | u8 QoS | u8 flags (bit 0 retain) | be16 topic
//                     length | topic | message payload (the rest)
//     2 released:     be64 seq     (QoS 2: PUBREC received)
//     3 acknowledged: be64 seq     (PUBACK / PUBCOMP received, or refused for good)
#pragma once

#include <cstdint>
#include <cstring>

#include "sebind/core/bytes.hpp"
#include "sebind/mqtt/outbox/crc32.hpp"

namespace sebind::mqtt::outbox_format {

inline constexpr char kMagic[8] = {'S', 'B', 'O', 'U', 'T', 'B', 'O', 'X'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kRecordHeader = 8;
inline constexpr std::size_t kEnqueueFixed = 1 + 8 + 2 + 1 + 1 + 2;  // body before the topic
inline constexpr std::size_t kMarkBody = 1 + 8;                      // released / acknowledged
inline constexpr std::uint32_t kMarkRecordSize = kRecordHeader + kMarkBody;
/// Bodies longer than this are taken as a corrupt length field (the format's own limit,
/// independent of configuration so that a log stays readable when limits change).
inline constexpr std::uint32_t kMaxBody = 64u << 20;

enum class RecordType : std::uint8_t { enqueued = 1, released = 2, acknowledged = 3 };

inline void make_header(std::uint8_t out[kHeaderSize]) noexcept {
    std::memcpy(out, kMagic, 8);
    store_be32(out + 8, kVersion);
    store_be32(out + 12, crc32(Bytes(out, 12)));
}

inline std::uint32_t record_crc(const std::uint8_t length_be[4], Bytes body) noexcept {
    return crc32(body, crc32(Bytes(length_be, 4)));
}

/// Fills the 8-byte record header in front of a body already at out + 8.
inline void seal_record(std::uint8_t* out, std::uint32_t body_size) noexcept {
    store_be32(out, body_size);
    store_be32(out + 4, record_crc(out, Bytes(out + kRecordHeader, body_size)));
}

inline void make_mark(std::uint8_t out[kMarkRecordSize], RecordType type, std::uint64_t seq) noexcept {
    out[kRecordHeader] = static_cast<std::uint8_t>(type);
    store_be32(out + kRecordHeader + 1, static_cast<std::uint32_t>(seq >> 32));
    store_be32(out + kRecordHeader + 5, static_cast<std::uint32_t>(seq));
    seal_record(out, kMarkBody);
}

inline std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

}  // namespace sebind::mqtt::outbox_format
