// SPDX-License-Identifier: Apache-2.0
// Session: what arrives from the broker — CONNACK, application messages (QoS 0/1/2 receiver
// side, §4.3), acknowledgements of our messages, SUBACK/UNSUBACK, PINGRESP, DISCONNECT.
#include <algorithm>

#include "sebind/core/log.hpp"
#include "sebind/mqtt/session/session.hpp"
#include "session_internal.hpp"

namespace sebind::mqtt {

void Session::protocol_violation(Error e, std::uint8_t reason_code) noexcept {
    log(LogLevel::warning, "mqtt: broker broke the protocol (%s): closing", to_string(e));
    // 5.0 §4.13: say why in a DISCONNECT before closing; 3.1.1 just closes.
    if (m_config.version == ProtocolVersion::v5 && m_transport != nullptr) {
        Disconnect d;
        d.reason_code = reason_code;
        if (emit(Packet{PacketType::disconnect, d}, 0) == Error::ok) {
            (void)flush();  // best effort; an I/O error here ends the connection itself
            if (m_state == SessionState::disconnected) return;
        }
    }
    end_connection(Status(Errc::invalid_response), reason_code);
}

bool Session::queue_ack(PacketType type, std::uint16_t packet_id, std::uint8_t reason_code) noexcept {
    // Room was reserved before the packet was decoded (read_input), so this cannot fail.
    if (m_config.version != ProtocolVersion::v5) reason_code = 0;  // 3.1.1 acknowledgements carry none
    if (emit(Packet{type, Ack{type, packet_id, reason_code, {}}}, 0) == Error::ok) return true;
    end_connection(Status(Errc::buffer_too_small), 0);
    return false;
}

bool Session::refuse_publish(const RefusedMessage& m) noexcept {
    // Without an id to answer, or before CONNACK, the broker broke the protocol for good.
    if (m_state != SessionState::connected || (m.qos != QoS::at_most_once && m.packet_id == 0)) {
        protocol_violation(m.why, detail::reason_for(m.why));
        return false;
    }
    // Acknowledged like any message, so the broker forgets it rather than resending it at every
    // reconnect; 5.0 says why (a PUBREC >= 0x80 also ends the QoS 2 exchange, §4.3.3).
    const std::uint8_t reason_code = m.why == Error::packet_too_large ? reason::implementation_specific_error
                                     : (m.why == Error::bad_utf8 || m.why == Error::bad_topic_name)
                                         ? reason::topic_name_invalid
                                         : reason::unspecified_error;
    if (m.qos == QoS::at_least_once && !queue_ack(PacketType::puback, m.packet_id, reason_code)) return false;
    if (m.qos == QoS::exactly_once && !queue_ack(PacketType::pubrec, m.packet_id, reason_code)) return false;
    ++m_stats.messages_refused;
    log(LogLevel::debug, "mqtt: inbound PUBLISH of %u bytes refused (%s)", static_cast<unsigned>(m.size),
        to_string(m.why));
    m_handler.on_refused(m);
    return m_state != SessionState::disconnected;
}

bool Session::handle_packet(const RawPacket& raw) noexcept {
    Packet p;
    if (const Error e = decode(raw, m_config.version, p); e != Error::ok) {
        // A PUBLISH whose framing was sound is refused on its own; the stream stays in sync.
        std::uint16_t id = 0;
        if (raw.type == PacketType::publish && publish_packet_id(raw, id)) {
            RefusedMessage m;
            m.why = e;
            m.qos = static_cast<QoS>((raw.flags >> 1) & 3u);
            m.packet_id = id;
            const std::size_t body = raw.body.size();
            m.size = static_cast<std::uint32_t>(1 + body +
                                                (body < 128         ? 1
                                                 : body < 16'384    ? 2
                                                 : body < 2'097'152 ? 3
                                                                    : 4));
            const std::size_t topic_len = (std::size_t{raw.body[0]} << 8) | raw.body[1];
            m.topic = raw.body.subspan(2, std::min(topic_len, raw.body.size() - 2));
            m.topic_truncated = m.topic.size() < topic_len;
            return refuse_publish(m);
        }
        protocol_violation(e, detail::reason_for(e));
        return false;
    }
    // The first packet from the server is CONNACK ([MQTT-3.2.0-1]); enhanced authentication
    // (AUTH) is not offered, so the server may not send it.
    if ((m_state == SessionState::connecting) != (p.type == PacketType::connack)) {
        protocol_violation(Error::malformed_packet, reason::protocol_error);
        return false;
    }
    if (const auto* c = std::get_if<Connack>(&p.body)) return handle_connack(*c);
    if (const auto* m = std::get_if<Publish>(&p.body)) return handle_publish(*m);
    if (const auto* a = std::get_if<Ack>(&p.body)) {
        if (a->type != PacketType::pubrel) return handle_ack(*a);
        // Receiver side of QoS 2, method B (§4.3.3): the id is free again once PUBREL arrives.
        m_qos2_inbound.reset(a->packet_id);
        return queue_ack(PacketType::pubcomp, a->packet_id);
    }
    if (const auto* s = std::get_if<Suback>(&p.body)) {
        if (pending_request(s->packet_id, true)) m_handler.on_subscribed(*s);
        return true;
    }
    if (const auto* u = std::get_if<Unsuback>(&p.body)) {
        if (pending_request(u->packet_id, true)) m_handler.on_unsubscribed(*u);
        return true;
    }
    if (const auto* d = std::get_if<Disconnect>(&p.body)) {
        // 5.0 server-initiated DISCONNECT (§3.14): the reason tells why (e.g. 0x8E taken over).
        end_connection(Status(Errc::communication_failure), d->reason_code);
        return false;
    }
    if (p.type == PacketType::pingresp) {
        m_ping_outstanding = m_ping_queued = false;
        return true;
    }
    protocol_violation(Error::malformed_packet,
                       reason::protocol_error);  // CONNECT, SUBSCRIBE, PINGREQ... from a server
    return false;
}

bool Session::handle_connack(const Connack& c) noexcept {
    if (c.reason_code != 0) {
        log(LogLevel::warning, "mqtt: connection refused: %s",
            reason_to_string(c.reason_code, PacketType::connack, m_config.version));
        end_connection(Status(Errc::not_permitted), c.reason_code);
        return false;
    }
    m_broker = BrokerLimits{};
    m_broker.session_present = c.session_present;
    m_broker.keep_alive_s = m_config.keep_alive_s;
    if (m_config.version == ProtocolVersion::v5) {
        const Properties& pr = c.properties;
        m_broker.receive_maximum = static_cast<std::uint16_t>(pr.number(PropertyId::receive_maximum));
        m_broker.maximum_packet_size = pr.number(PropertyId::maximum_packet_size);
        m_broker.maximum_qos = static_cast<std::uint8_t>(pr.number(PropertyId::maximum_qos));
        m_broker.retain_available = pr.number(PropertyId::retain_available) != 0;
        // Server Keep Alive replaces ours ([MQTT-3.2.2-21]).
        if (pr.has(PropertyId::server_keep_alive))
            m_broker.keep_alive_s = static_cast<std::uint16_t>(pr.number(PropertyId::server_keep_alive));
    }
    m_keep_alive_s = m_broker.keep_alive_s;
    m_window = std::min(m_config.max_inflight, m_broker.receive_maximum);
    m_state = SessionState::connected;

    if (!c.session_present) {
        // The broker has no session of ours (clean start, expiry, or it lost it), and we discard
        // our session state too (3.1.1 §3.2.2.2, 5.0 §3.2.2.1.1): the receiver side goes, and a
        // QoS 2 message the broker already answered with PUBREC was received by it, so it is
        // finished. Everything else is still in the store and goes out as a new PUBLISH (no
        // DUP): the outbox, not the broker session, is what makes delivery survive.
        m_qos2_inbound.reset();
        StoreEntry e;
        std::uint64_t after = 0;
        while (m_store.next(after, e)) {
            after = e.seq;
            if (e.released) finish_message(e, reason::success);
        }
        m_sent_before = 0;
    }
    m_handler.on_connected(c);
    fill_window();
    return m_state != SessionState::disconnected;
}

bool Session::handle_publish(const Publish& p) noexcept {
    // We announce Topic Alias Maximum 0, so an alias is a protocol error ([MQTT-3.3.2-9]).
    if (m_config.version == ProtocolVersion::v5 && p.properties.has(PropertyId::topic_alias)) {
        protocol_violation(Error::bad_property, reason::topic_alias_invalid);
        return false;
    }
    // The acknowledgement is queued before the handler runs, but it only leaves after the
    // handler returns (output is flushed by poll), so the message is delivered before it is
    // acknowledged on the wire: at-least-once for QoS 1.
    switch (p.qos) {
        case QoS::at_most_once: break;
        case QoS::at_least_once:
            if (!queue_ack(PacketType::puback, p.packet_id)) return false;
            break;
        case QoS::exactly_once:
            if (!queue_ack(PacketType::pubrec, p.packet_id)) return false;
            if (m_qos2_inbound.test(p.packet_id)) {
                ++m_stats.duplicates_dropped;  // resent before our PUBREC arrived: already delivered
                return true;
            }
            m_qos2_inbound.set(p.packet_id);
            break;
    }
    ++m_stats.messages_received;
    m_handler.on_message(p);
    return m_state != SessionState::disconnected;
}

bool Session::handle_ack(const Ack& a) noexcept {
    StoreEntry e;
    if (!m_store.find(a.packet_id, e) || e.seq > m_cursor) {
        // Not something we sent on this connection: late duplicate, ignore.
        log(LogLevel::debug, "mqtt: %s for unknown packet id %u ignored", to_string(a.type), a.packet_id);
        return true;
    }
    const QoS expected = a.type == PacketType::puback ? QoS::at_least_once : QoS::exactly_once;
    if (e.qos != expected) {
        protocol_violation(Error::malformed_packet, reason::protocol_error);
        return false;
    }
    if (a.type == PacketType::pubrec && a.reason_code < 0x80) {
        if (!e.released) {
            // Durable before PUBREL: after a restart we must resend PUBREL, never the PUBLISH.
            if (const Status st = m_store.release(e.seq); !st.ok())
                log(LogLevel::error, "mqtt: outbox could not record PUBREC of %u (%s)", e.packet_id,
                    sebind::to_string(st.code()));
        }
        return queue_ack(PacketType::pubrel, a.packet_id);
    }
    // PUBACK, PUBCOMP, or a PUBREC refusing the message (5.0 reason >= 0x80): finished.
    if (m_inflight > 0) --m_inflight;
    finish_message(e, a.reason_code);
    return m_state != SessionState::disconnected;
}

}  // namespace sebind::mqtt
