// SPDX-License-Identifier: Apache-2.0
// The incremental framer: fixed header, Remaining Length, body; any split of the input.
#include "sebind/mqtt/codec/decoder.hpp"

#include <algorithm>
#include <cstring>

namespace sebind::mqtt {

Decoder::Decoder(MutableBytes storage, ProtocolVersion version, std::uint32_t maximum_packet_size) noexcept
    : m_storage(storage), m_version(version), m_max_packet(maximum_packet_size) {}

void Decoder::reset() noexcept {
    m_state = State::type;
    m_filled = 0;
}

Decoder::Feed Decoder::fail(Feed f, Error e) noexcept {
    m_state = State::failed;
    f.error = e;
    return f;
}

Decoder::Feed Decoder::feed(Bytes input) noexcept {
    Feed f;
    if (m_state == State::failed) return {0, Error::decoder_failed, false};
    if (m_state == State::complete) m_state = State::type;
    while (f.consumed < input.size()) {
        const std::uint8_t b = input[f.consumed];
        switch (m_state) {
            case State::type: {
                ++f.consumed;
                // Checked on the first byte so a broken stream is refused before its body arrives.
                if (const Error e = check_fixed_header(b, m_version); e != Error::ok) return fail(f, e);
                m_first = b;
                m_remaining = 0;
                m_multiplier = 1;
                m_length_bytes = 0;
                m_state = State::length;
                break;
            }
            case State::length: {
                ++f.consumed;
                ++m_length_bytes;
                m_remaining += (b & 0x7Fu) * m_multiplier;
                if (b & 0x80u) {
                    // At most four length bytes (3.1.1 §2.2.3, 5.0 §1.5.5).
                    if (m_length_bytes == 4) return fail(f, Error::malformed_remaining_length);
                    m_multiplier *= 128;
                    break;
                }
                // 5.0 [MQTT-1.5.5-1] requires the shortest form; 3.1.1 does not say so, and we
                // accept what it allows (see docs/mqtt.md).
                if (m_version == ProtocolVersion::v5 && m_length_bytes > 1 && b == 0)
                    return fail(f, Error::malformed_remaining_length);
                const std::uint64_t total = 1u + m_length_bytes + std::uint64_t{m_remaining};
                m_filled = 0;
                if ((m_max_packet != 0 && total > m_max_packet) || m_remaining > m_storage.size()) {
                    // A PUBLISH is dropped without buffering it, so its sender can be answered
                    // and the connection lives on; nothing else larger than us can be handled.
                    if (static_cast<PacketType>(m_first >> 4) != PacketType::publish)
                        return fail(f, Error::packet_too_large);
                    m_skip_topic_len = 0;
                    m_skip_id = 0;
                    m_state = State::skip;
                    break;
                }
                if (m_remaining == 0) {
                    m_state = State::complete;
                    f.complete = true;
                    return f;
                }
                m_state = State::body;
                break;
            }
            case State::body: {
                const std::size_t n = std::min<std::size_t>(m_remaining - m_filled, input.size() - f.consumed);
                std::memcpy(m_storage.data() + m_filled, input.data() + f.consumed, n);
                m_filled += n;
                f.consumed += n;
                if (m_filled == m_remaining) {
                    m_state = State::complete;
                    f.complete = true;
                    return f;
                }
                break;
            }
            case State::skip: {
                // Bytes 0-1: topic length; then the topic; then (QoS 1/2) the packet id: kept as
                // they pass. The payload after them is skipped in bulk.
                const bool has_id = ((m_first >> 1) & 3u) != 0;
                const std::size_t header_end = m_filled < 2 ? m_remaining : 2u + m_skip_topic_len + (has_id ? 2u : 0u);
                if (m_filled < header_end) {
                    skip_header_byte(b);
                    ++m_filled;
                    ++f.consumed;
                } else {
                    const std::size_t n = std::min<std::size_t>(m_remaining - m_filled, input.size() - f.consumed);
                    m_filled += n;
                    f.consumed += n;
                }
                if (m_filled == m_remaining) {
                    m_state = State::type;
                    f.discarded = true;
                    return f;
                }
                break;
            }
            case State::complete:
            case State::failed: return f;  // unreachable: handled before the loop
        }
    }
    return f;
}

void Decoder::skip_header_byte(std::uint8_t b) noexcept {
    const std::size_t pos = m_filled;
    if (pos < 2) {
        m_skip_topic_len = static_cast<std::uint16_t>((m_skip_topic_len << 8) | b);
    } else if (pos < 2u + m_skip_topic_len) {
        if (pos - 2 < sizeof m_skip_topic) m_skip_topic[pos - 2] = b;
    } else {
        m_skip_id = static_cast<std::uint16_t>((m_skip_id << 8) | b);
    }
}

DiscardedPublish Decoder::discarded() const noexcept {
    DiscardedPublish d;
    d.flags = static_cast<std::uint8_t>(m_first & 0x0F);
    d.size = 1u + m_length_bytes + m_remaining;
    const bool has_id = ((m_first >> 1) & 3u) != 0;
    // The id is whole only if the packet reached its end; a shorter packet leaves it 0.
    if (has_id && m_remaining >= 4u + m_skip_topic_len) d.packet_id = m_skip_id;
    const std::size_t seen = m_remaining >= 2 ? std::min<std::size_t>(m_skip_topic_len, m_remaining - 2) : 0;
    d.topic = Bytes(m_skip_topic, std::min(seen, sizeof m_skip_topic));
    d.topic_truncated = m_skip_topic_len > d.topic.size();
    return d;
}

bool publish_packet_id(const RawPacket& raw, std::uint16_t& id) noexcept {
    id = 0;
    if (raw.type != PacketType::publish || raw.body.size() < 2) return false;
    const std::size_t topic_len = (std::size_t{raw.body[0]} << 8) | raw.body[1];
    if (((raw.flags >> 1) & 3u) == 0) return true;
    if (raw.body.size() < 4 + topic_len) return false;
    id = static_cast<std::uint16_t>((raw.body[2 + topic_len] << 8) | raw.body[3 + topic_len]);
    return true;
}

RawPacket Decoder::packet() const noexcept {
    if (m_state != State::complete) return {};
    return {static_cast<PacketType>(m_first >> 4), static_cast<std::uint8_t>(m_first & 0x0F),
            Bytes(m_storage.data(), m_remaining)};
}

Error decode(const RawPacket& raw, ProtocolVersion v, Packet& out) noexcept {
    out.type = raw.type;
    switch (raw.type) {
        case PacketType::connect: return decode_connect(raw, out.body.emplace<Connect>());
        case PacketType::connack: return decode_connack(raw, v, out.body.emplace<Connack>());
        case PacketType::publish: return decode_publish(raw, v, out.body.emplace<Publish>());
        case PacketType::puback:
        case PacketType::pubrec:
        case PacketType::pubrel:
        case PacketType::pubcomp: return decode_ack(raw, v, out.body.emplace<Ack>());
        case PacketType::subscribe: return decode_subscribe(raw, v, out.body.emplace<Subscribe>());
        case PacketType::suback: return decode_suback(raw, v, out.body.emplace<Suback>());
        case PacketType::unsubscribe: return decode_unsubscribe(raw, v, out.body.emplace<Unsubscribe>());
        case PacketType::unsuback: return decode_unsuback(raw, v, out.body.emplace<Unsuback>());
        case PacketType::disconnect: return decode_disconnect(raw, v, out.body.emplace<Disconnect>());
        case PacketType::auth: return decode_auth(raw, v, out.body.emplace<Auth>());
        case PacketType::pingreq:
        case PacketType::pingresp:
            out.body.emplace<Empty>();
            return raw.body.empty() ? Error::ok : Error::malformed_packet;  // §3.12, §3.13: no body
    }
    return Error::bad_packet_type;
}

}  // namespace sebind::mqtt
