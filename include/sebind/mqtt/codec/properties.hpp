// SPDX-License-Identifier: Apache-2.0
// MQTT 5.0 properties (§2.2.2): a fixed-size, table-driven holder used both to encode (values set
// by the caller) and to decode (views into the received packet). No heap.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "sebind/core/bytes.hpp"
#include "sebind/mqtt/codec/types.hpp"

namespace sebind::mqtt {

/// Property identifiers (5.0 §2.2.2.2).
enum class PropertyId : std::uint8_t {
    payload_format_indicator = 0x01,
    message_expiry_interval = 0x02,
    content_type = 0x03,
    response_topic = 0x08,
    correlation_data = 0x09,
    subscription_identifier = 0x0B,
    session_expiry_interval = 0x11,
    assigned_client_identifier = 0x12,
    server_keep_alive = 0x13,
    authentication_method = 0x15,
    authentication_data = 0x16,
    request_problem_information = 0x17,
    will_delay_interval = 0x18,
    request_response_information = 0x19,
    response_information = 0x1A,
    server_reference = 0x1C,
    reason_string = 0x1F,
    receive_maximum = 0x21,
    topic_alias_maximum = 0x22,
    topic_alias = 0x23,
    maximum_qos = 0x24,
    retain_available = 0x25,
    user_property = 0x26,
    maximum_packet_size = 0x27,
    wildcard_subscription_available = 0x28,
    subscription_identifier_available = 0x29,
    shared_subscription_available = 0x2A,
};

/// Where a property block appears. Values are the packet types; `will` (0) is the will
/// properties inside CONNECT's payload.
enum class PropertyContext : std::uint8_t {
    will = 0,
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    disconnect = 14,
    auth = 15,
};

struct UserProperty {
    std::string_view name;
    std::string_view value;
};

/// A set of MQTT 5.0 properties. Numeric properties read as their value (or the spec's default
/// when absent); string and binary ones as views that live as long as the encoded packet (decode)
/// or the caller's data (encode). Repeated User Properties: set `user_properties` to encode;
/// after decode, visit them with for_each_user_property. A PUBLISH from a server may carry several
/// Subscription Identifiers: number() returns the first, raw() holds them all.
class Properties {
public:
    bool has(PropertyId id) const noexcept;
    bool empty() const noexcept { return m_present == 0 && user_properties.empty() && m_user_count == 0; }

    /// Byte, Two/Four Byte Integer and Variable Byte Integer properties; the spec's default when absent.
    std::uint32_t number(PropertyId id) const noexcept;
    /// UTF-8 string properties (empty when absent).
    std::string_view text(PropertyId id) const noexcept;
    /// Binary data properties (empty when absent).
    Bytes binary(PropertyId id) const noexcept;

    /// Setters are for encoding; the id must be of the matching kind (caller bug otherwise).
    Properties& set_number(PropertyId id, std::uint32_t value) noexcept;
    Properties& set_text(PropertyId id, std::string_view value) noexcept;
    Properties& set_binary(PropertyId id, Bytes value) noexcept;
    void clear(PropertyId id) noexcept;

    /// User properties to encode, in order (5.0 §3.1.2.11.8).
    std::span<const UserProperty> user_properties;

    /// After decode: the whole property block as received (without its length prefix).
    Bytes raw() const noexcept { return m_raw; }
    /// After decode: number of User Properties received.
    std::size_t user_property_count() const noexcept { return m_user_count; }
    /// Calls f(UserProperty) for each received User Property, then for each in `user_properties`.
    template <class F>
    void for_each_user_property(F&& f) const;

private:
    friend struct PropertiesAccess;
    static constexpr std::size_t kNumbers = 17;
    static constexpr std::size_t kStrings = 9;
    std::uint64_t m_present = 0;
    std::array<std::uint32_t, kNumbers> m_numbers{};
    std::array<Bytes, kStrings> m_strings{};
    Bytes m_raw;
    std::size_t m_user_count = 0;
};

namespace detail {
/// Walks a validated property block; returns false at its end. Used by for_each_user_property.
bool next_user_property(Bytes block, std::size_t& pos, UserProperty& out) noexcept;
}  // namespace detail

template <class F>
void Properties::for_each_user_property(F&& f) const {
    std::size_t pos = 0;
    UserProperty up;
    while (detail::next_user_property(m_raw, pos, up)) f(up);
    for (const auto& u : user_properties) f(u);
}

}  // namespace sebind::mqtt
