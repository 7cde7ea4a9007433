// SPDX-License-Identifier: Apache-2.0
// Names of packet types, codec errors and reason codes; codec errors as sebind::Status.
#include "sebind/mqtt/codec/types.hpp"

#include <initializer_list>

#include "wire.hpp"

namespace sebind::mqtt {

const char* to_string(PacketType t) noexcept {
    switch (t) {
        case PacketType::connect: return "CONNECT";
        case PacketType::connack: return "CONNACK";
        case PacketType::publish: return "PUBLISH";
        case PacketType::puback: return "PUBACK";
        case PacketType::pubrec: return "PUBREC";
        case PacketType::pubrel: return "PUBREL";
        case PacketType::pubcomp: return "PUBCOMP";
        case PacketType::subscribe: return "SUBSCRIBE";
        case PacketType::suback: return "SUBACK";
        case PacketType::unsubscribe: return "UNSUBSCRIBE";
        case PacketType::unsuback: return "UNSUBACK";
        case PacketType::pingreq: return "PINGREQ";
        case PacketType::pingresp: return "PINGRESP";
        case PacketType::disconnect: return "DISCONNECT";
        case PacketType::auth: return "AUTH";
    }
    return "reserved";
}

const char* to_string(Error e) noexcept {
    switch (e) {
        case Error::ok: return "ok";
        case Error::buffer_too_small: return "buffer_too_small";
        case Error::malformed_remaining_length: return "malformed_remaining_length";
        case Error::packet_too_large: return "packet_too_large";
        case Error::bad_packet_type: return "bad_packet_type";
        case Error::bad_flags: return "bad_flags";
        case Error::malformed_packet: return "malformed_packet";
        case Error::bad_utf8: return "bad_utf8";
        case Error::bad_topic_name: return "bad_topic_name";
        case Error::bad_topic_filter: return "bad_topic_filter";
        case Error::packet_id_zero: return "packet_id_zero";
        case Error::bad_qos: return "bad_qos";
        case Error::bad_protocol: return "bad_protocol";
        case Error::bad_connect_flags: return "bad_connect_flags";
        case Error::bad_property: return "bad_property";
        case Error::bad_reason_code: return "bad_reason_code";
        case Error::empty_list: return "empty_list";
        case Error::value_too_large: return "value_too_large";
        case Error::decoder_failed: return "decoder_failed";
    }
    return "unknown";
}

Status to_status(Error e, Origin origin) noexcept {
    switch (e) {
        case Error::ok: return Status::success();
        case Error::buffer_too_small: return Status(Errc::buffer_too_small);
        case Error::packet_too_large: return Status(Errc::out_of_range);
        default: return Status(origin == Origin::local ? Errc::invalid_argument : Errc::invalid_response);
    }
}

namespace {

const char* connack_v3(std::uint8_t code) noexcept {
    // 3.1.1 §3.2.2.3, table 3.1.
    switch (code) {
        case 0: return "connection accepted";
        case 1: return "unacceptable protocol version";
        case 2: return "client identifier rejected";
        case 3: return "server unavailable";
        case 4: return "bad user name or password";
        case 5: return "not authorized";
        default: return "reserved return code";
    }
}

}  // namespace

const char* reason_to_string(std::uint8_t code, PacketType type, ProtocolVersion version) noexcept {
    if (version == ProtocolVersion::v3_1_1) {
        if (type == PacketType::connack) return connack_v3(code);
        if (type == PacketType::suback) return code == 0x80 ? "failure" : "granted";
        return code == 0 ? "success" : "unknown";
    }
    // 5.0 §2.4, table 2-6: a few codes mean different things by packet.
    switch (code) {
        case 0x00:
            if (type == PacketType::disconnect) return "normal disconnection";
            if (type == PacketType::suback) return "granted QoS 0";
            return "success";
        case 0x01: return "granted QoS 1";
        case 0x02: return "granted QoS 2";
        case 0x04: return "disconnect with will message";
        case 0x10: return "no matching subscribers";
        case 0x11: return "no subscription existed";
        case 0x18: return "continue authentication";
        case 0x19: return "re-authenticate";
        case 0x80: return "unspecified error";
        case 0x81: return "malformed packet";
        case 0x82: return "protocol error";
        case 0x83: return "implementation specific error";
        case 0x84: return "unsupported protocol version";
        case 0x85: return "client identifier not valid";
        case 0x86: return "bad user name or password";
        case 0x87: return "not authorized";
        case 0x88: return "server unavailable";
        case 0x89: return "server busy";
        case 0x8A: return "banned";
        case 0x8B: return "server shutting down";
        case 0x8C: return "bad authentication method";
        case 0x8D: return "keep alive timeout";
        case 0x8E: return "session taken over";
        case 0x8F: return "topic filter invalid";
        case 0x90: return "topic name invalid";
        case 0x91: return "packet identifier in use";
        case 0x92: return "packet identifier not found";
        case 0x93: return "receive maximum exceeded";
        case 0x94: return "topic alias invalid";
        case 0x95: return "packet too large";
        case 0x96: return "message rate too high";
        case 0x97: return "quota exceeded";
        case 0x98: return "administrative action";
        case 0x99: return "payload format invalid";
        case 0x9A: return "retain not supported";
        case 0x9B: return "QoS not supported";
        case 0x9C: return "use another server";
        case 0x9D: return "server moved";
        case 0x9E: return "shared subscriptions not supported";
        case 0x9F: return "connection rate exceeded";
        case 0xA0: return "maximum connect time";
        case 0xA1: return "subscription identifiers not supported";
        case 0xA2: return "wildcard subscriptions not supported";
        default: return "unknown reason code";
    }
}

namespace detail {

bool is_valid_reason(PacketType type, std::uint8_t code, ProtocolVersion v) noexcept {
    auto in = [code](std::initializer_list<std::uint8_t> set) {
        for (auto c : set)
            if (c == code) return true;
        return false;
    };
    if (v == ProtocolVersion::v3_1_1) {
        if (type == PacketType::connack) return code <= 5;
        if (type == PacketType::suback) return in({0x00, 0x01, 0x02, 0x80});
        return code == 0;
    }
    switch (type) {
        case PacketType::connack:  // §3.2.2.2
            return in({0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                       0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
        case PacketType::puback:  // §3.4.2.1
        case PacketType::pubrec:  // §3.5.2.1
            return in({0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
        case PacketType::pubrel:   // §3.6.2.1
        case PacketType::pubcomp:  // §3.7.2.1
            return in({0x00, 0x92});
        case PacketType::suback:  // §3.9.3
            return in({0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
        case PacketType::unsuback:  // §3.11.3
            return in({0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
        case PacketType::disconnect:  // §3.14.2.1
            return in({0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
                       0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2});
        case PacketType::auth:  // §3.15.2.1
            return in({0x00, 0x18, 0x19});
        default: return false;
    }
}

}  // namespace detail
}  // namespace sebind::mqtt
