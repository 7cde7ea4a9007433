// SPDX-License-Identifier: Apache-2.0
// MQTT 3.1.1 / 5.0 vocabulary: packet types, QoS, protocol versions, reason codes and the codec's
// error enum (with to_string and the mapping to sebind::Status used at library boundaries).
#pragma once

#include <cstdint>

#include "sebind/core/status.hpp"

namespace sebind::mqtt {

/// Protocol level byte of CONNECT (3.1.1 §3.1.2.2, 5.0 §3.1.2.2). MQTT 3.1 (level 3) is not supported.
enum class ProtocolVersion : std::uint8_t { v3_1_1 = 4, v5 = 5 };

/// Control packet types, the high nibble of the fixed header (3.1.1 §2.2.1, 5.0 §2.1.2).
enum class PacketType : std::uint8_t {
    connect = 1,
    connack,
    publish,
    puback,
    pubrec,
    pubrel,
    pubcomp,
    subscribe,
    suback,
    unsubscribe,
    unsuback,
    pingreq,
    pingresp,
    disconnect,
    auth,  ///< MQTT 5.0 only; reserved in 3.1.1
};
const char* to_string(PacketType t) noexcept;

enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

/// Largest value a Remaining Length / Variable Byte Integer can carry (3.1.1 §2.2.3, 5.0 §1.5.5).
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;
/// Largest MQTT packet: 1 type byte + 4 length bytes + kMaxRemainingLength.
inline constexpr std::uint32_t kMaxPacketSize = kMaxRemainingLength + 5;

/// MQTT 5.0 reason codes (§2.4) that this library produces or interprets. MQTT 3.1.1 CONNACK
/// return codes 1..5 are kept as their raw value in Connack::reason_code.
namespace reason {
inline constexpr std::uint8_t success = 0x00;  ///< also "normal disconnection", "granted QoS 0"
inline constexpr std::uint8_t granted_qos1 = 0x01;
inline constexpr std::uint8_t granted_qos2 = 0x02;
inline constexpr std::uint8_t disconnect_with_will = 0x04;
inline constexpr std::uint8_t no_matching_subscribers = 0x10;
inline constexpr std::uint8_t no_subscription_existed = 0x11;
inline constexpr std::uint8_t unspecified_error = 0x80;
inline constexpr std::uint8_t malformed_packet = 0x81;
inline constexpr std::uint8_t protocol_error = 0x82;
inline constexpr std::uint8_t implementation_specific_error = 0x83;
inline constexpr std::uint8_t not_authorized = 0x87;
inline constexpr std::uint8_t server_unavailable = 0x88;
inline constexpr std::uint8_t server_busy = 0x89;
inline constexpr std::uint8_t bad_authentication_method = 0x8C;
inline constexpr std::uint8_t keep_alive_timeout = 0x8D;
inline constexpr std::uint8_t session_taken_over = 0x8E;
inline constexpr std::uint8_t topic_filter_invalid = 0x8F;
inline constexpr std::uint8_t topic_name_invalid = 0x90;
inline constexpr std::uint8_t packet_identifier_in_use = 0x91;
inline constexpr std::uint8_t packet_identifier_not_found = 0x92;
inline constexpr std::uint8_t receive_maximum_exceeded = 0x93;
inline constexpr std::uint8_t topic_alias_invalid = 0x94;
inline constexpr std::uint8_t packet_too_large = 0x95;
inline constexpr std::uint8_t quota_exceeded = 0x97;
inline constexpr std::uint8_t payload_format_invalid = 0x99;
inline constexpr std::uint8_t retain_not_supported = 0x9A;
inline constexpr std::uint8_t qos_not_supported = 0x9B;
}  // namespace reason

/// Human-readable meaning of a reason code in the context of `type` (5.0 §2.4; for 3.1.1
/// CONNACK the return codes of §3.2.2.3).
const char* reason_to_string(std::uint8_t code, PacketType type, ProtocolVersion version) noexcept;

/// What the codec reports. Decode errors mean the peer broke a rule of the specification (the
/// connection must be closed, 5.0 §4.13); encode errors mean the caller asked for something the
/// protocol cannot carry. Values are stable (logged, fuzzed).
enum class Error : std::uint8_t {
    ok = 0,
    buffer_too_small,            ///< encode: output span too small (EncodeResult::size says how much is needed)
    malformed_remaining_length,  ///< more than 4 length bytes, or not minimal (5.0 §1.5.5)
    packet_too_large,            ///< larger than the configured maximum packet size
    bad_packet_type,             ///< reserved type 0, or AUTH (15) in 3.1.1
    bad_flags,                   ///< fixed-header flags not the ones required for the type (§2.2.2 / §2.1.3)
    malformed_packet,            ///< truncated or trailing bytes, inconsistent lengths
    bad_utf8,                    ///< ill-formed UTF-8, U+0000 or a surrogate (3.1.1 §1.5.3, 5.0 §1.5.4)
    bad_topic_name,              ///< empty topic name, or '+'/'#' in a topic name (§4.7)
    bad_topic_filter,            ///< empty filter, or '+'/'#' not on a whole level / '#' not last (§4.7.1)
    packet_id_zero,              ///< packet identifier 0 where a non-zero one is required (§2.3.1 / §2.2.1)
    bad_qos,                     ///< QoS 3, or a QoS field where none is allowed
    bad_protocol,                ///< protocol name not "MQTT" or unsupported level in CONNECT
    bad_connect_flags,           ///< reserved bit, will flags without will, password without user name (3.1.1)
    bad_property,     ///< unknown id, not allowed in this packet, repeated, or value out of range (5.0 §2.2.2)
    bad_reason_code,  ///< a reason / return code not defined for this packet
    empty_list,       ///< SUBSCRIBE / UNSUBSCRIBE without a topic filter (§3.8.3 / §3.10.3)
    value_too_large,  ///< encode: string/binary over 65,535 bytes or a value over its field
    decoder_failed,   ///< the decoder already reported an error; reset() it with a new connection
};
const char* to_string(Error e) noexcept;

/// Who produced the bytes an Error is about: our own caller (encode) or the peer (decode).
enum class Origin : std::uint8_t { local, peer };

/// The Status a codec Error becomes at a library boundary: buffer_too_small -> buffer_too_small,
/// packet_too_large -> out_of_range, everything else invalid_argument (local) or
/// invalid_response (peer).
Status to_status(Error e, Origin origin) noexcept;

}  // namespace sebind::mqtt
