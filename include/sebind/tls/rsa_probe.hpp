// SPDX-License-Identifier: Apache-2.0
// Does a server accept static RSA key exchange? A bare TLS 1.2 ClientHello offering only
// TLS_RSA_WITH_* suites, and the ServerHello's choice. For a stack that cannot offer those suites
// itself (wolfSSL is built without them): after a handshake failure it tells a server without
// ECDHE from one that wants something else. Part of sebind::tls (libs/tls/rsa_probe.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace sebind::tls {

/// Connects to `host`:`port` and offers only static RSA suites. Returns the IANA name of the one
/// the server chose, or "" when it refused them all, did not answer within `timeout_ms`, or
/// answered with something else.
std::string static_rsa_choice(const std::string& host, std::uint16_t port, std::uint32_t timeout_ms);

}  // namespace sebind::tls
