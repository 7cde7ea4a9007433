// SPDX-License-Identifier: Apache-2.0
// A development PKI for a local broker: a CA, a broker certificate with subjectAltNames, a
// mosquitto configuration for mutual TLS, and CSR signing. Software keys — for development only;
// the device key stays in the chip. Nothing else in sebind depends on what this CA writes: a
// certificate from any other CA (`openssl x509 -req`, `openssl ca`, a cloud CA) works as well.
//
//   identity::DevPkiOptions o;
//   o.hosts = {"broker.lan"};
//   if (auto st = identity::create_dev_pki("./pki", o); !st.ok()) ...
//   auto crt = identity::sign_csr("./pki", csr_pem, 365);   // PEM certificate for the device
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sebind/core/result.hpp"

namespace sebind::identity {

/// The subscriber identity of the development broker (monitor.pem): it may read devices/# and
/// write devices/+/commands/#. sign_csr refuses to issue a device certificate with this CN.
inline constexpr const char* kMonitorCommonName = "monitor";

enum class DevPkiCurve : std::uint8_t { p256, p384 };

struct DevPkiOptions {
    /// Names for the broker certificate besides DNS "localhost" and IP 127.0.0.1: DNS names, or
    /// IPv4/IPv6 addresses (written as iPAddress SANs; mbedTLS 2.28 clients ignore those).
    std::vector<std::string> hosts;
    std::string listen_address = "127.0.0.1";  ///< mosquitto listener bind address
    std::uint16_t port = 8883;                 ///< mosquitto listener port
    std::uint32_t days = 825;                  ///< broker/monitor validity; the CA gets one more year
    DevPkiCurve curve = DevPkiCurve::p256;     ///< curve of all three keys (and SHA-256 / SHA-384)
    bool force = false;                        ///< write into a non-empty directory, replacing our files
};

/// Writes into `dir` (created if missing): ca.pem, ca.key (0600), broker.pem, broker.key (0600),
/// monitor.pem, monitor.key (0600), acl (0600), mosquitto.conf, README.txt. Each file is written
/// to a temporary name and renamed, so a running broker never reads half a file.
/// Errors: already_exists (dir exists and is not empty, and !force), invalid_argument (a host
/// name, the listen address, days or the directory name is unusable), storage_failure.
/// `error_detail`, when given, receives one line naming the culprit.
Status create_dev_pki(const std::string& dir, const DevPkiOptions& options, std::string* error_detail = nullptr);

/// Signs a PKCS#10 request (PEM or DER) with ca.pem/ca.key of `ca_dir` (sebind's development CA
/// or any ECDSA/RSA CA certificate + key in PEM) for `days` (1..36500) from now (backdated 5
/// minutes for clock skew). The request's own signature is verified first; the subject is copied
/// byte for byte; DNS, IP, URI and e-mail subjectAltNames requested in its extensionRequest are
/// copied (other name types and other requested extensions are dropped); the certificate gets
/// basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage clientAuth, a random
/// 127-bit serial, subjectKeyIdentifier and authorityKeyIdentifier (the CA's own SKI when it
/// has one).
/// Errors: does_not_exist (no ca.pem / ca.key), corrupted_data (CA files unreadable or not a
/// pair), not_permitted (ca.pem is not a CA certificate), invalid_argument (not a CSR, days out of
/// range), invalid_signature (the request's signature does not verify), not_supported (a subject
/// this CA will not sign: no CN, several CNs, a CN that cannot be an MQTT username — '/', '+',
/// '#', control characters, the reserved "monitor" — or multi-valued RDNs it cannot copy exactly).
Result<std::string> sign_csr(const std::string& ca_dir, const std::string& csr, std::uint32_t days,
                             std::string* error_detail = nullptr);

}  // namespace sebind::identity
