// SPDX-License-Identifier: Apache-2.0
// One place that turns "which stack, which broker, which identity" into a Connector: the agent and
// `sebind connect` both build theirs here, so the two stacks get the same options from either.
//
//     agent::ConnectorCaches caches;             // outlives the connector: reconnects resume
//     agent::ConnectorOptions o;
//     o.stack = TlsStack::wolfssl; o.host = "broker"; o.ca_file = "ca.pem";
//     o.chain = &device_chain; o.device = &device; o.slot = 1;
//     Connector connect = agent::make_connector(o, caches);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sebind/agent/config.hpp"
#include "sebind/agent/uplink.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::agent {

/// The broker and the device identity, for either stack.
struct ConnectorOptions {
    TlsStack stack = TlsStack::mbedtls;
    TlsVersion tls_version = TlsVersion::any;  ///< wolfSSL only (mbedTLS speaks TLS 1.2)
    std::string host;                          ///< SNI and the name checked in the server's certificate
    std::string connect_address;               ///< TCP to this address instead of host; empty: host
    std::uint16_t port = 8883;
    std::string ca_file;
    std::vector<std::string> alpn;
    std::uint32_t timeout_ms = 10'000;
    bool session_tickets = true;  ///< mbedTLS only; false: resume by session id
    /// mbedTLS only: the ECDHE key pair made and used in the chip (tls_mbedtls::ClientOptions::chip_ecdhe;
    /// the program must link sebind::tls_mbedtls_ecdhe_hook).
    bool chip_ecdhe = false;
    /// The device certificate, then any intermediates (both stacks send this chain).
    const mbedtls_x509_crt* chain = nullptr;
    /// mbedTLS: the chip key bound to the certificate (mbedtls_util::setup_se_key).
    mbedtls_pk_context* key = nullptr;
    /// wolfSSL: the chip and the key slot that signs through its PK callback.
    stsafe::Device* device = nullptr;
    std::uint8_t slot = 1;
};

/// The session caches of both stacks (one per connector's lifetime).
struct ConnectorCaches {
    tls_mbedtls::SessionCache mbedtls;
#if SEBIND_HAVE_WOLFSSL
    tls_wolfssl::SessionCache wolfssl;
#endif
};

/// The connector of `options.stack`. What the options point to and `caches` must outlive it.
/// Without wolfSSL in this build, TlsStack::wolfssl yields an empty Connector.
Connector make_connector(const ConnectorOptions& options, ConnectorCaches& caches);

}  // namespace sebind::agent
