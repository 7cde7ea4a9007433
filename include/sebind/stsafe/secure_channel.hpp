// SPDX-License-Identifier: Apache-2.0
// Host secure channel (§7): C-MAC, R-MAC, command/response encryption with the host keys.
// Used by the driver (host side) and the emulator (device side). AES and CMAC come from mbedTLS.
#pragma once

#include <array>
#include <cstdint>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"

namespace sebind::stsafe {

/// Host MAC key and host cipher key (AES-128 each on A110). Wiped on destruction.
struct HostKeys {
    std::array<std::uint8_t, 16> mac_key{};
    std::array<std::uint8_t, 16> cipher_key{};
    ~HostKeys();
};

/// The 24-bit sequence counter limit (§7.1): a counter at this value cannot MAC another command.
inline constexpr std::uint32_t kMaxSequenceCounter = 0xFFFFFF;

enum class Subject : std::uint8_t { c_mac = 0x00, r_mac = 0x40, command_encryption = 0x80, response_encryption = 0xC0 };

/// The 16-byte subject block for counter value `n` (§7.2, A110 layout).
std::array<std::uint8_t, 16> subject_block(std::uint32_t n, Subject subject) noexcept;

using Mac = std::array<std::uint8_t, 4>;

/// C-MAC of a command (§7.3). `counter` is the device's current sequence counter C.
Result<Mac> compute_cmac(const HostKeys& keys, std::uint32_t counter, std::uint8_t header, Bytes payload) noexcept;

/// R-MAC of a response (§7.4). `counter` is the C used for the command's C-MAC (the R-MAC uses
/// C + 1 internally). Payloads are as transmitted (ciphertext when encrypted).
Result<Mac> compute_rmac(const HostKeys& keys, std::uint32_t counter, std::uint8_t header, Bytes command_payload,
                         std::uint8_t status, Bytes response_payload) noexcept;

enum class Direction : std::uint8_t { command, response };

/// AES-CBC with the IV derived from the subject block with C + 1 (§7.5); ISO 9797-1 method 2
/// padding. Output size = input rounded up to the next multiple of 16 (+16 when already aligned).
Result<std::size_t> encrypt_payload(const HostKeys& keys, std::uint32_t counter, Direction direction, Bytes plaintext,
                                    MutableBytes out) noexcept;

/// Inverse of encrypt_payload. Accepts padding of up to 31 bytes (legacy-middleware quirk).
/// Errors: invalid_argument (length not a non-zero multiple of 16), integrity_failure (bad padding).
Result<std::size_t> decrypt_payload(const HostKeys& keys, std::uint32_t counter, Direction direction, Bytes ciphertext,
                                    MutableBytes out) noexcept;

}  // namespace sebind::stsafe
