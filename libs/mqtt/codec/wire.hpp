// SPDX-License-Identifier: Apache-2.0
// Internal: bounded writer/reader for MQTT data representations (3.1.1 §1.5, 5.0 §1.5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sebind/core/bytes.hpp"
#include "sebind/mqtt/codec/properties.hpp"
#include "sebind/mqtt/codec/types.hpp"

namespace sebind::mqtt::detail {

/// Writes into a span, or only counts when constructed without one (the first pass of every
/// encoder computes the Remaining Length with the same code that later writes the bytes).
class Writer {
public:
    Writer() noexcept = default;
    explicit Writer(MutableBytes out) noexcept : m_out(out.data()), m_cap(out.size()) {}

    void u8(std::uint8_t v) noexcept { put(&v, 1); }
    void be16(std::uint16_t v) noexcept {
        const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
        put(b, 2);
    }
    void be32(std::uint32_t v) noexcept {
        std::uint8_t b[4];
        store_be32(b, v);
        put(b, 4);
    }
    void varint(std::uint32_t v) noexcept {
        do {
            std::uint8_t b = static_cast<std::uint8_t>(v & 0x7F);
            v >>= 7;
            if (v != 0) b |= 0x80;
            put(&b, 1);
        } while (v != 0);
    }
    void raw(Bytes data) noexcept { put(data.data(), data.size()); }
    /// Two-byte length prefix + bytes (UTF-8 string or binary data); the caller checked <= 65535.
    void len16(Bytes data) noexcept {
        be16(static_cast<std::uint16_t>(data.size()));
        raw(data);
    }
    void str(std::string_view s) noexcept { len16(as_bytes(s)); }

    std::size_t size() const noexcept { return m_pos; }
    bool overflow() const noexcept { return m_overflow; }

    static Bytes as_bytes(std::string_view s) noexcept {
        return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
    }

private:
    void put(const std::uint8_t* p, std::size_t n) noexcept {
        if (m_out != nullptr) {
            if (n > m_cap - m_pos || m_pos > m_cap) {
                m_overflow = true;
            } else if (n != 0) {
                std::memcpy(m_out + m_pos, p, n);
            }
        }
        m_pos += n;
    }
    std::uint8_t* m_out = nullptr;
    std::size_t m_cap = 0;
    std::size_t m_pos = 0;
    bool m_overflow = false;
};

/// Cursor over a packet body. The first failure is remembered; later reads fail too.
class Reader {
public:
    explicit Reader(Bytes data) noexcept : m_data(data) {}

    bool u8(std::uint8_t& v) noexcept;
    bool be16(std::uint16_t& v) noexcept;
    bool be32(std::uint32_t& v) noexcept;
    bool varint(std::uint32_t& v) noexcept;
    bool take(std::size_t n, Bytes& out) noexcept;
    bool binary(Bytes& out) noexcept;
    /// A UTF-8 Encoded String, validated (bad_utf8).
    bool str(std::string_view& out) noexcept;
    bool rest(Bytes& out) noexcept { return take(remaining(), out); }

    std::size_t remaining() const noexcept { return m_data.size() - m_pos; }
    bool at_end() const noexcept { return m_pos == m_data.size(); }
    Error error() const noexcept { return m_error; }
    bool fail(Error e) noexcept {
        if (m_error == Error::ok) m_error = e;
        return false;
    }

private:
    Bytes m_data;
    std::size_t m_pos = 0;
    Error m_error = Error::ok;
};

constexpr std::size_t kMaxString = 65535;

/// Fixed header (type+flags, Remaining Length) in front of a body of `body_size` bytes.
std::size_t fixed_header_size(std::size_t body_size) noexcept;
void write_fixed_header(Writer& w, std::uint8_t first_byte, std::size_t body_size) noexcept;

/// Validation of a property set for encoding in `ctx` (allowed ids, value ranges, strings).
Error check_properties(const Properties& p, PropertyContext ctx) noexcept;
/// Property Length + properties (5.0 §2.2.2.1).
void write_properties(Writer& w, const Properties& p) noexcept;
/// Reads Property Length + properties, enforcing §2.2.2 for `ctx`.
Error read_properties(Reader& r, PropertyContext ctx, Properties& out) noexcept;

/// Whether `code` is a reason code defined for `type` in 5.0 (§2.4 table 2-6 and each packet's
/// reason-code table), or a return code defined in 3.1.1 (CONNACK §3.2.2.3, SUBACK §3.9.3).
bool is_valid_reason(PacketType type, std::uint8_t code, ProtocolVersion v) noexcept;

/// Runs the two-pass encode: `body(writer)` once to count, then to write after the fixed header.
template <class BodyFn>
Error encode_packet(std::uint8_t first_byte, MutableBytes out, std::size_t& size, BodyFn&& body) noexcept {
    Writer counter;
    body(counter);
    const std::size_t body_size = counter.size();
    if (body_size > kMaxRemainingLength) {
        size = 0;
        return Error::value_too_large;
    }
    size = fixed_header_size(body_size) + body_size;
    if (size > out.size()) return Error::buffer_too_small;
    Writer w(out);
    write_fixed_header(w, first_byte, body_size);
    body(w);
    return w.overflow() ? Error::buffer_too_small : Error::ok;
}

}  // namespace sebind::mqtt::detail
