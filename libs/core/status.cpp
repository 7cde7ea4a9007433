// SPDX-License-Identifier: Apache-2.0
// Names of the error categories.
#include "sebind/core/status.hpp"

namespace sebind {

const char* to_string(Errc e) noexcept {
    switch (e) {
        case Errc::ok: return "ok";
        case Errc::communication_failure: return "communication_failure";
        case Errc::busy: return "busy";
        case Errc::integrity_failure: return "integrity_failure";
        case Errc::invalid_response: return "invalid_response";
        case Errc::invalid_argument: return "invalid_argument";
        case Errc::buffer_too_small: return "buffer_too_small";
        case Errc::not_permitted: return "not_permitted";
        case Errc::does_not_exist: return "does_not_exist";
        case Errc::already_exists: return "already_exists";
        case Errc::invalid_signature: return "invalid_signature";
        case Errc::not_supported: return "not_supported";
        case Errc::hardware_failure: return "hardware_failure";
        case Errc::storage_failure: return "storage_failure";
        case Errc::corrupted_data: return "corrupted_data";
        case Errc::out_of_range: return "out_of_range";
        case Errc::timeout: return "timeout";
        case Errc::expired: return "expired";
    }
    return "unknown";
}

}  // namespace sebind
