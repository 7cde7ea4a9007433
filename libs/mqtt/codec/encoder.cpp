// SPDX-License-Identifier: Apache-2.0
// Packet encoders (3.1.1 §3, 5.0 §3). Each validates its input with the decoder's rules, then
// runs the two-pass write of detail::encode_packet.
#include "sebind/mqtt/codec/encoder.hpp"

#include "sebind/mqtt/codec/topic.hpp"
#include "wire.hpp"

namespace sebind::mqtt {
namespace {

using detail::Writer;

constexpr bool v5(ProtocolVersion v) { return v == ProtocolVersion::v5; }
constexpr std::uint8_t first(PacketType t, unsigned flags = 0) {
    return static_cast<std::uint8_t>((static_cast<unsigned>(t) << 4) | flags);
}

EncodeResult finish(Error e, std::size_t size) {
    return {e, e == Error::ok || e == Error::buffer_too_small ? size : 0};
}

template <class BodyFn>
EncodeResult run(std::uint8_t first_byte, MutableBytes out, BodyFn&& body) {
    std::size_t size = 0;
    const Error e = detail::encode_packet(first_byte, out, size, body);
    return finish(e, size);
}

/// 3.1.1 packets carry no properties; 5.0 ones must fit their context.
Error check_props(const Properties& p, PropertyContext c, ProtocolVersion v) {
    if (!v5(v)) return p.empty() ? Error::ok : Error::bad_property;
    return detail::check_properties(p, c);
}

Error check_string(std::string_view s) {
    if (s.size() > detail::kMaxString) return Error::value_too_large;
    return is_valid_utf8(s) ? Error::ok : Error::bad_utf8;
}

#define SEBIND_MQTT_CHECK(expr)                                       \
    do {                                                              \
        if (const Error e_ = (expr); e_ != Error::ok) return {e_, 0}; \
    } while (0)

}  // namespace

EncodeResult encode(const Connect& p, MutableBytes out) noexcept {
    const ProtocolVersion v = p.version;
    if (v != ProtocolVersion::v3_1_1 && v != ProtocolVersion::v5) return {Error::bad_protocol, 0};
    SEBIND_MQTT_CHECK(check_string(p.client_id));
    if (p.has_will) {
        SEBIND_MQTT_CHECK(check_topic_name(p.will.topic));
        if (static_cast<unsigned>(p.will.qos) > 2) return {Error::bad_qos, 0};
        if (p.will.payload.size() > detail::kMaxString) return {Error::value_too_large, 0};
        SEBIND_MQTT_CHECK(check_props(p.will.properties, PropertyContext::will, v));
    }
    if (p.has_username) SEBIND_MQTT_CHECK(check_string(p.username));
    if (p.has_password && p.password.size() > detail::kMaxString) return {Error::value_too_large, 0};
    // 3.1.1 [MQTT-3.1.2-22]: a password needs a user name (5.0 lifted this rule).
    if (!v5(v) && p.has_password && !p.has_username) return {Error::bad_connect_flags, 0};
    SEBIND_MQTT_CHECK(check_props(p.properties, PropertyContext::connect, v));

    unsigned flags = 0;  // §3.1.2.3: bit 0 is reserved and must be 0
    if (p.clean_start) flags |= 0x02;
    if (p.has_will) {
        flags |= 0x04 | (static_cast<unsigned>(p.will.qos) << 3);
        if (p.will.retain) flags |= 0x20;
    }
    if (p.has_password) flags |= 0x40;
    if (p.has_username) flags |= 0x80;
    return run(first(PacketType::connect), out, [&](Writer& w) {
        w.str("MQTT");
        w.u8(static_cast<std::uint8_t>(v));
        w.u8(static_cast<std::uint8_t>(flags));
        w.be16(p.keep_alive_s);
        if (v5(v)) detail::write_properties(w, p.properties);
        w.str(p.client_id);
        if (p.has_will) {
            if (v5(v)) detail::write_properties(w, p.will.properties);
            w.str(p.will.topic);
            w.len16(p.will.payload);
        }
        if (p.has_username) w.str(p.username);
        if (p.has_password) w.len16(p.password);
    });
}

EncodeResult encode(const Connack& p, ProtocolVersion v, MutableBytes out) noexcept {
    if (!detail::is_valid_reason(PacketType::connack, p.reason_code, v)) return {Error::bad_reason_code, 0};
    // [MQTT-3.2.2-4] (3.1.1) / [MQTT-3.2.2-6] (5.0): a refusal never claims a session.
    if (p.reason_code != 0 && p.session_present) return {Error::bad_connect_flags, 0};
    SEBIND_MQTT_CHECK(check_props(p.properties, PropertyContext::connack, v));
    return run(first(PacketType::connack), out, [&](Writer& w) {
        w.u8(p.session_present ? 1 : 0);
        w.u8(p.reason_code);
        if (v5(v)) detail::write_properties(w, p.properties);
    });
}

EncodeResult encode(const Publish& p, ProtocolVersion v, MutableBytes out) noexcept {
    const unsigned qos = static_cast<unsigned>(p.qos);
    if (qos > 2) return {Error::bad_qos, 0};
    if (qos == 0 && p.dup) return {Error::bad_flags, 0};  // [MQTT-3.3.1-2]
    if (qos > 0 && p.packet_id == 0) return {Error::packet_id_zero, 0};
    // 5.0 §3.3.2.1: a zero-length topic is allowed only together with a Topic Alias.
    const bool alias_only = v5(v) && p.topic.empty() && p.properties.has(PropertyId::topic_alias);
    if (!alias_only) SEBIND_MQTT_CHECK(check_topic_name(p.topic));
    SEBIND_MQTT_CHECK(check_props(p.properties, PropertyContext::publish, v));
    const unsigned flags = (p.dup ? 0x08u : 0u) | (qos << 1) | (p.retain ? 1u : 0u);
    return run(first(PacketType::publish, flags), out, [&](Writer& w) {
        w.str(p.topic);
        if (qos > 0) w.be16(p.packet_id);
        if (v5(v)) detail::write_properties(w, p.properties);
        w.raw(p.payload);
    });
}

EncodeResult encode(const Ack& p, ProtocolVersion v, MutableBytes out) noexcept {
    if (p.type != PacketType::puback && p.type != PacketType::pubrec && p.type != PacketType::pubrel &&
        p.type != PacketType::pubcomp)
        return {Error::bad_packet_type, 0};
    if (p.packet_id == 0) return {Error::packet_id_zero, 0};
    if (!detail::is_valid_reason(p.type, p.reason_code, v)) return {Error::bad_reason_code, 0};
    SEBIND_MQTT_CHECK(check_props(p.properties, static_cast<PropertyContext>(p.type), v));
    const unsigned flags = p.type == PacketType::pubrel ? 0x2u : 0u;  // [MQTT-3.6.1-1]
    return run(first(p.type, flags), out, [&](Writer& w) {
        w.be16(p.packet_id);
        // 5.0 §3.4.2.1: reason code and property length may be left out when not needed.
        if (!v5(v) || (p.reason_code == 0 && p.properties.empty())) return;
        w.u8(p.reason_code);
        if (!p.properties.empty()) detail::write_properties(w, p.properties);
    });
}

EncodeResult encode(const Subscribe& p, ProtocolVersion v, MutableBytes out) noexcept {
    if (p.packet_id == 0) return {Error::packet_id_zero, 0};
    if (p.subscriptions.empty()) return {Error::empty_list, 0};  // [MQTT-3.8.3-3]
    for (const Subscription s : p.subscriptions) {
        SEBIND_MQTT_CHECK(check_topic_filter(s.filter));
        if (static_cast<unsigned>(s.max_qos) > 2) return {Error::bad_qos, 0};
        if (s.retain_handling > 2) return {Error::bad_property, 0};
        if (!v5(v) && (s.no_local || s.retain_as_published || s.retain_handling != 0)) return {Error::bad_property, 0};
    }
    SEBIND_MQTT_CHECK(check_props(p.properties, PropertyContext::subscribe, v));
    return run(first(PacketType::subscribe, 0x2), out, [&](Writer& w) {
        w.be16(p.packet_id);
        if (v5(v)) detail::write_properties(w, p.properties);
        for (const Subscription s : p.subscriptions) {
            w.str(s.filter);
            // 5.0 §3.8.3.1 options byte; in 3.1.1 only the QoS bits exist.
            unsigned o = static_cast<unsigned>(s.max_qos);
            if (s.no_local) o |= 0x04;
            if (s.retain_as_published) o |= 0x08;
            o |= static_cast<unsigned>(s.retain_handling) << 4;
            w.u8(static_cast<std::uint8_t>(o));
        }
    });
}

EncodeResult encode(const Suback& p, ProtocolVersion v, MutableBytes out) noexcept {
    if (p.packet_id == 0) return {Error::packet_id_zero, 0};
    if (p.reason_codes.empty()) return {Error::empty_list, 0};
    for (std::uint8_t c : p.reason_codes)
        if (!detail::is_valid_reason(PacketType::suback, c, v)) return {Error::bad_reason_code, 0};
    SEBIND_MQTT_CHECK(check_props(p.properties, PropertyContext::suback, v));
    return run(first(PacketType::suback), out, [&](Writer& w) {
        w.be16(p.packet_id);
        if (v5(v)) detail::write_properties(w, p.properties);
        w.raw(p.reason_codes);
    });
}

EncodeResult encode(const Unsubscribe& p, ProtocolVersion v, MutableBytes out) noexcept {
    if (p.packet_id == 0) return {Error::packet_id_zero, 0};
    if (p.filters.empty()) return {Error::empty_list, 0};  // [MQTT-3.10.3-2]
    for (const Subscription s : p.filters) SEBIND_MQTT_CHECK(check_topic_filter(s.filter));
    SEBIND_MQTT_CHECK(check_props(p.properties, PropertyContext::unsubscribe, v));
    return run(first(PacketType::unsubscribe, 0x2), out, [&](Writer& w) {
        w.be16(p.packet_id);
        if (v5(v)) detail::write_properties(w, p.properties);
        for (const Subscription s : p.filters) w.str(s.filter);
    });
}

EncodeResult encode(const Unsuback& p, ProtocolVersion v, MutableBytes out) noexcept {
    if (p.packet_id == 0) return {Error::packet_id_zero, 0};
    if (v5(v)) {
        if (p.reason_codes.empty()) return {Error::empty_list, 0};
        for (std::uint8_t c : p.reason_codes)
            if (!detail::is_valid_reason(PacketType::unsuback, c, v)) return {Error::bad_reason_code, 0};
    } else if (!p.reason_codes.empty()) {
        return {Error::bad_reason_code, 0};  // 3.1.1 UNSUBACK has no payload (§3.11.3)
    }
    SEBIND_MQTT_CHECK(check_props(p.properties, PropertyContext::unsuback, v));
    return run(first(PacketType::unsuback), out, [&](Writer& w) {
        w.be16(p.packet_id);
        if (!v5(v)) return;
        detail::write_properties(w, p.properties);
        w.raw(p.reason_codes);
    });
}

namespace {

/// DISCONNECT and AUTH: 5.0 leaves out what is not needed (§3.14.2.1, §3.15.2.1).
template <class P>
EncodeResult encode_reason_only(const P& p, PacketType type, PropertyContext c, ProtocolVersion v, MutableBytes out) {
    if (!detail::is_valid_reason(type, p.reason_code, v)) return {Error::bad_reason_code, 0};
    SEBIND_MQTT_CHECK(check_props(p.properties, c, v));
    return run(first(type), out, [&](Writer& w) {
        if (!v5(v) || (p.reason_code == 0 && p.properties.empty())) return;
        w.u8(p.reason_code);
        if (!p.properties.empty()) detail::write_properties(w, p.properties);
    });
}

}  // namespace

EncodeResult encode(const Disconnect& p, ProtocolVersion v, MutableBytes out) noexcept {
    return encode_reason_only(p, PacketType::disconnect, PropertyContext::disconnect, v, out);
}

EncodeResult encode(const Auth& p, ProtocolVersion v, MutableBytes out) noexcept {
    if (!v5(v)) return {Error::bad_packet_type, 0};
    return encode_reason_only(p, PacketType::auth, PropertyContext::auth, v, out);
}

EncodeResult encode_ping(PacketType type, MutableBytes out) noexcept {
    if (type != PacketType::pingreq && type != PacketType::pingresp) return {Error::bad_packet_type, 0};
    return run(first(type), out, [](Writer&) {});
}

EncodeResult encode(const Packet& p, ProtocolVersion v, MutableBytes out) noexcept {
    if (const auto* x = std::get_if<Connect>(&p.body)) return encode(*x, out);
    if (const auto* x = std::get_if<Connack>(&p.body)) return encode(*x, v, out);
    if (const auto* x = std::get_if<Publish>(&p.body)) return encode(*x, v, out);
    if (const auto* x = std::get_if<Ack>(&p.body)) return encode(*x, v, out);
    if (const auto* x = std::get_if<Subscribe>(&p.body)) return encode(*x, v, out);
    if (const auto* x = std::get_if<Suback>(&p.body)) return encode(*x, v, out);
    if (const auto* x = std::get_if<Unsubscribe>(&p.body)) return encode(*x, v, out);
    if (const auto* x = std::get_if<Unsuback>(&p.body)) return encode(*x, v, out);
    if (const auto* x = std::get_if<Disconnect>(&p.body)) return encode(*x, v, out);
    if (const auto* x = std::get_if<Auth>(&p.body)) return encode(*x, v, out);
    return encode_ping(p.type, out);
}

}  // namespace sebind::mqtt
