// SPDX-License-Identifier: Apache-2.0
// The chip's key as an mbedtls_pk_context (mbedTLS 2.28): every private-key operation goes to
// the secure element; public-key operations (writing the key, verifying) use the public point.
// The one signing path of sebind: CSRs, the pairing check and TLS client authentication use it.
//
//   mbedtls_pk_context key;
//   mbedtls_pk_init(&key);
//   mbedtls_util::setup_se_key(key, device, stsafe::kSlotUser, public_key);   // device must outlive key
//   mbedtls_ssl_conf_own_cert(&conf, &client_chain, &key);
#pragma once

#include <cstdint>

#include <mbedtls/pk.h>

#include "sebind/core/status.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::mbedtls_util {

/// Binds `pk` (initialised, empty) to `slot` of `device`. `public_key` must be the slot's key
/// (from Generate Key or from the slot's certificate); its curve must be the slot's curve as the
/// chip reports it. The device must outlive `pk`. Errors: invalid_argument (curve mismatch,
/// point not on the curve), does_not_exist (empty slot), any device error.
Status setup_se_key(mbedtls_pk_context& pk, stsafe::Device& device, std::uint8_t slot,
                    const stsafe::PublicKey& public_key) noexcept;

/// True when `pk` was set up by setup_se_key.
bool is_se_key(const mbedtls_pk_context& pk) noexcept;

/// The device behind an SE key (nullptr for other keys).
stsafe::Device* se_key_device(const mbedtls_pk_context& pk) noexcept;

/// Chip signatures made through `pk` so far (0 for other keys).
std::uint32_t se_key_signatures(const mbedtls_pk_context& pk) noexcept;

/// The public point of any EC pk context as a chip-style PublicKey. Errors: not_supported
/// (not an EC key on an A110 curve).
Result<stsafe::PublicKey> public_key_of(const mbedtls_pk_context& pk) noexcept;

/// The mbedTLS error code a failed SE operation reports (one mapping for the whole product):
/// invalid_argument/out_of_range -> MBEDTLS_ERR_PK_BAD_INPUT_DATA; buffer_too_small ->
/// MBEDTLS_ERR_PK_ALLOC_FAILED; does_not_exist/not_permitted/not_supported (empty slot, access
/// condition, usage limit used up) -> MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE; invalid_signature ->
/// MBEDTLS_ERR_ECP_VERIFY_FAILED; bus, chip and integrity failures -> MBEDTLS_ERR_PK_HW_ACCEL_FAILED.
int to_mbedtls_error(Status status) noexcept;

/// The Status of the last chip operation on `pk`: ok when it succeeded (or none was made), else
/// its failure (for diagnostics: mbedTLS only passes an int through the TLS stack).
Status se_key_last_error(const mbedtls_pk_context& pk) noexcept;

}  // namespace sebind::mbedtls_util
