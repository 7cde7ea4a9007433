// SPDX-License-Identifier: Apache-2.0
// MQTT 3.1.1 packets on a TLS stream in tests that drive a broker by hand: the bytes of a packet
// (sebind::mqtt's encoder) and an exact-length read. Header-only; any client with
// read(MutableBytes, wait_ms) (tls::Stream) fits.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sebind/core/bytes.hpp"
#include "sebind/mqtt/codec/encoder.hpp"

namespace sebind::test {

using WirePacket = std::vector<std::uint8_t>;

template <class P>
WirePacket encoded(const P& packet) {
    std::array<std::uint8_t, 256> buf{};
    mqtt::EncodeResult r;
    if constexpr (std::is_same_v<P, mqtt::Connect>) {
        r = mqtt::encode(packet, buf);
    } else {
        r = mqtt::encode(packet, mqtt::ProtocolVersion::v3_1_1, buf);
    }
    EXPECT_TRUE(r.ok());
    return WirePacket(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.size));
}

/// Exactly `n` bytes from the stream (or fewer when it fails or closes).
template <class Stream>
WirePacket read_exactly(Stream& c, std::size_t n) {
    WirePacket out(n);
    std::size_t got = 0;
    while (got < n) {
        auto r = c.read(MutableBytes(out.data() + got, n - got), 5000);
        if (!r || *r == 0) break;
        got += *r;
    }
    out.resize(got);
    return out;
}

/// CONNECT as `client_id` (CONNACK accepted), one QoS 1 PUBLISH with packet id 7 (PUBACK),
/// DISCONNECT. `context()` is printed with a failed expectation (the client's diagnosis, the
/// broker's log).
template <class Stream, class Context>
void publish_qos1(Stream& c, std::string_view client_id, const std::string& topic, const std::string& payload,
                  Context&& context) {
    mqtt::Connect connect;
    connect.client_id = client_id;
    connect.keep_alive_s = 30;
    ASSERT_TRUE(c.write(encoded(connect)).ok());
    EXPECT_EQ(read_exactly(c, 4), (WirePacket{0x20, 0x02, 0x00, 0x00})) << context();  // MQTT 3.1.1 §3.2: accepted
    mqtt::Publish p;
    p.topic = topic;
    p.payload = Bytes(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
    p.qos = mqtt::QoS::at_least_once;
    p.packet_id = 7;
    ASSERT_TRUE(c.write(encoded(p)).ok());
    EXPECT_EQ(read_exactly(c, 4), (WirePacket{0x40, 0x02, 0x00, 0x07})) << context();  // MQTT 3.1.1 §3.4 PUBACK
    ASSERT_TRUE(c.write(encoded(mqtt::Disconnect{})).ok());
}

}  // namespace sebind::test
