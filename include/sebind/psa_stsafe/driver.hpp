// SPDX-License-Identifier: Apache-2.0
// The STSAFE-A110 as a PSA opaque driver (Mbed TLS 3.6 built by scripts/deps-mbedtls3): the
// chip's key slots 0 and 1 are PSA built-in keys whose private part never leaves the chip.
// psa_sign_hash goes to the chip's Generate Signature; psa_export_public_key answers from the
// public key given at attach; psa_export_key is refused (the policy has no EXPORT usage, and the
// driver has no export entry point). Everything that takes a PSA key takes them, in particular
// mbedtls_pk_setup_opaque for CSRs and TLS (docs/tls-mbedtls3.md).
//
//   psa_crypto_init();
//   psa_stsafe::attach(device, stsafe::kSlotUser, public_key);   // device must outlive the use
//   mbedtls_pk_setup_opaque(&pk, psa_stsafe::key_id(stsafe::kSlotUser));
#pragma once

#include <cstdint>
#include <optional>

#include <psa/crypto.h>

#include "sebind/core/status.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::psa_stsafe {

/// The PSA key identifier of the chip's slot 0 (kSlotFactory) or 1 (kSlotUser): built-in range.
psa_key_id_t key_id(std::uint8_t slot) noexcept;

/// Makes `slot` (0 or 1) of `device` the built-in key key_id(slot). `public_key` is the slot's key
/// (from Generate Key or from the slot's certificate); the chip cannot read it back. Calls
/// psa_crypto_init. Attaching the same device and key again changes nothing; another key makes PSA
/// forget what it cached of the earlier one (psa_purge_key) and starts the counts again, so attach
/// again after generating a new key in the slot. Not thread-safe: attach before the
/// keys are used. Errors: invalid_argument (slot not 0 or 1, point not on its curve),
/// not_supported (PSA could not start).
Status attach(stsafe::Device& device, std::uint8_t slot, const stsafe::PublicKey& public_key) noexcept;

/// Another key identifier of the slot, with its own signature count and last error
/// (key_signatures, key_last_error): for each user of the slot that counts its own signatures (the
/// pk binding gives each pk context one). A slot has 31 such identifiers, handed out in turn: the
/// 32nd call reuses the first (its counts start again). 0 for a slot not 0 or 1.
psa_key_id_t new_key_id(std::uint8_t slot) noexcept;

/// Chip signatures made through the key identifier `id` since new_key_id handed it out (0 for
/// an identifier not the chip's).
std::uint32_t key_signatures(psa_key_id_t id) noexcept;

/// The failure of the last chip operation through `id` (ok when it succeeded or none was made).
Status key_last_error(psa_key_id_t id) noexcept;

/// The slot whose built-in key `id` is (nullopt: not one of the chip's).
std::optional<std::uint8_t> slot_of(psa_key_id_t id) noexcept;

/// The device attached to `slot` (nullptr: none).
stsafe::Device* device(std::uint8_t slot) noexcept;

/// Removes the slot's key from PSA (its key identifier no longer exists).
void detach(std::uint8_t slot) noexcept;

/// Chip signatures made with the slot since attach, through any of its key identifiers.
std::uint32_t signatures(std::uint8_t slot) noexcept;

/// The failure of the slot's last chip operation (ok when it succeeded or none was made): PSA
/// passes only a psa_status_t through X.509 and TLS.
Status last_error(std::uint8_t slot) noexcept;

/// The PSA status of a chip failure: not_permitted -> PSA_ERROR_NOT_PERMITTED, does_not_exist ->
/// PSA_ERROR_DOES_NOT_EXIST, invalid_argument/out_of_range -> PSA_ERROR_INVALID_ARGUMENT,
/// buffer_too_small -> PSA_ERROR_BUFFER_TOO_SMALL, not_supported -> PSA_ERROR_NOT_SUPPORTED,
/// bus and chip faults -> PSA_ERROR_COMMUNICATION_FAILURE / PSA_ERROR_HARDWARE_FAILURE.
psa_status_t to_psa_status(Status status) noexcept;

}  // namespace sebind::psa_stsafe
