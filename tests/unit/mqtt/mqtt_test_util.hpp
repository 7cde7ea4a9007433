// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the MQTT unit tests: hex vectors, encode-to-vector, decode-from-bytes.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "sebind/core/hex.hpp"
#include "sebind/mqtt/codec/decoder.hpp"
#include "sebind/mqtt/codec/encoder.hpp"

namespace sebind::mqtt::test {

inline std::vector<std::uint8_t> hex(std::string_view h) {
    auto v = from_hex(h);
    EXPECT_TRUE(v.has_value()) << h;
    return v.value_or(std::vector<std::uint8_t>{});
}

inline Bytes bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
inline std::string str(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

/// Encodes any packet struct into a fresh vector; fails the test on error.
template <class P>
std::vector<std::uint8_t> encoded(const P& p, ProtocolVersion v) {
    std::vector<std::uint8_t> out(1 << 16);
    EncodeResult r;
    if constexpr (std::is_same_v<P, Connect>)
        r = encode(p, MutableBytes(out));
    else
        r = encode(p, v, MutableBytes(out));
    EXPECT_EQ(r.error, Error::ok) << to_string(r.error);
    out.resize(r.ok() ? r.size : 0);
    return out;
}

template <class P>
Error encode_error(const P& p, ProtocolVersion v) {
    std::vector<std::uint8_t> out(1 << 16);
    if constexpr (std::is_same_v<P, Connect>)
        return encode(p, MutableBytes(out)).error;
    else
        return encode(p, v, MutableBytes(out)).error;
}

/// Frames and decodes one whole packet given as bytes. `storage` keeps the views alive.
struct Decoded {
    std::vector<std::uint8_t> storage = std::vector<std::uint8_t>(1 << 20);
    Error error = Error::ok;
    std::size_t consumed = 0;
    bool complete = false;
    Packet packet;
};

inline Error decode_bytes(Bytes wire, ProtocolVersion v, Decoded& out, std::uint32_t max_packet = 0) {
    Decoder dec(out.storage, v, max_packet);
    auto f = dec.feed(wire);
    out.consumed = f.consumed;
    out.complete = f.complete;
    if (f.error != Error::ok) return out.error = f.error;
    // A test vector must be exactly one packet, or the test would check the wrong thing.
    if (!f.complete)
        ADD_FAILURE() << "incomplete test vector " << to_hex(wire);
    else if (f.consumed != wire.size())
        ADD_FAILURE() << "trailing bytes in test vector " << to_hex(wire);
    if (!f.complete) return out.error = Error::decoder_failed;
    return out.error = decode(dec.packet(), v, out.packet);
}

}  // namespace sebind::mqtt::test
