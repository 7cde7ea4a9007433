// SPDX-License-Identifier: Apache-2.0
// The certificates of a PEM file given to a TLS client (the trusted CAs, the device's
// intermediate chain), read the same way for either stack: bounded, every failure named with its
// fix. The stack then parses each DER certificate. Part of sebind::tls (libs/tls/pem_file.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sebind/tls/report.hpp"

namespace sebind::tls {

/// Larger than any CA bundle a device needs (Debian's whole ca-certificates.crt is ~220 KB).
inline constexpr std::size_t kMaxPemFileBytes = 1 << 20;

struct PemCertificates {
    std::vector<std::vector<std::uint8_t>> der;  ///< each CERTIFICATE block, in file order
    Failure failure = Failure::none;             ///< file_not_found or file_invalid when it failed
    std::string reason;                          ///< "no such file", "it is a directory", ...
    std::string fix;
};

/// Reads at most kMaxPemFileBytes of `path` and decodes its CERTIFICATE blocks. Fails with
/// file_not_found (no such file) or file_invalid (a directory, unreadable, too large, not PEM,
/// no certificate in it, a damaged block); `reason` and `fix` then say which and what to do.
PemCertificates read_pem_certificates(const std::string& path);

namespace diagnoses {

/// A file of certificates the client cannot use: `what` is "CA file" or "chain file", `reason`
/// and `fix` from read_pem_certificates (or the stack's parser).
void bad_certificate_file(Diagnosis& d, const std::string& what, const std::string& path, Failure f,
                          const std::string& reason, const std::string& fix);

}  // namespace diagnoses

}  // namespace sebind::tls
