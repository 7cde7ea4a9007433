// SPDX-License-Identifier: Apache-2.0
// A minimal mbedTLS 2.28 mutual-TLS client for the interop tests (the product's transport is
// libs/tls_mbedtls): connects by name, TCP_NODELAY, hostname check on, explicit curves.
#pragma once

#include <string>
#include <vector>

#include <mbedtls/pk.h>

namespace sebind::test {

struct TlsResult {
    int handshake = -1;  ///< 0 on success, else the mbedTLS error
    std::string ciphersuite;
    std::string error;
    std::vector<unsigned char> received;  ///< bytes read after `send` (if any)
};

struct TlsClientOptions {
    std::string host = "localhost";
    int port = 0;
    std::string ca_file;
    std::vector<unsigned char> own_cert_der;
    mbedtls_pk_context* own_key = nullptr;
    std::vector<unsigned char> send;  ///< application data written after the handshake
    std::size_t expect = 0;           ///< bytes to read back after `send`
};

TlsResult tls_connect(const TlsClientOptions& options);

}  // namespace sebind::test
