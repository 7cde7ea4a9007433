// SPDX-License-Identifier: Apache-2.0
// The sebind-emud socket protocol (docs/emud-protocol.md): I2C transactions plus a few control
// messages, each message `op u8 | length be16 | body`. Pure codec (no I/O), fuzzed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/port_linux/se_connection.hpp"

namespace sebind::port_linux::emud {

inline constexpr std::uint8_t kVersion = 1;
/// Largest body in either direction; a longer announced length ends the connection.
inline constexpr std::size_t kMaxBody = 1024;
inline constexpr std::size_t kHeaderSize = 3;
/// Largest WRITE payload and READ count (a READ reply carries one result byte plus the data).
inline constexpr std::size_t kMaxTransfer = kMaxBody - 1;
inline constexpr std::size_t kMaxChipName = kMaxSeChipName;
inline constexpr std::size_t kFaultsBodySize = 32;
inline constexpr std::size_t kStatsBodySize = 32;
/// Longest NACK burst SET_FAULTS accepts.
inline constexpr std::uint32_t kMaxNackBurst = 1000;

enum class Op : std::uint8_t {
    hello = 0x01,        ///< body: version u8, chip name (empty: the daemon's first chip)
    write = 0x02,        ///< body: address u8, 1..1023 bytes
    read = 0x03,         ///< body: address u8, count be16 (1..1023)
    power_cycle = 0x10,  ///< body: empty
    set_faults = 0x11,   ///< body: seed be64, 3 rates be32 (parts per 10^9), burst be32, power loss be64
    set_latency = 0x12,  ///< body: 0 zero, 1 realistic
    stats = 0x13,        ///< body: empty
};
/// A reply carries the request's op with bit 7 set; kErrorOp is a fatal error (the daemon closes
/// the connection after sending it).
inline constexpr std::uint8_t kReplyBit = 0x80;
inline constexpr std::uint8_t kErrorOp = 0xFF;

/// Result byte of WRITE and READ replies.
enum class Ack : std::uint8_t { ack = 0, nack = 1, fault = 2, host_storage = 3 };
/// First byte of a HELLO reply.
enum class HelloStatus : std::uint8_t { ok = 0, no_such_chip = 1, unsupported_version = 2 };
/// First byte of an error (kErrorOp) body; the rest is a short ASCII explanation.
enum class ErrorCode : std::uint8_t {
    too_long = 1,   ///< announced body above kMaxBody
    malformed = 2,  ///< known op, body of the wrong size or with out-of-range values
    unknown_op = 3,
    hello_required = 4,    ///< a transaction or control message before a successful HELLO
    too_many_clients = 5,  ///< the daemon's client limit is reached
};

bool is_request_op(std::uint8_t op) noexcept;

struct Request {
    Op op = Op::hello;
    std::uint8_t version = 0;                   ///< hello
    std::string chip;                           ///< hello
    std::uint8_t address = 0;                   ///< write, read (7-bit; not range-checked: a chip
                                                ///< simply does not acknowledge a foreign address)
    std::vector<std::uint8_t> data;             ///< write
    std::uint16_t count = 0;                    ///< read
    emu::FaultConfig faults;                    ///< set_faults
    emu::Latency latency = emu::Latency::zero;  ///< set_latency
};

/// Size of the complete message at the start of `buffer`, or 0 when more bytes are needed.
/// Errors: out_of_range when the announced body exceeds kMaxBody.
Result<std::size_t> message_size(Bytes buffer) noexcept;

/// Parses exactly one complete request message (header included). Never reads past `message`
/// and allocates at most kMaxBody bytes. Errors: out_of_range (announced body above kMaxBody),
/// invalid_argument (incomplete or trailing bytes, unknown op, wrong body size, bad values).
Result<Request> parse_request(Bytes message);

/// Encodes a request; the inverse of parse_request for every request it accepts. Fault rates
/// are rounded to the nearest part per 10^9 and clamped to [0, 1].
std::vector<std::uint8_t> encode_request(const Request& request);

/// One message: op, be16 body length, body (SEBIND_EXPECTS body.size() <= kMaxBody).
std::vector<std::uint8_t> encode_message(std::uint8_t op, Bytes body);
/// A kErrorOp message.
std::vector<std::uint8_t> encode_error(ErrorCode code, std::string_view text);

/// STATS reply body: commands, signatures, key establishments, NVM writes, be64 each.
std::vector<std::uint8_t> encode_stats(const emu::ChipStats& stats);
/// Errors: invalid_response (not kStatsBodySize bytes).
Result<emu::ChipStats> decode_stats(Bytes body) noexcept;

}  // namespace sebind::port_linux::emud
