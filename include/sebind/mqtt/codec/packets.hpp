// SPDX-License-Identifier: Apache-2.0
// MQTT control packets as plain structs of views: the same structs are filled by the caller to
// encode and by the decoder (pointing into the received bytes) after decode.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "sebind/core/bytes.hpp"
#include "sebind/mqtt/codec/properties.hpp"
#include "sebind/mqtt/codec/types.hpp"

namespace sebind::mqtt {

/// Will message of CONNECT (3.1.1 §3.1.2.5, 5.0 §3.1.2.5 and §3.1.3.2 for its properties).
struct Will {
    std::string_view topic;
    Bytes payload;
    QoS qos = QoS::at_most_once;
    bool retain = false;
    Properties properties;  ///< 5.0: will delay interval, message expiry, payload format, content type...
};

struct Connect {
    ProtocolVersion version = ProtocolVersion::v3_1_1;
    bool clean_start = true;          ///< "Clean Session" in 3.1.1, "Clean Start" in 5.0
    std::uint16_t keep_alive_s = 60;  ///< 0 disables keep alive (§3.1.2.10)
    std::string_view client_id;
    bool has_will = false;
    Will will;
    bool has_username = false;
    std::string_view username;
    bool has_password = false;
    Bytes password;
    Properties properties;  ///< 5.0: session expiry, receive maximum, maximum packet size...
};

struct Connack {
    bool session_present = false;
    /// 3.1.1: return code 0..5 (§3.2.2.3); 5.0: reason code (§3.2.2.2). 0 = accepted.
    std::uint8_t reason_code = 0;
    Properties properties;
};

struct Publish {
    std::string_view topic;  ///< may be empty only in 5.0 with a Topic Alias property
    Bytes payload;
    QoS qos = QoS::at_most_once;
    bool retain = false;
    bool dup = false;
    std::uint16_t packet_id = 0;  ///< required (non-zero) for QoS 1 and 2, absent for QoS 0
    Properties properties;
};

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout (§3.4-§3.7).
struct Ack {
    PacketType type = PacketType::puback;
    std::uint16_t packet_id = 0;
    std::uint8_t reason_code = 0;  ///< 5.0 only; 3.1.1 acks carry none
    Properties properties;
};

/// One entry of SUBSCRIBE (with options) or UNSUBSCRIBE (filter only).
struct Subscription {
    std::string_view filter;
    QoS max_qos = QoS::at_most_once;
    bool no_local = false;             ///< 5.0
    bool retain_as_published = false;  ///< 5.0
    std::uint8_t retain_handling = 0;  ///< 5.0: 0, 1 or 2
};

/// The topic-filter list of SUBSCRIBE / UNSUBSCRIBE: either the caller's span (to encode) or the
/// received, already validated payload (after decode). Iterate with begin()/end().
class SubscriptionList {
public:
    SubscriptionList() = default;
    // NOLINTBEGIN(google-explicit-constructor): a list is naturally given as an array or span.
    SubscriptionList(std::span<const Subscription> items) noexcept : m_items(items) {}
    template <std::size_t N>
    SubscriptionList(const Subscription (&items)[N]) noexcept : m_items(items) {}
    // NOLINTEND(google-explicit-constructor)
    /// A view over a validated wire payload (`with_options`: SUBSCRIBE, else UNSUBSCRIBE).
    static SubscriptionList from_wire(Bytes payload, std::size_t count, bool with_options) noexcept;

    std::size_t size() const noexcept { return m_wire_count != 0 ? m_wire_count : m_items.size(); }
    bool empty() const noexcept { return size() == 0; }

    class Iterator {
    public:
        Subscription operator*() const noexcept { return m_current; }
        Iterator& operator++() noexcept;
        bool operator==(const Iterator& o) const noexcept { return m_index == o.m_index; }

    private:
        friend class SubscriptionList;
        void load() noexcept;
        const SubscriptionList* m_list = nullptr;
        std::size_t m_index = 0;
        std::size_t m_pos = 0;
        Subscription m_current;
    };
    Iterator begin() const noexcept;
    Iterator end() const noexcept;

private:
    std::span<const Subscription> m_items;
    Bytes m_wire;
    std::size_t m_wire_count = 0;
    bool m_with_options = true;
};

struct Subscribe {
    std::uint16_t packet_id = 0;
    SubscriptionList subscriptions;
    Properties properties;  ///< 5.0: subscription identifier, user properties
};

struct Suback {
    std::uint16_t packet_id = 0;
    Bytes reason_codes;  ///< one per filter: granted QoS or a failure code (>= 0x80)
    Properties properties;
};

struct Unsubscribe {
    std::uint16_t packet_id = 0;
    SubscriptionList filters;  ///< only Subscription::filter is used
    Properties properties;
};

struct Unsuback {
    std::uint16_t packet_id = 0;
    Bytes reason_codes;  ///< 5.0 only (one per filter); empty in 3.1.1
    Properties properties;
};

struct Disconnect {
    std::uint8_t reason_code = 0;  ///< 5.0 only
    Properties properties;
};

struct Auth {
    std::uint8_t reason_code = 0;
    Properties properties;
};

/// PINGREQ / PINGRESP have no content.
struct Empty {};

using PacketBody =
    std::variant<Empty, Connect, Connack, Publish, Ack, Subscribe, Suback, Unsubscribe, Unsuback, Disconnect, Auth>;

/// A decoded packet of any type.
struct Packet {
    PacketType type = PacketType::pingreq;
    PacketBody body;
};

}  // namespace sebind::mqtt
