// SPDX-License-Identifier: Apache-2.0
// The sebind-emud socket protocol (docs/emud-protocol.md): I2C transactions plus a few control
// messages, each message `op u8 | length be16 | body`. Pure codec, fuzzed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/emu/emulator.hpp"

namespace sebind::port_linux::emud {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kMaxBody = 1024;
inline constexpr std::size_t kHeaderSize = 3;

enum class Op : std::uint8_t {
    hello = 0x01,        ///< body: version u8, chip name (may be empty: the first chip)
    write = 0x02,        ///< body: address u8, bytes
    read = 0x03,         ///< body: address u8, count be16
    power_cycle = 0x10,  ///< body: empty
    set_faults = 0x11,   ///< body: seed be64, 3 rates be32 (parts per 10^9), burst be32, power loss be64
    set_latency = 0x12,  ///< body: 0 zero, 1 realistic
    stats = 0x13,        ///< body: empty
};
/// A reply carries the request's op with bit 7 set; 0xFF is a fatal error (text body).
inline constexpr std::uint8_t kReplyBit = 0x80;
inline constexpr std::uint8_t kErrorOp = 0xFF;

/// Transaction results in write/read replies.
enum class Ack : std::uint8_t { ack = 0, nack = 1, fault = 2 };

struct Request {
    Op op = Op::hello;
    std::uint8_t version = 0;
    std::string chip;                  ///< hello
    std::uint8_t address = 0;          ///< write, read
    std::vector<std::uint8_t> data;    ///< write
    std::uint16_t count = 0;           ///< read
    emu::FaultConfig faults;           ///< set_faults
    emu::Latency latency = emu::Latency::zero;
};

/// Size of the complete message at the start of `buffer`, or 0 when more bytes are needed.
/// Errors: invalid_argument when the announced body exceeds kMaxBody.
Result<std::size_t> message_size(Bytes buffer) noexcept;
/// Parses one complete request message. Errors: invalid_argument (unknown op, wrong body size,
/// bad values).
Result<Request> parse_request(Bytes message);
std::vector<std::uint8_t> encode_request(const Request& request);

/// A reply: op | 0x80, body.
std::vector<std::uint8_t> encode_message(std::uint8_t op, Bytes body);

}  // namespace sebind::port_linux::emud
