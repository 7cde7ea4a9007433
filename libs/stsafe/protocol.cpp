// SPDX-License-Identifier: Apache-2.0
// Protocol tables: names, curve OIDs (§5.2), chip-status categories (§3), busy times (§8.1).
#include "sebind/stsafe/protocol.hpp"

#include <cstring>

namespace sebind::stsafe {

const char* to_string(Command c) noexcept {
    switch (c) {
        case Command::echo: return "Echo";
        case Command::reset: return "Reset";
        case Command::generate_random: return "Generate Random";
        case Command::start_session: return "Start Session";
        case Command::decrement: return "Decrement";
        case Command::read: return "Read";
        case Command::update: return "Update";
        case Command::derive_lora_key: return "Derive LoRa Key";
        case Command::generate_mac: return "Generate MAC";
        case Command::verify_mac: return "Verify MAC";
        case Command::delete_attribute: return "Delete";
        case Command::hibernate: return "Hibernate";
        case Command::wrap_local_envelope: return "Wrap Local Envelope";
        case Command::unwrap_local_envelope: return "Unwrap Local Envelope";
        case Command::put_attribute: return "Put Attribute";
        case Command::generate_key: return "Generate Key";
        case Command::query: return "Query";
        case Command::generate_signature: return "Generate Signature";
        case Command::verify_signature: return "Verify Signature";
        case Command::establish_key: return "Establish Key";
        case Command::verify_password: return "Verify Password";
        case Command::encrypt: return "Encrypt";
        case Command::decrypt: return "Decrypt";
    }
    return "Unknown command";
}

const char* to_string(DeviceStatus s) noexcept {
    switch (s) {
        case DeviceStatus::ok: return "OK";
        case DeviceStatus::communication_error: return "COMMUNICATION_ERROR";
        case DeviceStatus::inconsistent_command_data: return "INCONSISTENT_COMMAND_DATA";
        case DeviceStatus::value_out_of_range: return "VALUE_OUT_OF_RANGE";
        case DeviceStatus::command_code_not_supported: return "COMMAND_CODE_NOT_SUPPORTED";
        case DeviceStatus::unexpected_error: return "UNEXPECTED_ERROR";
        case DeviceStatus::buffer_length_exceeded: return "BUFFER_LENGTH_EXCEEDED";
        case DeviceStatus::session_error: return "SESSION_ERROR";
        case DeviceStatus::too_many_messages_lost: return "TOO_MANY_MESSAGES_LOST";
        case DeviceStatus::c_mac_counter_maximum_reached: return "C_MAC_COUNTER_MAXIMUM_REACHED";
        case DeviceStatus::key_not_found: return "KEY_NOT_FOUND";
        case DeviceStatus::key_blocked: return "KEY_BLOCKED";
        case DeviceStatus::wrong_key_type: return "WRONG_KEY_TYPE";
        case DeviceStatus::session_counter_out_of_range: return "SESSION_COUNTER_OUT_OF_RANGE";
        case DeviceStatus::invalid_life_cycle_state: return "INVALID_LIFE_CYCLE_STATE";
        case DeviceStatus::entry_not_found: return "ENTRY_NOT_FOUND";
        case DeviceStatus::access_condition_not_satisfied: return "ACCESS_CONDITION_NOT_SATISFIED";
        case DeviceStatus::wrong_zone_type: return "WRONG_ZONE_TYPE";
        case DeviceStatus::counter_limit_exceeded: return "COUNTER_LIMIT_EXCEEDED";
        case DeviceStatus::boundary_exceeded: return "BOUNDARY_EXCEEDED";
        case DeviceStatus::invalid_private_key: return "INVALID_PRIVATE_KEY";
        case DeviceStatus::invalid_c_mac: return "INVALID_C_MAC";
        case DeviceStatus::challenge_missing: return "CHALLENGE_MISSING";
        case DeviceStatus::command_decryption_error: return "COMMAND_DECRYPTION_ERROR";
        case DeviceStatus::invalid_public_key: return "INVALID_PUBLIC_KEY";
        case DeviceStatus::password_blocked: return "PASSWORD_BLOCKED";
        case DeviceStatus::wrong_key_usage: return "WRONG_KEY_USAGE";
        case DeviceStatus::wrong_mode_of_operation: return "WRONG_MODE_OF_OPERATION";
        case DeviceStatus::wrong_mac_length: return "WRONG_MAC_LENGTH";
        case DeviceStatus::command_not_authorized: return "COMMAND_NOT_AUTHORIZED";
        case DeviceStatus::old_message: return "OLD_MESSAGE";
    }
    return "UNKNOWN";
}

Status status_from_device(std::uint8_t device_status) noexcept {
    const std::uint8_t code = device_status & kStatusCodeMask;
    Errc category = Errc::hardware_failure;
    switch (static_cast<DeviceStatus>(code)) {
        case DeviceStatus::ok: return Status::success();
        case DeviceStatus::communication_error: category = Errc::communication_failure; break;
        case DeviceStatus::inconsistent_command_data:
        case DeviceStatus::buffer_length_exceeded:
        case DeviceStatus::wrong_mac_length:
        case DeviceStatus::invalid_public_key:
        case DeviceStatus::wrong_key_type:
        case DeviceStatus::wrong_zone_type:  // e.g. Decrement on a data zone: the caller's mistake
            category = Errc::invalid_argument;
            break;
        case DeviceStatus::value_out_of_range:
        case DeviceStatus::boundary_exceeded:
        case DeviceStatus::counter_limit_exceeded:
        case DeviceStatus::session_counter_out_of_range:
        case DeviceStatus::c_mac_counter_maximum_reached: category = Errc::out_of_range; break;
        case DeviceStatus::command_code_not_supported: category = Errc::not_supported; break;
        case DeviceStatus::key_not_found:
        case DeviceStatus::entry_not_found:
        case DeviceStatus::challenge_missing: category = Errc::does_not_exist; break;
        case DeviceStatus::key_blocked:
        case DeviceStatus::invalid_life_cycle_state:
        case DeviceStatus::access_condition_not_satisfied:
        case DeviceStatus::password_blocked:
        case DeviceStatus::wrong_key_usage:
        case DeviceStatus::wrong_mode_of_operation:
        case DeviceStatus::command_not_authorized:
        case DeviceStatus::session_error: category = Errc::not_permitted; break;
        case DeviceStatus::invalid_c_mac:
        case DeviceStatus::command_decryption_error:
        case DeviceStatus::old_message:
        case DeviceStatus::too_many_messages_lost: category = Errc::integrity_failure; break;
        case DeviceStatus::unexpected_error:
        case DeviceStatus::invalid_private_key: category = Errc::hardware_failure; break;
    }
    return Status(category, code);
}

namespace {

constexpr std::uint8_t kOidP256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
constexpr std::uint8_t kOidP384[] = {0x2B, 0x81, 0x04, 0x00, 0x22};
constexpr std::uint8_t kOidBp256[] = {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07};
constexpr std::uint8_t kOidBp384[] = {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B};

constexpr CurveInfo kCurves[] = {
    {Curve::p256, "P-256", "p256", kOidP256, sizeof kOidP256, 32},
    {Curve::p384, "P-384", "p384", kOidP384, sizeof kOidP384, 48},
    {Curve::brainpool_p256r1, "brainpoolP256r1", "bp256", kOidBp256, sizeof kOidBp256, 32},
    {Curve::brainpool_p384r1, "brainpoolP384r1", "bp384", kOidBp384, sizeof kOidBp384, 48},
};

}  // namespace

const CurveInfo& curve_info(Curve c) noexcept { return kCurves[static_cast<std::size_t>(c)]; }

std::optional<Curve> curve_from_oid(Bytes oid) noexcept {
    for (const CurveInfo& info : kCurves)
        if (oid.size() == info.oid_size && std::memcmp(oid.data(), info.oid, info.oid_size) == 0) return info.curve;
    return std::nullopt;
}

std::optional<Curve> curve_from_name(const char* name) noexcept {
    if (name == nullptr) return std::nullopt;
    for (const CurveInfo& info : kCurves)
        if (std::strcmp(name, info.name) == 0 || std::strcmp(name, info.short_name) == 0) return info.curve;
    if (std::strcmp(name, "secp256r1") == 0 || std::strcmp(name, "prime256v1") == 0) return Curve::p256;
    if (std::strcmp(name, "secp384r1") == 0) return Curve::p384;
    return std::nullopt;
}

std::uint32_t a110_busy_time_ms(Command c) noexcept {
    // A110 column of §8.1; 0 entries become 1 ms so the timing model always NACKs at least once.
    switch (c) {
        case Command::echo: return 1;
        case Command::reset: return 30;
        case Command::generate_random: return 15;
        case Command::start_session: return 25;
        case Command::decrement: return 15;
        case Command::read: return 1;
        case Command::update: return 15;
        case Command::delete_attribute: return 15;
        case Command::hibernate: return 50;
        case Command::wrap_local_envelope: return 125;
        case Command::unwrap_local_envelope: return 150;
        case Command::put_attribute: return 15;
        case Command::generate_key: return 160;
        case Command::query: return 1;
        case Command::generate_signature: return 80;
        case Command::verify_signature: return 150;
        case Command::establish_key: return 260;
        case Command::verify_password: return 15;
        default: return 5;
    }
}

}  // namespace sebind::stsafe
