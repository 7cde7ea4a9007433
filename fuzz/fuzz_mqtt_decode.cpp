// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the MQTT incremental decoder and packet decoders (bytes come from the broker).
// Input: byte 0 picks the version (bit 0) and the feed chunk size (bits 1..7, +1); the rest is
// the stream. Whatever decodes must re-encode, decode again and re-encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sebind/mqtt/codec/decoder.hpp"
#include "sebind/mqtt/codec/encoder.hpp"

using namespace sebind::mqtt;

namespace {

std::uint8_t g_storage[1 << 16];
std::uint8_t g_out1[1 << 17];
std::uint8_t g_out2[1 << 17];
std::uint8_t g_storage2[1 << 17];

void check_round_trip(const Packet& p, ProtocolVersion v) {
    const EncodeResult r1 = encode(p, v, g_out1);
    if (!r1.ok()) std::abort();  // the encoder refused something the decoder accepted
    Decoder again(g_storage2, v);
    const auto f = again.feed(sebind::Bytes(g_out1, r1.size));
    if (f.error != Error::ok || !f.complete || f.consumed != r1.size) std::abort();
    Packet q;
    if (decode(again.packet(), v, q) != Error::ok) std::abort();
    const EncodeResult r2 = encode(q, v, g_out2);
    if (!r2.ok() || r2.size != r1.size || std::memcmp(g_out1, g_out2, r1.size) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const ProtocolVersion v = (data[0] & 1) ? ProtocolVersion::v5 : ProtocolVersion::v3_1_1;
    const std::size_t chunk = (data[0] >> 1) + 1u;
    Decoder dec(g_storage, v, 1 << 16);
    sebind::Bytes in(data + 1, size - 1);
    while (!in.empty()) {
        const auto f = dec.feed(in.first(in.size() < chunk ? in.size() : chunk));
        if (f.error != Error::ok) break;
        if (f.consumed == 0) std::abort();  // no progress would loop forever in a session
        in = in.subspan(f.consumed);
        if (!f.complete) continue;
        Packet p;
        if (decode(dec.packet(), v, p) == Error::ok) check_round_trip(p, v);
    }
    return 0;
}
