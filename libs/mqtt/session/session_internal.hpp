// SPDX-License-Identifier: Apache-2.0
// Internal: constants shared by the session's source files.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sebind/mqtt/codec/types.hpp"

namespace sebind::mqtt::detail {

/// Output bytes kept free so that any inbound packet can be answered: the largest reply the
/// session sends to one packet is a 5.0 PUBREL/PUBCOMP with a reason code (5 bytes) or a
/// DISCONNECT (3 bytes).
inline constexpr std::size_t kAckReserve = 16;

/// The 5.0 DISCONNECT reason for a decode failure (§4.13: malformed packet vs protocol error).
inline std::uint8_t reason_for(Error e) noexcept {
    switch (e) {
        case Error::packet_too_large: return reason::packet_too_large;
        case Error::bad_property:
        case Error::bad_reason_code:
        case Error::packet_id_zero: return reason::protocol_error;
        default: return reason::malformed_packet;
    }
}

}  // namespace sebind::mqtt::detail
