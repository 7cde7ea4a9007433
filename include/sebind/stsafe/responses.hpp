// SPDX-License-Identifier: Apache-2.0
// Stateless parsers and builders of command payloads and response payloads (§4). The driver
// uses them; the fuzzer targets them. Every parser checks every length against the input.
#pragma once

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::stsafe {

Result<ProductData> parse_product_data(Bytes payload) noexcept;
Result<PartitionInfo> parse_partition(Bytes payload) noexcept;
Result<KeyTable> parse_key_table(Bytes payload) noexcept;
Result<HostKeySlotInfo> parse_host_key_slot(Bytes payload) noexcept;
Result<LifeCycle> parse_life_cycle(Bytes payload) noexcept;
Result<I2cParameters> parse_i2c_parameters(Bytes payload) noexcept;
Result<CommandAuthorizationTable> parse_command_authorization(Bytes payload) noexcept;
Result<EnvelopeKeyTable> parse_local_envelope_keys(Bytes payload) noexcept;

/// `0x04, len2 X, X, len2 Y, Y` for a known curve (coordinates must be exactly its size).
Result<PublicKey> parse_public_key(Bytes payload, Curve curve) noexcept;
/// Writes `0x04, len2 X, X, len2 Y, Y` into `out`; returns its size.
Result<std::size_t> write_public_key(const PublicKey& key, MutableBytes out) noexcept;
/// `len2 R, R, len2 S, S`; R and S are left-padded to the curve size; longer values rejected.
Result<Signature> parse_signature(Bytes payload, Curve curve) noexcept;
/// `len2 secret, secret` with the secret exactly the curve size.
Result<SharedSecret> parse_shared_secret(Bytes payload, Curve curve) noexcept;

/// DER length of a certificate from its first bytes (§6.3): `30 82 HH LL` → HHLL + 4,
/// `30 81 LL` → LL + 3, `30 LL` → LL + 2. invalid_response when not a DER SEQUENCE.
Result<std::size_t> der_total_length(Bytes first_bytes) noexcept;

}  // namespace sebind::stsafe
