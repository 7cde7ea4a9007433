// SPDX-License-Identifier: Apache-2.0
// A development PKI for a local broker: a CA, a broker certificate with subjectAltNames, a
// mosquitto configuration for mutual TLS, and CSR signing. Software keys — for development only;
// the device key stays in the chip. Any other CA works as well with the rest of sebind.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sebind/core/result.hpp"

namespace sebind::identity {

struct DevPkiOptions {
    std::vector<std::string> hosts;  ///< DNS names for the broker certificate besides "localhost"
    std::uint16_t port = 8883;       ///< listener port written to mosquitto.conf
    std::uint32_t days = 825;
    bool force = false;              ///< overwrite an existing PKI in the directory
};

/// Writes into `dir`: ca.pem, ca.key (0600), broker.pem, broker.key (0600), monitor.pem,
/// monitor.key (a subscriber identity allowed to read devices/#), acl, mosquitto.conf.
/// Errors: already_exists (dir holds a PKI and !force), storage_failure.
Status create_dev_pki(const std::string& dir, const DevPkiOptions& options);

/// Signs a PKCS#10 request (PEM or DER) with the CA in `ca_dir` for `days`: the CSR's own
/// signature is checked first (invalid_signature), its subject is kept, DNS subjectAltNames are
/// copied, EKU clientAuth. Returns the certificate in PEM.
Result<std::string> sign_csr(const std::string& ca_dir, const std::string& csr, std::uint32_t days);

}  // namespace sebind::identity
