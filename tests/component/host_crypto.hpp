// SPDX-License-Identifier: Apache-2.0
// Host-side checks of what the chip produced, done with mbedTLS (independent of the emulator's
// own code paths): signature verification, ECDH, certificate parsing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sebind/stsafe/device.hpp"

namespace sebind::test {

/// ECDSA verification of the chip's signature with the given public key.
bool host_verify(const stsafe::PublicKey& key, const stsafe::Signature& sig, Bytes digest);

/// A software key pair on `curve` for ECDH tests.
struct HostKeyPair {
    stsafe::PublicKey pub;
    std::vector<std::uint8_t> d;
};
HostKeyPair host_keypair(stsafe::Curve curve, std::uint64_t seed);
/// x-coordinate of d·Q computed on the host.
std::vector<std::uint8_t> host_ecdh(const HostKeyPair& mine, const stsafe::PublicKey& theirs);

/// Reads the DER certificate at the start of a zone (factory layout, §6.3).
std::vector<std::uint8_t> read_zone_certificate(stsafe::Device& device, std::uint8_t zone);
/// The public key inside a DER certificate.
stsafe::PublicKey certificate_public_key(const std::vector<std::uint8_t>& der);
std::vector<std::uint8_t> sha256(Bytes data);

}  // namespace sebind::test
