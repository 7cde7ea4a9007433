// SPDX-License-Identifier: Apache-2.0
// Encodings third-party tools read: PEM certificates and public keys, DER ECDSA signatures.
#pragma once

#include <string>
#include <vector>

#include "sebind/stsafe/types.hpp"

namespace sebind::test {

std::string certificate_pem(const std::vector<unsigned char>& der);
/// SubjectPublicKeyInfo PEM of a chip public key.
std::string public_key_pem(const stsafe::PublicKey& key);
/// ECDSA-Sig-Value DER of the chip's (R, S).
std::vector<unsigned char> signature_der(const stsafe::Signature& sig);
std::vector<unsigned char> hash(const std::string& algorithm, const std::string& message);

}  // namespace sebind::test
