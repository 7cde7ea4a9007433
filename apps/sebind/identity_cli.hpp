// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the identity subcommands (keygen, csr, cert, verify-pair): files, PEM, JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::cli {

/// The whole file; Failure(not_found) naming the path when it cannot be read.
std::string read_file_or_fail(const std::string& path);
/// Writes to `path`, or stdout for "" / "-"; Failure(storage) when it cannot.
void write_output(const std::string& path, const std::string& text);
/// SubjectPublicKeyInfo PEM of a chip public key.
std::string public_key_pem(const stsafe::PublicKey& key);
std::string certificate_pem(const std::vector<std::uint8_t>& der);
/// subject, issuer, validity, expired, size (empty object when the DER does not parse).
nlohmann::json certificate_json(const std::vector<std::uint8_t>& der);
/// p256 | p384 | bp256 | bp384 (or the long names); Failure(usage) otherwise.
stsafe::Curve parse_curve(const std::string& name);
/// The first certificate of a PEM or DER file; Failure(invalid_input) naming the file otherwise.
std::vector<std::uint8_t> load_certificate_file(const std::string& path);

}  // namespace sebind::cli
