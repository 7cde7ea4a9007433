// SPDX-License-Identifier: Apache-2.0
// The one rule by which both TLS stacks (mbedTLS, wolfSSL) decide whether the server's
// certificate names the host the client was asked to reach (RFC 6125 §6, RFC 5280 §4.2.1.6).
// Each stack extracts the certificate's names in its certificate-verify callback and asks
// certificate_names_host; the stacks' own name checks are not used. Part of sebind::tls
// (libs/tls/host_name.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sebind/tls/report.hpp"

namespace sebind::tls {

/// The identities a certificate presents.
struct CertificateNames {
    std::vector<std::string> dns;                ///< subjectAltName dNSName entries
    std::vector<std::vector<std::uint8_t>> ips;  ///< subjectAltName iPAddress entries (4 or 16 bytes)
    std::vector<std::string> common_names;       ///< the subject's CN attributes
};

/// The address of an IP literal (4 bytes for IPv4, 16 for IPv6); empty when `host` is a name.
std::vector<std::uint8_t> ip_literal(const std::string& host);

bool is_ip_literal(const std::string& host);

/// Whether a certificate presenting `names` is issued for `host`:
/// - an IP literal host (IPv4 or IPv6) matches only an iPAddress subjectAltName with the same
///   address bytes: never a dNSName, never a CN, never a wildcard;
/// - a DNS host matches a dNSName subjectAltName (see dns_id_matches);
/// - the subject's CN is consulted only when the certificate has no dNSName and no iPAddress
///   subjectAltName at all (older broker certificates carry only a CN), with the same rule.
bool certificate_names_host(const CertificateNames& names, const std::string& host);

namespace diagnoses {

/// The certificate verified but does not name `host` (certificate_names_host said no).
void hostname_mismatch(Diagnosis& d, const std::string& host);

}  // namespace diagnoses

}  // namespace sebind::tls
