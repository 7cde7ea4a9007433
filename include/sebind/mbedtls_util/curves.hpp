// SPDX-License-Identifier: Apache-2.0
// The chip's curves as mbedTLS groups, and chip points and signatures as mbedTLS numbers: the one
// mapping that the pk binding, chip ECDHE, identity, the emulator and the programs share.
#pragma once

#include <optional>

#include <mbedtls/ecp.h>

#include "sebind/core/result.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::mbedtls_util {

/// The mbedTLS group of a chip curve.
mbedtls_ecp_group_id group_of(stsafe::Curve curve) noexcept;

/// The chip curve of an mbedTLS group; nullopt for a group the chip does not have.
std::optional<stsafe::Curve> curve_of(mbedtls_ecp_group_id group) noexcept;

/// Sets `q` to the affine point (x, y) (big-endian coordinates); 0 or an mbedTLS error.
int read_point(Bytes x, Bytes y, mbedtls_ecp_point& q) noexcept;

/// Writes the coordinates of `q` as `n`-byte big-endian numbers; 0 or an mbedTLS error.
int write_point(const mbedtls_ecp_point& q, std::size_t n, std::uint8_t* x, std::uint8_t* y) noexcept;

/// The public point of an EC key on a chip curve. Errors: not_supported (another curve),
/// invalid_argument (a coordinate longer than the curve's size).
Result<stsafe::PublicKey> public_key_of(const mbedtls_ecp_keypair& ec) noexcept;

/// DER ECDSA-Sig-Value (RFC 5480) from big-endian R and S. `out` holds
/// MBEDTLS_ECDSA_MAX_LEN bytes; 0 or an mbedTLS error.
int write_der_signature(Bytes r, Bytes s, unsigned char* out, std::size_t* out_len) noexcept;

}  // namespace sebind::mbedtls_util
