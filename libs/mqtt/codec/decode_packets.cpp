// SPDX-License-Identifier: Apache-2.0
// Per-packet decoders (3.1.1 §3, 5.0 §3): variable header and payload rules, views into the body.
#include "sebind/mqtt/codec/decoder.hpp"
#include "sebind/mqtt/codec/topic.hpp"
#include "wire.hpp"

namespace sebind::mqtt {
namespace {

using detail::Reader;

constexpr bool v5(ProtocolVersion v) { return v == ProtocolVersion::v5; }

/// Reads the 5.0 property block of `ctx`; 3.1.1 packets have none.
bool props(Reader& r, PropertyContext ctx, ProtocolVersion v, Properties& out, Error& e) {
    if (!v5(v)) return true;
    e = detail::read_properties(r, ctx, out);
    return e == Error::ok;
}

/// A non-zero Packet Identifier (3.1.1 [MQTT-2.3.1-1], 5.0 [MQTT-2.2.1-3]).
bool packet_id(Reader& r, std::uint16_t& id, Error& e) {
    if (!r.be16(id)) return e = r.error(), false;
    if (id == 0) return e = Error::packet_id_zero, false;
    return true;
}

Error end(const Reader& r) {
    return r.error() != Error::ok ? r.error() : (r.at_end() ? Error::ok : Error::malformed_packet);
}

}  // namespace

Error decode_connect(const RawPacket& raw, Connect& out) noexcept {
    if (raw.type != PacketType::connect) return Error::bad_packet_type;
    out = Connect{};
    Reader r(raw.body);
    std::string_view name;
    std::uint8_t level = 0, flags = 0;
    if (!r.str(name) || !r.u8(level)) return r.error();
    // §3.1.2.1 / §3.1.2.2: "MQTT", level 4 (3.1.1) or 5; MQTT 3.1's "MQIsdp" is not supported.
    if (name != "MQTT" || (level != 4 && level != 5)) return Error::bad_protocol;
    const ProtocolVersion v = static_cast<ProtocolVersion>(level);
    out.version = v;
    if (!r.u8(flags) || !r.be16(out.keep_alive_s)) return r.error();
    if (flags & 0x01) return Error::bad_connect_flags;  // reserved ([MQTT-3.1.2-3])
    out.clean_start = (flags & 0x02) != 0;
    out.has_will = (flags & 0x04) != 0;
    const unsigned will_qos = (flags >> 3) & 3u;
    if (will_qos == 3) return Error::bad_qos;  // [MQTT-3.1.2-14]
    // Without a will, its QoS and retain bits must be 0 ([MQTT-3.1.2-13], [MQTT-3.1.2-15]).
    if (!out.has_will && (will_qos != 0 || (flags & 0x20))) return Error::bad_connect_flags;
    out.has_password = (flags & 0x40) != 0;
    out.has_username = (flags & 0x80) != 0;
    if (!v5(v) && out.has_password && !out.has_username) return Error::bad_connect_flags;  // [MQTT-3.1.2-22]
    Error e = Error::ok;
    if (!props(r, PropertyContext::connect, v, out.properties, e)) return e;
    if (!r.str(out.client_id)) return r.error();
    if (out.has_will) {
        out.will.qos = static_cast<QoS>(will_qos);
        out.will.retain = (flags & 0x20) != 0;
        if (!props(r, PropertyContext::will, v, out.will.properties, e)) return e;
        if (!r.str(out.will.topic) || !r.binary(out.will.payload)) return r.error();
        if (const Error te = check_topic_name(out.will.topic); te != Error::ok) return te;
    }
    if (out.has_username && !r.str(out.username)) return r.error();
    if (out.has_password && !r.binary(out.password)) return r.error();
    return end(r);
}

Error decode_connack(const RawPacket& raw, ProtocolVersion v, Connack& out) noexcept {
    if (raw.type != PacketType::connack) return Error::bad_packet_type;
    out = Connack{};
    Reader r(raw.body);
    std::uint8_t flags = 0;
    if (!r.u8(flags) || !r.u8(out.reason_code)) return r.error();
    if (flags & 0xFE) return Error::bad_connect_flags;  // reserved bits ([MQTT-3.2.2-1])
    out.session_present = (flags & 1) != 0;
    if (!detail::is_valid_reason(PacketType::connack, out.reason_code, v)) return Error::bad_reason_code;
    if (out.reason_code != 0 && out.session_present) return Error::bad_connect_flags;
    Error e = Error::ok;
    if (!props(r, PropertyContext::connack, v, out.properties, e)) return e;
    return end(r);
}

Error decode_publish(const RawPacket& raw, ProtocolVersion v, Publish& out) noexcept {
    if (raw.type != PacketType::publish) return Error::bad_packet_type;
    out = Publish{};
    out.dup = (raw.flags & 0x08) != 0;
    out.qos = static_cast<QoS>((raw.flags >> 1) & 3u);
    out.retain = (raw.flags & 0x01) != 0;
    if (static_cast<unsigned>(out.qos) > 2) return Error::bad_qos;
    Reader r(raw.body);
    if (!r.str(out.topic)) return r.error();
    Error e = Error::ok;
    if (out.qos != QoS::at_most_once && !packet_id(r, out.packet_id, e)) return e;
    if (!props(r, PropertyContext::publish, v, out.properties, e)) return e;
    // Topic names carry no wildcards ([MQTT-3.3.2-2]); 5.0 allows an empty one with an alias.
    if (!(v5(v) && out.topic.empty() && out.properties.has(PropertyId::topic_alias)))
        if (const Error te = check_topic_name(out.topic); te != Error::ok) return te;
    r.rest(out.payload);
    return end(r);
}

Error decode_ack(const RawPacket& raw, ProtocolVersion v, Ack& out) noexcept {
    if (raw.type != PacketType::puback && raw.type != PacketType::pubrec && raw.type != PacketType::pubrel &&
        raw.type != PacketType::pubcomp)
        return Error::bad_packet_type;
    out = Ack{};
    out.type = raw.type;
    Reader r(raw.body);
    Error e = Error::ok;
    if (!packet_id(r, out.packet_id, e)) return e;
    // 5.0 §3.4.2.1: Remaining Length 2 means success without properties; 3 means no properties.
    if (v5(v) && !r.at_end()) {
        if (!r.u8(out.reason_code)) return r.error();
        if (!detail::is_valid_reason(raw.type, out.reason_code, v)) return Error::bad_reason_code;
        if (!r.at_end() && !props(r, static_cast<PropertyContext>(raw.type), v, out.properties, e)) return e;
    }
    return end(r);
}

Error decode_subscribe(const RawPacket& raw, ProtocolVersion v, Subscribe& out) noexcept {
    if (raw.type != PacketType::subscribe) return Error::bad_packet_type;
    out = Subscribe{};
    Reader r(raw.body);
    Error e = Error::ok;
    if (!packet_id(r, out.packet_id, e) || !props(r, PropertyContext::subscribe, v, out.properties, e))
        return e != Error::ok ? e : r.error();
    Bytes payload;
    r.rest(payload);
    Reader list(payload);
    std::size_t count = 0;
    while (!list.at_end()) {
        std::string_view filter;
        std::uint8_t options = 0;
        if (!list.str(filter) || !list.u8(options)) return list.error();
        if (const Error fe = check_topic_filter(filter); fe != Error::ok) return fe;
        // Reserved option bits: 7..2 in 3.1.1 ([MQTT-3.8.3-4]), 7..6 in 5.0 ([MQTT-3.8.3-5]).
        if (options & (v5(v) ? 0xC0 : 0xFC)) return Error::malformed_packet;
        if ((options & 3) == 3) return Error::bad_qos;
        if (((options >> 4) & 3) == 3) return Error::malformed_packet;  // retain handling 3 (§3.8.3.1)
        ++count;
    }
    if (count == 0) return Error::empty_list;  // [MQTT-3.8.3-3]
    out.subscriptions = SubscriptionList::from_wire(payload, count, true);
    return Error::ok;
}

Error decode_suback(const RawPacket& raw, ProtocolVersion v, Suback& out) noexcept {
    if (raw.type != PacketType::suback) return Error::bad_packet_type;
    out = Suback{};
    Reader r(raw.body);
    Error e = Error::ok;
    if (!packet_id(r, out.packet_id, e) || !props(r, PropertyContext::suback, v, out.properties, e))
        return e != Error::ok ? e : r.error();
    r.rest(out.reason_codes);
    if (out.reason_codes.empty()) return Error::empty_list;  // one code per filter (§3.9.3)
    for (std::uint8_t c : out.reason_codes)
        if (!detail::is_valid_reason(PacketType::suback, c, v)) return Error::bad_reason_code;
    return Error::ok;
}

Error decode_unsubscribe(const RawPacket& raw, ProtocolVersion v, Unsubscribe& out) noexcept {
    if (raw.type != PacketType::unsubscribe) return Error::bad_packet_type;
    out = Unsubscribe{};
    Reader r(raw.body);
    Error e = Error::ok;
    if (!packet_id(r, out.packet_id, e) || !props(r, PropertyContext::unsubscribe, v, out.properties, e))
        return e != Error::ok ? e : r.error();
    Bytes payload;
    r.rest(payload);
    Reader list(payload);
    std::size_t count = 0;
    while (!list.at_end()) {
        std::string_view filter;
        if (!list.str(filter)) return list.error();
        if (const Error fe = check_topic_filter(filter); fe != Error::ok) return fe;
        ++count;
    }
    if (count == 0) return Error::empty_list;  // [MQTT-3.10.3-2]
    out.filters = SubscriptionList::from_wire(payload, count, false);
    return Error::ok;
}

Error decode_unsuback(const RawPacket& raw, ProtocolVersion v, Unsuback& out) noexcept {
    if (raw.type != PacketType::unsuback) return Error::bad_packet_type;
    out = Unsuback{};
    Reader r(raw.body);
    Error e = Error::ok;
    if (!packet_id(r, out.packet_id, e)) return e;
    if (!v5(v)) return end(r);  // 3.1.1: packet id only (§3.11)
    if (!props(r, PropertyContext::unsuback, v, out.properties, e)) return e;
    r.rest(out.reason_codes);
    if (out.reason_codes.empty()) return Error::empty_list;
    for (std::uint8_t c : out.reason_codes)
        if (!detail::is_valid_reason(PacketType::unsuback, c, v)) return Error::bad_reason_code;
    return Error::ok;
}

namespace {

/// DISCONNECT and AUTH in 5.0: Remaining Length 0 = success, 1 = reason only (§3.14.2.1, §3.15.2.1).
template <class P>
Error decode_reason_only(const RawPacket& raw, PacketType type, PropertyContext ctx, ProtocolVersion v, P& out) {
    out = P{};
    Reader r(raw.body);
    if (!v5(v)) return end(r);  // 3.1.1 DISCONNECT has no body (§3.14)
    if (r.at_end()) return Error::ok;
    if (!r.u8(out.reason_code)) return r.error();
    if (!detail::is_valid_reason(type, out.reason_code, v)) return Error::bad_reason_code;
    Error e = Error::ok;
    if (!r.at_end() && !props(r, ctx, v, out.properties, e)) return e;
    return end(r);
}

}  // namespace

Error decode_disconnect(const RawPacket& raw, ProtocolVersion v, Disconnect& out) noexcept {
    if (raw.type != PacketType::disconnect) return Error::bad_packet_type;
    return decode_reason_only(raw, PacketType::disconnect, PropertyContext::disconnect, v, out);
}

Error decode_auth(const RawPacket& raw, ProtocolVersion v, Auth& out) noexcept {
    if (raw.type != PacketType::auth || !v5(v)) return Error::bad_packet_type;
    return decode_reason_only(raw, PacketType::auth, PropertyContext::auth, v, out);
}

// The list view over a validated SUBSCRIBE / UNSUBSCRIBE payload.

SubscriptionList SubscriptionList::from_wire(Bytes payload, std::size_t count, bool with_options) noexcept {
    SubscriptionList l;
    l.m_wire = payload;
    l.m_wire_count = count;
    l.m_with_options = with_options;
    return l;
}

SubscriptionList::Iterator SubscriptionList::begin() const noexcept {
    Iterator it;
    it.m_list = this;
    it.load();
    return it;
}

SubscriptionList::Iterator SubscriptionList::end() const noexcept {
    Iterator it;
    it.m_list = this;
    it.m_index = size();
    return it;
}

SubscriptionList::Iterator& SubscriptionList::Iterator::operator++() noexcept {
    ++m_index;
    load();
    return *this;
}

void SubscriptionList::Iterator::load() noexcept {
    if (m_index >= m_list->size()) return;
    if (m_list->m_wire_count == 0) {
        m_current = m_list->m_items[m_index];
        return;
    }
    Reader r(m_list->m_wire.subspan(m_pos));
    Subscription s;
    std::uint8_t options = 0;
    (void)r.str(s.filter);
    if (m_list->m_with_options && r.u8(options)) {
        s.max_qos = static_cast<QoS>(options & 3);
        s.no_local = (options & 0x04) != 0;
        s.retain_as_published = (options & 0x08) != 0;
        s.retain_handling = static_cast<std::uint8_t>((options >> 4) & 3);
    }
    m_pos = m_list->m_wire.size() - r.remaining();
    m_current = s;
}

}  // namespace sebind::mqtt
