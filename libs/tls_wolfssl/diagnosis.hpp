// SPDX-License-Identifier: Apache-2.0
// Turning a failed connection into a tls::Diagnosis: one-line cause and fix.
#pragma once

#include <optional>
#include <string>

#include "connection.hpp"
#include "sebind/tls/report.hpp"

namespace sebind::tls_wolfssl {

/// What the client learnt of the server's certificate (also after a failed verification).
struct PeerCertificate {
    std::string subject, issuer;        ///< "C=FR, O=Acme, CN=broker"
    std::string not_before, not_after;  ///< "2030-01-31"
    bool rsa = false;                   ///< RSA public key
};
std::optional<PeerCertificate> peer_certificate(WOLFSSL* ssl);

/// The handshake failed with wolfSSL error `err` (a probe connection may be made to learn what
/// the server wanted).
void diagnose_handshake(const ClientOptions& o, Connection& c, int err, tls::Diagnosis& d);

/// A read or write after the handshake failed with `err`; `tls13_first_records`: no application
/// data has arrived yet on a TLS 1.3 connection, so an alert judges our certificate.
void diagnose_after_handshake(const ClientOptions& o, Connection& c, int err, bool tls13_first_records,
                              tls::Diagnosis& d);

}  // namespace sebind::tls_wolfssl
