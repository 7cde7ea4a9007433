// SPDX-License-Identifier: Apache-2.0
// The emulated chip's persistent state (its NVM) and its binary encoding.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/stsafe/protocol.hpp"

namespace sebind::emu {

/// Password tries after Put Attribute / a successful Verify Password [I].
inline constexpr std::uint8_t kPasswordTries = 3;
/// Most command-AC records a state may hold (Query 0x24 must fit the I/O buffer).
inline constexpr std::size_t kMaxCommandRecords = 32;

struct KeySlotState {
    bool present = false;
    stsafe::Curve curve = stsafe::Curve::p256;
    std::vector<std::uint8_t> private_scalar;  ///< never leaves the chip model
    std::vector<std::uint8_t> x, y;            ///< public point
    std::uint16_t mode = 0;
    std::uint16_t usage_limit = 0xFFFF;  ///< 0xFFFF = unlimited (docs/emulator.md)
    std::uint16_t usage_count = 0;
};

struct ZoneState {
    std::uint8_t index = 0;
    stsafe::ZoneType type = stsafe::ZoneType::data;
    std::uint8_t ac = 0;  ///< AC byte exactly as Query 0x12 reports it (§4.14)
    std::uint32_t counter = 0;
    std::vector<std::uint8_t> data;
};

struct EnvelopeKeyState {
    bool present = false;
    std::uint8_t type = 0;  ///< 0 AES-128, 1 AES-256
    std::array<std::uint8_t, 32> key{};
};

struct CommandAcState {
    std::uint8_t code = 0;
    std::uint8_t ac = 0;
    std::uint8_t encryption = 0;
};

struct ChipState {
    std::vector<std::uint8_t> product_data;  ///< Query 0x11 payload (64 bytes of TLVs)
    std::uint8_t life_cycle = static_cast<std::uint8_t>(stsafe::LifeCycle::operational);
    std::array<std::uint8_t, 2> i2c_parameters{0x40, 0x00};  ///< address 0x20, no low power, unlocked
    std::array<KeySlotState, 2> slots;                       ///< slots 0 and 1
    bool host_keys_present = false;
    std::array<std::uint8_t, 16> host_mac_key{};
    std::array<std::uint8_t, 16> host_cipher_key{};
    std::uint32_t sequence_counter = 0;
    std::array<EnvelopeKeyState, 2> envelope_keys;
    bool password_present = false;
    std::array<std::uint8_t, 16> password{};
    std::uint8_t password_tries = kPasswordTries;
    std::uint8_t command_change_rights = 0;
    std::vector<CommandAcState> command_table;
    std::vector<ZoneState> zones;

    ZoneState* zone(std::uint8_t index) noexcept;
    const CommandAcState* command(std::uint8_t code) const noexcept;
};

/// A blank A110 as shipped by the emulator's "factory": product data with `serial`, the zone
/// layout of §6.2, the real command-AC table of §4.14, no keys.
ChipState blank_a110(const std::array<std::uint8_t, 9>& serial);

/// Versioned binary encoding with a SHA-256 over everything before it.
std::vector<std::uint8_t> encode_state(const ChipState& state);
/// Errors: corrupted_data (bad magic, version, digest, truncated or inconsistent content).
Result<ChipState> decode_state(Bytes data);

}  // namespace sebind::emu
