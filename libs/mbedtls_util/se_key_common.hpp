// SPDX-License-Identifier: Apache-2.0
// Internal to the chip key's pk binding: what its two implementations (se_key.cpp for mbedTLS
// 2.28, se_key_psa.cpp for Mbed TLS 3.6) share, defined in se_key_common.cpp.
#pragma once

#include <cstdint>

#include "sebind/core/status.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::mbedtls_util::detail {

/// The slot holds a key (the chip says so) on the curve of `public_key`. Errors: the chip's
/// (does_not_exist for an empty slot), invalid_argument (another curve).
Status check_slot_curve(stsafe::Device& device, std::uint8_t slot, const stsafe::PublicKey& public_key) noexcept;

}  // namespace sebind::mbedtls_util::detail
