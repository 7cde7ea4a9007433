// SPDX-License-Identifier: Apache-2.0
// The in-memory broker of the session tests (see fake_broker.hpp).
#include "fake_broker.hpp"

#include <algorithm>

namespace sebind::mqtt::test {

Transport& FakeBroker::accept() {
    if (m_link) m_link->closed = true;
    m_link = std::make_shared<Link>();
    m_decoder = std::make_unique<Decoder>(m_storage, m_version);
    m_ends.push_back(std::make_unique<ClientEnd>(*this, m_link));
    return *m_ends.back();
}

void FakeBroker::drop() {
    if (m_link) m_link->closed = true;
}

IoResult FakeBroker::ClientEnd::send(Bytes data) noexcept {
    if (m_link->closed) return {IoStatus::closed, 0};
    if (m_broker.block_client_sends) return IoResult::blocked();
    const std::size_t n = std::min(data.size(), m_broker.max_send_chunk);
    m_link->to_broker.insert(m_link->to_broker.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    return IoResult::done(n);
}

IoResult FakeBroker::ClientEnd::recv(MutableBytes buf) noexcept {
    if (m_link->to_client.empty()) {
        if (m_link->closed) return {IoStatus::closed, 0};
        if (m_broker.on_client_wait) m_broker.on_client_wait();
        return IoResult::blocked();
    }
    const std::size_t n = std::min(buf.size(), m_link->to_client.size());
    std::copy_n(m_link->to_client.begin(), n, buf.begin());
    m_link->to_client.erase(m_link->to_client.begin(), m_link->to_client.begin() + static_cast<std::ptrdiff_t>(n));
    return IoResult::done(n);
}

void FakeBroker::send_raw(const std::vector<std::uint8_t>& bytes) {
    if (m_link && !m_link->closed) m_link->to_client.insert(m_link->to_client.end(), bytes.begin(), bytes.end());
}

void FakeBroker::send(const Packet& p) {
    std::vector<std::uint8_t> out(1 << 17);
    const EncodeResult r = encode(p, m_version, out);
    if (!r.ok()) {
        last_error = r.error;
        return;
    }
    out.resize(r.size);
    send_raw(out);
}

void FakeBroker::ack(PacketType type, std::uint16_t packet_id, std::uint8_t reason) {
    send(Packet{type, Ack{type, packet_id, reason, {}}});
}

std::size_t FakeBroker::count(PacketType t) const {
    return static_cast<std::size_t>(
        std::count_if(seen.begin(), seen.end(), [t](const Seen& s) { return s.type == t; }));
}

std::vector<Seen> FakeBroker::of(PacketType t) const {
    std::vector<Seen> out;
    for (const auto& s : seen)
        if (s.type == t) out.push_back(s);
    return out;
}

void FakeBroker::process() {
    if (!m_link || m_link->closed) return;
    Bytes in(m_link->to_broker);
    std::size_t used = 0;
    while (used < in.size()) {
        const auto f = m_decoder->feed(in.subspan(used));
        used += f.consumed;
        if (f.error != Error::ok) {
            last_error = f.error;
            m_link->closed = true;
            break;
        }
        if (!f.complete) break;
        Packet p;
        const RawPacket raw = m_decoder->packet();
        if (const Error e = decode(raw, m_version, p); e != Error::ok) {
            last_error = e;
            m_link->closed = true;
            break;
        }
        handle(p, raw.flags);
        if (m_link->closed) break;
    }
    m_link->to_broker.erase(m_link->to_broker.begin(), m_link->to_broker.begin() + static_cast<std::ptrdiff_t>(used));
}

void FakeBroker::handle(const Packet& p, std::uint8_t /*flags*/) {
    Seen s;
    s.type = p.type;
    if (const auto* c = std::get_if<Connect>(&p.body)) {
        SeenConnect sc;
        sc.version = c->version;
        sc.client_id = std::string(c->client_id);
        sc.clean_start = c->clean_start;
        sc.keep_alive_s = c->keep_alive_s;
        sc.has_will = c->has_will;
        sc.will_topic = std::string(c->will.topic);
        sc.will_payload.assign(c->will.payload.begin(), c->will.payload.end());
        sc.session_expiry = c->properties.number(PropertyId::session_expiry_interval);
        sc.has_maximum_packet_size = c->properties.has(PropertyId::maximum_packet_size);
        sc.maximum_packet_size = c->properties.number(PropertyId::maximum_packet_size);
        connects.push_back(sc);
        seen.push_back(s);
        if (!answer_connect) return;
        const bool present = keep_sessions && m_has_session && !c->clean_start && connack_code == 0;
        if (c->clean_start || !keep_sessions) m_qos2_inbound.clear();
        m_has_session = connack_code == 0 && !c->clean_start;
        Connack ca{present, connack_code, {}};
        if (m_version == ProtocolVersion::v5) ca.properties = connack_properties;
        send(Packet{PacketType::connack, ca});
        return;
    }
    if (const auto* m = std::get_if<Publish>(&p.body)) {
        s.topic = std::string(m->topic);
        s.payload.assign(m->payload.begin(), m->payload.end());
        s.qos = m->qos;
        s.dup = m->dup;
        s.retain = m->retain;
        s.packet_id = m->packet_id;
        seen.push_back(s);
        // Method B of §4.3.3 on the broker side: deliver once per packet id until PUBREL.
        if (m->qos == QoS::exactly_once) {
            if (m_qos2_inbound.insert(m->packet_id).second) delivered.push_back(s.payload);
        } else {
            delivered.push_back(s.payload);
        }
        if (auto_ack && m->qos == QoS::at_least_once) ack(PacketType::puback, m->packet_id);
        if (auto_ack && m->qos == QoS::exactly_once) ack(PacketType::pubrec, m->packet_id);
        return;
    }
    if (const auto* a = std::get_if<Ack>(&p.body)) {
        s.packet_id = a->packet_id;
        s.reason_code = a->reason_code;
        seen.push_back(s);
        if (a->type == PacketType::pubrel) {
            m_qos2_inbound.erase(a->packet_id);
            if (auto_ack) ack(PacketType::pubcomp, a->packet_id);
        }
        return;
    }
    if (const auto* sub = std::get_if<Subscribe>(&p.body)) {
        s.packet_id = sub->packet_id;
        std::vector<std::uint8_t> codes;
        for (const Subscription x : sub->subscriptions) {
            s.filters.emplace_back(x.filter);
            codes.push_back(static_cast<std::uint8_t>(x.max_qos));
        }
        seen.push_back(s);
        send(Packet{PacketType::suback, Suback{sub->packet_id, codes, {}}});
        return;
    }
    if (const auto* u = std::get_if<Unsubscribe>(&p.body)) {
        s.packet_id = u->packet_id;
        for (const Subscription x : u->filters) s.filters.emplace_back(x.filter);
        seen.push_back(s);
        std::vector<std::uint8_t> codes(s.filters.size(), 0);
        send(Packet{PacketType::unsuback,
                    Unsuback{u->packet_id, m_version == ProtocolVersion::v5 ? Bytes(codes) : Bytes{}, {}}});
        return;
    }
    if (const auto* d = std::get_if<Disconnect>(&p.body)) {
        s.reason_code = d->reason_code;
        seen.push_back(s);
        m_link->closed = true;  // §3.14.4: the server closes after DISCONNECT
        return;
    }
    seen.push_back(s);
    if (p.type == PacketType::pingreq && answer_pings) send(Packet{PacketType::pingresp, Empty{}});
}

}  // namespace sebind::mqtt::test
