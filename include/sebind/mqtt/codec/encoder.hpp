// SPDX-License-Identifier: Apache-2.0
// Encoding MQTT packets into caller-owned buffers: stateless, no heap, no I/O.
//
// Every function validates what it is given against the same rules the decoder enforces (UTF-8,
// topic names/filters, packet ids, QoS, property placement), so a packet we send is one we would
// accept. On success EncodeResult::size is the number of bytes written; on buffer_too_small it
// is the number of bytes needed, so a caller can size a buffer with an empty span first:
//
//     std::array<std::uint8_t, 256> buf;
//     Publish p{.topic = "devices/d1/telemetry", .payload = data, .qos = QoS::at_least_once, .packet_id = 7};
//     auto r = encode(p, ProtocolVersion::v3_1_1, buf);
//     if (r.ok()) transport.send({buf.data(), r.size});
#pragma once

#include <cstddef>

#include "sebind/core/bytes.hpp"
#include "sebind/mqtt/codec/packets.hpp"

namespace sebind::mqtt {

struct [[nodiscard]] EncodeResult {
    Error error = Error::ok;
    std::size_t size = 0;  ///< bytes written (ok) or needed (buffer_too_small), else 0
    bool ok() const noexcept { return error == Error::ok; }
};

EncodeResult encode(const Connect& p, MutableBytes out) noexcept;  // version is Connect::version
EncodeResult encode(const Connack& p, ProtocolVersion v, MutableBytes out) noexcept;
EncodeResult encode(const Publish& p, ProtocolVersion v, MutableBytes out) noexcept;
EncodeResult encode(const Ack& p, ProtocolVersion v, MutableBytes out) noexcept;
EncodeResult encode(const Subscribe& p, ProtocolVersion v, MutableBytes out) noexcept;
EncodeResult encode(const Suback& p, ProtocolVersion v, MutableBytes out) noexcept;
EncodeResult encode(const Unsubscribe& p, ProtocolVersion v, MutableBytes out) noexcept;
EncodeResult encode(const Unsuback& p, ProtocolVersion v, MutableBytes out) noexcept;
EncodeResult encode(const Disconnect& p, ProtocolVersion v, MutableBytes out) noexcept;
EncodeResult encode(const Auth& p, ProtocolVersion v, MutableBytes out) noexcept;  // 5.0 only
/// PINGREQ or PINGRESP (two bytes).
EncodeResult encode_ping(PacketType type, MutableBytes out) noexcept;
/// Any decoded packet (used by round-trip tests and the fuzzer).
EncodeResult encode(const Packet& p, ProtocolVersion v, MutableBytes out) noexcept;

/// Writes a Variable Byte Integer (§2.2.3 / §1.5.5); returns its length (1..4) or 0 when
/// `value` > kMaxRemainingLength or `out` is too small.
std::size_t encode_varint(std::uint32_t value, MutableBytes out) noexcept;
/// Length of the Variable Byte Integer for `value` (1..4; 0 when too large).
std::size_t varint_size(std::uint32_t value) noexcept;

}  // namespace sebind::mqtt
