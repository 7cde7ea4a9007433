// SPDX-License-Identifier: Apache-2.0
// The chip slot as wolfSSL's ECC signer: the PK callback, and the public key wolfSSL is given in
// place of a private key.
#pragma once

#include <cstdint>
#include <vector>

#include "sebind/core/result.hpp"
#include "sebind/stsafe/device.hpp"
#include "wolfssl.hpp"

namespace sebind::tls_wolfssl {

/// Per-connection signing context (wolfSSL_SetEccSignCtx): the slot, and what happened to it.
struct ChipSigner {
    stsafe::Device* device = nullptr;
    std::uint8_t slot = 0;
    std::uint32_t signatures = 0;      ///< chip signatures during this connection
    std::size_t last_digest_size = 0;  ///< what wolfSSL handed over (SHA-256: 32, SHA-384: 48)
    Status last_error;                 ///< the chip's failure, kept for the diagnosis
};

/// wolfSSL's CallbackEccSign: signs the handshake digest `in` with the chip and writes a DER
/// ECDSA-Sig-Value into `out` (`*out_size` in: capacity, out: length). `key_der` is the public
/// key loaded in place of the private key; it is not needed. Returns 0 or a wolfCrypt error.
int chip_sign(WOLFSSL* ssl, const unsigned char* in, unsigned int in_size, unsigned char* out, word32* out_size,
              const unsigned char* key_der, unsigned int key_size, void* ctx) noexcept;

/// The leaf certificate's SubjectPublicKeyInfo (DER) and its curve.
struct LeafKey {
    std::vector<std::uint8_t> spki;
    stsafe::Curve curve = stsafe::Curve::p256;
};
/// Errors: invalid_argument (not a certificate), not_supported (not an EC key on an A110 curve).
Result<LeafKey> leaf_key(Bytes leaf_der) noexcept;

}  // namespace sebind::tls_wolfssl
