// SPDX-License-Identifier: Apache-2.0
// What a TLS server offers and demands, found by hand-written ClientHellos (tls_wire.hpp): for
// TLS 1.2 and TLS 1.3 in turn, which of the suites and groups a device could offer it accepts
// (offer all, note the server's choice, offer the rest again, until it refuses), and from the
// first TLS 1.2 flight its certificate chain, its signature algorithm and its CertificateRequest.
// Each connection is cut after the server's first flight; no handshake is ever completed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sebind/doctor/tls_wire.hpp"
#include "sebind/tls/report.hpp"

namespace sebind::doctor {

struct ProbeOptions {
    std::string host;        ///< the server's name: SNI, and where to connect unless connect_to
    std::string connect_to;  ///< connect here instead (an address), when not empty
    std::uint16_t port = 8883;
    std::uint32_t timeout_ms = 5000;  ///< per connection: TCP connect + the server's first flight
};

/// One TLS version's answers.
struct VersionProbe {
    bool accepted = false;              ///< the server chose one of the offered suites
    std::vector<std::uint16_t> suites;  ///< every offered suite it accepts, in the order found
    std::vector<std::uint16_t> groups;  ///< every offered group it accepts for ECDHE
    std::optional<std::uint8_t> alert;  ///< the alert of its refusal, when it refused
    ServerFlight first;                 ///< the first flight (all suites and groups offered)
};

struct ServerProbe {
    VersionProbe tls12;
    VersionProbe tls13;
    /// When no ECDHE suite is accepted in TLS 1.2: the static RSA suite it would take, or "".
    std::string static_rsa_suite;
    unsigned connections = 0;
};

/// Probes the server. Returns false with `diagnosis` set when it cannot be reached (exit classes
/// of include/sebind/tls/tcp.hpp) or does not answer like a TLS server (protocol_error).
bool probe_server(const ProbeOptions& options, ServerProbe& out, tls::Diagnosis& diagnosis);

}  // namespace sebind::doctor
