// SPDX-License-Identifier: Apache-2.0
// STSAFE-A110 wire-protocol constants: command codes, status codes, tags, curves, flags.
// Source: docs/stsafe-a110-protocol.md (sections cited inline).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "sebind/core/bytes.hpp"
#include "sebind/core/status.hpp"

namespace sebind::stsafe {

/// Default 7-bit I2C address (§1.1).
inline constexpr std::uint8_t kDefaultI2cAddress = 0x20;
/// A110 I/O buffer: header + payload + MAC + CRC of a command, status + payload + MAC + CRC of a
/// response (§1.7, legacy rule, safe for every host library).
inline constexpr std::size_t kIoBufferSize = 507;
/// Largest I2C read: the I/O buffer plus the 2 length bytes that the CRC does not cover.
inline constexpr std::size_t kMaxResponseFrame = kIoBufferSize + 2;
inline constexpr std::size_t kAtomicityBufferSize = 64;
inline constexpr std::size_t kMacSize = 4;
inline constexpr std::size_t kCrcSize = 2;
/// Largest data length per single command (§1.7 "conservative maxima").
inline constexpr std::size_t kMaxReadChunk = 504;
inline constexpr std::size_t kMaxReadChunkWithMac = 500;
inline constexpr std::size_t kMaxUpdateChunk = 500;
inline constexpr std::size_t kMaxUpdateChunkWithMac = 496;

/// Command header byte (§1.3).
namespace header {
inline constexpr std::uint8_t kCmac = 0x80;
inline constexpr std::uint8_t kRmac = 0x40;
inline constexpr std::uint8_t kHostChannel = 0x20;
inline constexpr std::uint8_t kCodeMask = 0x1F;
}  // namespace header

/// Response status byte: bit 6 set when an R-MAC is appended (§1.5).
inline constexpr std::uint8_t kStatusRmacFlag = 0x40;
inline constexpr std::uint8_t kStatusCodeMask = 0x1F;

enum class Command : std::uint8_t {
    echo = 0x00,
    reset = 0x01,
    generate_random = 0x02,
    start_session = 0x03,
    decrement = 0x04,
    read = 0x05,
    update = 0x06,
    derive_lora_key = 0x08,
    generate_mac = 0x09,
    verify_mac = 0x0A,
    delete_attribute = 0x0C,
    hibernate = 0x0D,
    wrap_local_envelope = 0x0E,
    unwrap_local_envelope = 0x0F,
    put_attribute = 0x10,
    generate_key = 0x11,
    query = 0x14,
    generate_signature = 0x16,
    verify_signature = 0x17,
    establish_key = 0x18,
    verify_password = 0x1A,
    encrypt = 0x1B,
    decrypt = 0x1C,
};
const char* to_string(Command c) noexcept;

/// Device status codes (§3), low 5 bits of the status byte.
enum class DeviceStatus : std::uint8_t {
    ok = 0x00,
    communication_error = 0x01,
    inconsistent_command_data = 0x02,
    value_out_of_range = 0x03,
    command_code_not_supported = 0x04,
    unexpected_error = 0x05,
    buffer_length_exceeded = 0x06,
    session_error = 0x07,
    too_many_messages_lost = 0x08,
    c_mac_counter_maximum_reached = 0x09,
    key_not_found = 0x0A,
    key_blocked = 0x0B,
    wrong_key_type = 0x0C,
    session_counter_out_of_range = 0x0D,
    invalid_life_cycle_state = 0x0F,
    entry_not_found = 0x10,
    access_condition_not_satisfied = 0x11,
    wrong_zone_type = 0x12,
    counter_limit_exceeded = 0x13,
    boundary_exceeded = 0x14,
    invalid_private_key = 0x15,
    invalid_c_mac = 0x16,
    challenge_missing = 0x17,
    command_decryption_error = 0x18,
    invalid_public_key = 0x19,
    password_blocked = 0x1A,
    wrong_key_usage = 0x1B,
    wrong_mode_of_operation = 0x1C,
    wrong_mac_length = 0x1D,
    command_not_authorized = 0x1E,
    old_message = 0x1F,
};
/// Datasheet-style name ("ACCESS_CONDITION_NOT_SATISFIED"); "UNKNOWN" for unlisted codes.
const char* to_string(DeviceStatus s) noexcept;
/// Maps a chip status to our category, keeping the raw code in the Status.
Status status_from_device(std::uint8_t device_status) noexcept;

/// Query / Put Attribute tags (§4.12, §4.14).
enum class Tag : std::uint8_t {
    admin_base_key = 0x01,
    local_envelope_keys = 0x07,
    life_cycle = 0x08,
    password = 0x09,
    i2c_parameters = 0x0A,
    public_key_slot = 0x0B,
    product_data = 0x11,
    data_partition = 0x12,
    private_key_slot = 0x13,  ///< Generate Key attribute: asymmetric key pair
    private_key_table = 0x14,
    host_key_slot = 0x17,
    command_authorization = 0x24,
    command_ac = 0x29,
    command_encryption = 0x2A,
};

enum class LifeCycle : std::uint8_t {
    born = 0x01,
    operational = 0x03,
    terminated = 0x04,
    born_locked = 0x81,
    operational_locked = 0x83,
};

/// Curves the A110 supports (§5.2). Identified on the wire by OID content bytes.
enum class Curve : std::uint8_t { p256, p384, brainpool_p256r1, brainpool_p384r1 };

struct CurveInfo {
    Curve curve;
    const char* name;        ///< "P-256", "P-384", "brainpoolP256r1", "brainpoolP384r1"
    const char* short_name;  ///< "p256", "p384", "bp256", "bp384" (CLI)
    const std::uint8_t* oid;
    std::size_t oid_size;
    std::size_t coordinate_size;  ///< bytes of X, Y, R, S and of the digest the key expects
};
const CurveInfo& curve_info(Curve c) noexcept;
std::optional<Curve> curve_from_oid(Bytes oid) noexcept;
std::optional<Curve> curve_from_name(const char* name) noexcept;  ///< short or long name

inline constexpr std::size_t kMaxCoordinateSize = 48;

/// Private key slots (§5.1).
inline constexpr std::uint8_t kSlotFactory = 0x00;
inline constexpr std::uint8_t kSlotUser = 0x01;
inline constexpr std::uint8_t kSlotEphemeral = 0xFF;

/// Mode-of-operation flags of a key slot (§5.3).
namespace mode {
inline constexpr std::uint16_t kChangeRight = 0x8000;
inline constexpr std::uint16_t kSignSessions = 0x0008;
inline constexpr std::uint16_t kSignDigests = 0x0004;
inline constexpr std::uint16_t kKeyEstablishment = 0x0001;
/// What ST's examples use and what sebind uses by default for slot 1.
inline constexpr std::uint16_t kDefault = kChangeRight | kSignSessions | kSignDigests | kKeyEstablishment;
}  // namespace mode

/// Zone access condition values (§6.1): sebind treats 0 as free, 1 as "valid host C-MAC on this
/// command", everything else as unsatisfiable.
enum class ZoneAccess : std::uint8_t { always = 0, host = 1, never = 7 };

/// Command access condition values in the command-AC table (§4.12).
enum class CommandAccess : std::uint8_t {
    never = 0,
    free = 1,
    admin = 2,
    host = 3,
    admin_or_password = 4,
    admin_or_host = 5,
};

/// Command encryption flags in the command-AC table (§4.14 tag 0x24).
namespace encryption {
inline constexpr std::uint8_t kCommand = 0x02;
inline constexpr std::uint8_t kResponse = 0x01;
}  // namespace encryption

enum class ZoneType : std::uint8_t { data = 0x00, counter = 0x01 };

enum class WakeUpMode : std::uint8_t { i2c_start_or_reset = 0x01, reset_only = 0x02 };

enum class EnvelopeKeyType : std::uint8_t { aes128 = 0x00, aes256 = 0x01 };

/// Per-command busy time in ms (§8.1, A110 column). Hosts wait this long before the first read
/// when they do not poll; the emulator's realistic timing model NACKs for this long.
std::uint32_t a110_busy_time_ms(Command c) noexcept;

}  // namespace sebind::stsafe
