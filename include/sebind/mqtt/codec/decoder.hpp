// SPDX-License-Identifier: Apache-2.0
// Incremental MQTT decoding: bytes in (split anywhere), whole packets out as views, with the
// specification's rules enforced. No heap: the packet is assembled in caller-owned storage.
//
//     std::array<std::uint8_t, 4096> storage;
//     Decoder dec(storage, ProtocolVersion::v3_1_1);
//     while (!input.empty()) {
//         auto f = dec.feed(input);
//         input = input.subspan(f.consumed);
//         if (f.error != Error::ok) { close_connection(); break; }
//         if (!f.complete) continue;          // need more bytes
//         Packet p;
//         if (decode(dec.packet(), dec.version(), p) != Error::ok) { close_connection(); break; }
//         handle(p);                           // views valid until the next feed()
//     }
#pragma once

#include <cstddef>
#include <cstdint>

#include "sebind/core/bytes.hpp"
#include "sebind/mqtt/codec/packets.hpp"

namespace sebind::mqtt {

/// A complete packet as framed on the wire: type, the low nibble of the first byte, and the
/// variable header + payload (`body`, Remaining Length bytes).
struct RawPacket {
    PacketType type = PacketType::pingreq;
    std::uint8_t flags = 0;
    Bytes body;
};

/// Checks the first byte of a packet: a defined type (AUTH only in 5.0) and the flags required
/// for it (3.1.1 §2.2.2 table 2.2, 5.0 §2.1.3 table 2-2; PUBLISH: QoS not 3, DUP 0 at QoS 0 per
/// 3.1.1 §3.3.1.1 / 5.0 §3.3.1.1). ok, bad_packet_type, bad_flags or bad_qos.
Error check_fixed_header(std::uint8_t first_byte, ProtocolVersion version) noexcept;

/// What is known of a PUBLISH the decoder consumed without keeping it (larger than the storage
/// or the maximum packet size): enough to acknowledge and report it, nothing of its payload.
struct DiscardedPublish {
    std::uint8_t flags = 0;        ///< low nibble of the first byte (DUP, QoS, RETAIN)
    std::uint32_t size = 0;        ///< the whole packet, fixed header included
    std::uint16_t packet_id = 0;   ///< 0 at QoS 0, or when the packet ended before its id
    Bytes topic;                   ///< the topic's first bytes (at most kTopicPrefix), not validated
    bool topic_truncated = false;  ///< the topic is longer than `topic`
    static constexpr std::size_t kTopicPrefix = 64;
    QoS qos() const noexcept { return static_cast<QoS>((flags >> 1) & 3u); }
};

class Decoder {
public:
    /// `storage` holds one packet body and must outlive the decoder. `maximum_packet_size`
    /// (whole packet, fixed header included; 0 = no limit but the storage) is what we announce
    /// to the peer in MQTT 5.0 (§3.1.2.11.4). A larger PUBLISH is read through and dropped with
    /// bounded memory (Feed::discarded; the stream stays in sync); any other larger packet
    /// fails with packet_too_large.
    Decoder(MutableBytes storage, ProtocolVersion version, std::uint32_t maximum_packet_size = 0) noexcept;

    struct Feed {
        std::size_t consumed = 0;  ///< bytes of the input used (never past the end of a packet)
        Error error = Error::ok;   ///< not ok: the stream is broken; later feeds return decoder_failed
        bool complete = false;     ///< a whole packet is ready: packet()
        bool discarded = false;    ///< a too-large PUBLISH was consumed and dropped: discarded()
    };
    /// Consumes input until one packet is complete or the input is used up.
    Feed feed(Bytes input) noexcept;
    /// The packet completed by the last feed(); views into the storage, valid until the next feed().
    RawPacket packet() const noexcept;

    /// The PUBLISH dropped by the last feed() that set Feed::discarded; valid until the next feed().
    DiscardedPublish discarded() const noexcept;

    /// Forgets any partial packet and a previous error (for a new connection).
    void reset() noexcept;
    ProtocolVersion version() const noexcept { return m_version; }
    /// A server learns the version from CONNECT; a client may fall back from 5.0 to 3.1.1.
    void set_version(ProtocolVersion v) noexcept { m_version = v; }
    bool failed() const noexcept { return m_state == State::failed; }
    /// True between packets (nothing buffered).
    bool idle() const noexcept { return m_state == State::type || m_state == State::complete; }

private:
    enum class State : std::uint8_t { type, length, body, skip, complete, failed };
    Feed fail(Feed f, Error e) noexcept;
    /// One byte of a skipped PUBLISH's variable header (topic length, topic, packet id).
    void skip_header_byte(std::uint8_t b) noexcept;
    MutableBytes m_storage;
    ProtocolVersion m_version;
    std::uint32_t m_max_packet;
    State m_state = State::type;
    std::uint8_t m_first = 0;
    std::uint8_t m_length_bytes = 0;
    std::uint32_t m_remaining = 0;
    std::uint32_t m_multiplier = 1;
    std::size_t m_filled = 0;
    // A PUBLISH being skipped: its topic length, topic prefix and packet id as they pass by.
    std::uint16_t m_skip_topic_len = 0;
    std::uint16_t m_skip_id = 0;
    std::uint8_t m_skip_topic[DiscardedPublish::kTopicPrefix] = {};
};

/// The packet id of a framed PUBLISH (0 at QoS 0), read without validating anything else, so a
/// PUBLISH that fails decode_publish can still be acknowledged. False when the body ends first.
bool publish_packet_id(const RawPacket& raw, std::uint16_t& id) noexcept;

/// Decodes the body of a framed packet into its struct (views into `raw.body`). Enforces the
/// rules listed in Error. `version` is the connection's (CONNECT carries its own).
Error decode(const RawPacket& raw, ProtocolVersion version, Packet& out) noexcept;
Error decode_connect(const RawPacket& raw, Connect& out) noexcept;
Error decode_connack(const RawPacket& raw, ProtocolVersion v, Connack& out) noexcept;
Error decode_publish(const RawPacket& raw, ProtocolVersion v, Publish& out) noexcept;
Error decode_ack(const RawPacket& raw, ProtocolVersion v, Ack& out) noexcept;  // PUBACK..PUBCOMP
Error decode_subscribe(const RawPacket& raw, ProtocolVersion v, Subscribe& out) noexcept;
Error decode_suback(const RawPacket& raw, ProtocolVersion v, Suback& out) noexcept;
Error decode_unsubscribe(const RawPacket& raw, ProtocolVersion v, Unsubscribe& out) noexcept;
Error decode_unsuback(const RawPacket& raw, ProtocolVersion v, Unsuback& out) noexcept;
Error decode_disconnect(const RawPacket& raw, ProtocolVersion v, Disconnect& out) noexcept;
Error decode_auth(const RawPacket& raw, ProtocolVersion v, Auth& out) noexcept;

/// Reads a Variable Byte Integer from the start of `in`. Returns bytes used (1..4), or 0 when
/// `in` ends first or the encoding is longer than 4 bytes (`error` says which: ok = need more).
/// `minimal` rejects non-minimal encodings (5.0 §1.5.5) with malformed_remaining_length.
std::size_t decode_varint(Bytes in, std::uint32_t& value, Error& error, bool minimal = true) noexcept;

}  // namespace sebind::mqtt
