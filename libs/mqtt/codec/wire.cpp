// SPDX-License-Identifier: Apache-2.0
// Data representations: Variable Byte Integers, the fixed header and the body reader.
#include "wire.hpp"

#include "sebind/mqtt/codec/decoder.hpp"
#include "sebind/mqtt/codec/encoder.hpp"
#include "sebind/mqtt/codec/topic.hpp"

namespace sebind::mqtt {

std::size_t varint_size(std::uint32_t value) noexcept {
    if (value < 128u) return 1;
    if (value < 16'384u) return 2;
    if (value < 2'097'152u) return 3;
    if (value <= kMaxRemainingLength) return 4;
    return 0;
}

std::size_t encode_varint(std::uint32_t value, MutableBytes out) noexcept {
    const std::size_t n = varint_size(value);
    if (n == 0 || n > out.size()) return 0;
    detail::Writer w(out);
    w.varint(value);
    return n;
}

std::size_t decode_varint(Bytes in, std::uint32_t& value, Error& error, bool minimal) noexcept {
    // 3.1.1 §2.2.3 / 5.0 §1.5.5: 7 bits per byte, least significant first, at most 4 bytes.
    value = 0;
    error = Error::ok;
    for (std::size_t i = 0; i < 4; ++i) {
        if (i == in.size()) return 0;
        const std::uint8_t b = in[i];
        value |= std::uint32_t{b & 0x7Fu} << (7 * i);
        if ((b & 0x80) == 0) {
            // A last byte of 0 after others means a shorter form existed ([MQTT-1.5.5-1]).
            if (minimal && i > 0 && b == 0) {
                error = Error::malformed_remaining_length;
                return 0;
            }
            return i + 1;
        }
    }
    error = Error::malformed_remaining_length;
    return 0;
}

Error check_fixed_header(std::uint8_t first_byte, ProtocolVersion version) noexcept {
    const unsigned type = first_byte >> 4;
    const unsigned flags = first_byte & 0x0Fu;
    if (type == 0) return Error::bad_packet_type;
    if (type == 15 && version != ProtocolVersion::v5) return Error::bad_packet_type;
    switch (static_cast<PacketType>(type)) {
        case PacketType::publish: {
            const unsigned qos = (flags >> 1) & 3u;
            if (qos == 3) return Error::bad_qos;                       // [MQTT-3.3.1-4]
            if (qos == 0 && (flags & 0x08u)) return Error::bad_flags;  // DUP must be 0 at QoS 0 [MQTT-3.3.1-2]
            return Error::ok;
        }
        case PacketType::pubrel:
        case PacketType::subscribe:
        case PacketType::unsubscribe:
            // Reserved flags 0010 ([MQTT-3.6.1-1], [MQTT-3.8.1-1], [MQTT-3.10.1-1]).
            return flags == 0x2 ? Error::ok : Error::bad_flags;
        default: return flags == 0 ? Error::ok : Error::bad_flags;  // [MQTT-2.2.2-1] / [MQTT-2.1.3-1]
    }
}

namespace detail {

std::size_t fixed_header_size(std::size_t body_size) noexcept {
    return 1 + varint_size(static_cast<std::uint32_t>(body_size));
}

void write_fixed_header(Writer& w, std::uint8_t first_byte, std::size_t body_size) noexcept {
    w.u8(first_byte);
    w.varint(static_cast<std::uint32_t>(body_size));
}

bool Reader::take(std::size_t n, Bytes& out) noexcept {
    if (m_error != Error::ok) return false;
    if (n > remaining()) return fail(Error::malformed_packet);
    out = m_data.subspan(m_pos, n);
    m_pos += n;
    return true;
}

bool Reader::u8(std::uint8_t& v) noexcept {
    Bytes b;
    if (!take(1, b)) return false;
    v = b[0];
    return true;
}

bool Reader::be16(std::uint16_t& v) noexcept {
    Bytes b;
    if (!take(2, b)) return false;
    v = load_be16(b.data());
    return true;
}

bool Reader::be32(std::uint32_t& v) noexcept {
    Bytes b;
    if (!take(4, b)) return false;
    v = load_be32(b.data());
    return true;
}

bool Reader::varint(std::uint32_t& v) noexcept {
    if (m_error != Error::ok) return false;
    Error e = Error::ok;
    const std::size_t n = decode_varint(m_data.subspan(m_pos), v, e, true);
    if (n == 0) return fail(e == Error::ok ? Error::malformed_packet : e);
    m_pos += n;
    return true;
}

bool Reader::binary(Bytes& out) noexcept {
    std::uint16_t len = 0;
    return be16(len) && take(len, out);
}

bool Reader::str(std::string_view& out) noexcept {
    Bytes b;
    if (!binary(b)) return false;
    if (!is_valid_utf8(b)) return fail(Error::bad_utf8);
    out = std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
    return true;
}

}  // namespace detail
}  // namespace sebind::mqtt
