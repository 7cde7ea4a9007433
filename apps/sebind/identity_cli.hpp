// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the identity subcommands (keygen, csr, cert, verify-pair): files, PEM, JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/host/files.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::cli {

/// The whole file, at most `limit` bytes (host::limits); `kind` names it in messages ("a
/// certificate"). Failure naming the file: not_found when it cannot be read, invalid_input for a
/// directory or a device with nothing to read, too_large over the limit. `formats` is what the
/// fix asks for ("PEM or DER"), nullptr for a text file that has no choice of format.
std::string read_file_or_fail(const std::string& path, const char* kind = "a certificate",
                              std::size_t limit = host::limits::certificate, const char* formats = "PEM or DER");

/// An output given by -o (replaced atomically: host::FileReplacement) or stdout ("" or "-").
/// Opening it first finds an unwritable directory before anything irreversible happens.
class OutputFile {
public:
    explicit OutputFile(std::string path);
    bool is_stdout() const { return m_path.empty() || m_path == "-"; }
    /// The file, or "standard output", as messages name it.
    std::string name() const { return is_stdout() ? "standard output" : m_path; }
    /// Writes all of `text`; 0 or errno (the caller decides how to report it).
    int write(const std::string& text);
    /// write(), with Failure(storage) naming the output and the reason when it fails.
    void write_or_fail(const std::string& text);

private:
    std::string m_path;
    host::FileReplacement m_file;
};
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
