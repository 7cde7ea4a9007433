// SPDX-License-Identifier: Apache-2.0
// Ephemeral ECDH on the chip (optional, off by default): the client's ECDHE key pair is made by
// the secure element in its ephemeral slot 0xFF and used there once, so the host never holds the
// ephemeral private key and does no scalar multiplication. Costs ~420 ms per full handshake on
// an A110 (Generate Key 160 + Establish Key 260 ms, §8.1); see docs/tls-mbedtls.md, "ECDHE on
// the chip", for what it buys and how it reaches mbedTLS 2.28's handshake.
//
//   mbedtls_ecp_point q;  mbedtls_mpi z;                 // (initialised)
//   tls_mbedtls::chip_ecdhe_public(device, MBEDTLS_ECP_DP_SECP256R1, q);     // send q to the peer
//   tls_mbedtls::chip_ecdhe_shared(device, MBEDTLS_ECP_DP_SECP256R1, peer_q, z);  // z = premaster
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <mbedtls/ecp.h>

#include "sebind/core/status.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::tls_mbedtls {

/// The A110 curve of an mbedTLS group (P-256, P-384, brainpoolP256r1/P384r1), if it is one.
std::optional<stsafe::Curve> curve_of_group(mbedtls_ecp_group_id group) noexcept;

/// Generate Key in the ephemeral slot 0xFF (§4.13) with usage limit 1 and the key-establishment
/// authorisation only (mode bit 0; no change right), and the chip's public point in `q`. A new
/// key replaces an unused one. Errors: not_supported (not an A110 curve, e.g. X25519; nothing is
/// sent), invalid_response (the chip's point is not on the curve), device errors.
Status chip_ecdhe_public(stsafe::Device& device, mbedtls_ecp_group_id group, mbedtls_ecp_point& q) noexcept;

/// Establish Key (§4.17) with the ephemeral key and the peer's point: `z` = the x-coordinate of
/// the shared point (the TLS premaster secret). The chip erases the key whatever the outcome.
/// Errors: not_supported (not an A110 curve), invalid_argument (`peer` not on the curve: refused
/// before the chip; the chip would answer 0x19), does_not_exist (no ephemeral key: never
/// generated, already used, or lost to a reset, hibernation or power cycle, §5.1), device errors.
Status chip_ecdhe_shared(stsafe::Device& device, mbedtls_ecp_group_id group, const mbedtls_ecp_point& peer,
                         mbedtls_mpi& z) noexcept;

/// Routes mbedTLS's ECDH to the chip. The TLS configuration's RNG is chip_ecdhe_rng with a
/// binding as its context: the RNG itself only forwards to `f_rng`, but it marks the ECDH calls
/// of that configuration, which the hook (sebind::tls_mbedtls_ecdhe_hook) sends to the chip.
struct ChipEcdheBinding {
    stsafe::Device* device = nullptr;
    int (*f_rng)(void*, unsigned char*, std::size_t) = nullptr;
    void* p_rng = nullptr;
    std::uint32_t generated = 0;    ///< Generate Key 0xFF done for this binding
    std::uint32_t established = 0;  ///< Establish Key done for this binding
    Status last_error;              ///< of the last chip ECDH operation
};
int chip_ecdhe_rng(void* binding, unsigned char* out, std::size_t size);

/// True when this program's mbedTLS ECDH reaches the hook, tested by a harmless probe through
/// mbedtls_ecdh_make_public: requires sebind::tls_mbedtls_ecdhe_hook linked into the executable
/// and libmbedcrypto calling its own ECDH functions through the PLT (Debian 12's shared 2.28
/// does; a static or -Bsymbolic mbedTLS does not), or an mbedTLS built with
/// MBEDTLS_ECDH_GEN_PUBLIC_ALT and MBEDTLS_ECDH_COMPUTE_SHARED_ALT and the hook compiled in.
bool chip_ecdhe_available() noexcept;

}  // namespace sebind::tls_mbedtls
