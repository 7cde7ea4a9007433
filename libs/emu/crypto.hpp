// SPDX-License-Identifier: Apache-2.0
// The chip model's cryptography on mbedTLS: a DRBG, EC key generation, ECDSA, ECDH, AES key wrap.
#pragma once

#include <cstdint>
#include <vector>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>

#include "chip_state.hpp"
#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"

namespace sebind::emu {

/// CTR-DRBG seeded from the system (seed 0) or deterministically from `seed` (tests only).
class Rng {
public:
    explicit Rng(std::uint64_t seed);
    ~Rng();
    Rng(const Rng&) = delete;
    Rng& operator=(const Rng&) = delete;
    bool ok() const noexcept { return m_ok; }
    void fill(MutableBytes out) noexcept;
    /// For mbedTLS functions taking f_rng / p_rng.
    static int callback(void* self, unsigned char* out, std::size_t n);

private:
    static int seeded_entropy(void* self, unsigned char* out, std::size_t n);
    mbedtls_ctr_drbg_context m_drbg;
    mbedtls_entropy_context m_entropy;
    std::uint64_t m_seed;
    bool m_ok = false;
};

/// The chip model's curves, each loaded once. mbedTLS keeps the generator's precomputed
/// multiples inside a group after its first use, so a model that loaded the group afresh for
/// every command would spend two thirds of each signature rebuilding that table, work a real chip
/// never shows and that would be charged to the TLS binding in any comparison. Not thread-safe:
/// one per chip, used by whoever holds the chip.
class Curves {
public:
    Curves();
    ~Curves();
    Curves(const Curves&) = delete;
    Curves& operator=(const Curves&) = delete;
    /// The loaded group, or null when mbedTLS cannot load it.
    mbedtls_ecp_group* group(stsafe::Curve curve) noexcept;

private:
    static constexpr std::size_t kCount = 4;  // every stsafe::Curve
    mbedtls_ecp_group m_groups[kCount];
    bool m_loaded[kCount] = {};
};

/// Fills private scalar and public point of `slot` with a fresh key on `curve`.
Status generate_key(Curves& curves, Rng& rng, stsafe::Curve curve, KeySlotState& slot) noexcept;
/// ECDSA over `digest` (truncated by the curve size as ECDSA specifies); r and s are written
/// left-padded to the coordinate size.
Status sign_digest(Curves& curves, Rng& rng, const KeySlotState& key, Bytes digest, std::vector<std::uint8_t>& r,
                   std::vector<std::uint8_t>& s) noexcept;
/// Result: true/false validity; Errc::invalid_argument when the point is not on the curve.
Result<bool> verify_digest(Curves& curves, stsafe::Curve curve, Bytes x, Bytes y, Bytes r, Bytes s,
                           Bytes digest) noexcept;
/// x-coordinate of d·P; Errc::invalid_argument when P is not a valid point.
Status ecdh(Curves& curves, Rng& rng, const KeySlotState& key, Bytes x, Bytes y,
            std::vector<std::uint8_t>& secret) noexcept;

/// RFC 3394 AES key wrap with the default IV (§4.11 [I]); `key` 16, 24 or 32 bytes, `plaintext`
/// at least 8 bytes in 8-byte steps (else invalid_argument).
Status aes_key_wrap(Bytes key, Bytes plaintext, std::vector<std::uint8_t>& out) noexcept;
/// Errc::integrity_failure when the integrity check value does not match.
Status aes_key_unwrap(Bytes key, Bytes envelope, std::vector<std::uint8_t>& out) noexcept;

}  // namespace sebind::emu
