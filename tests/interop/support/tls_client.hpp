// SPDX-License-Identifier: Apache-2.0
// A minimal mbedTLS 2.28 mutual-TLS client for the interop tests (not product code: the
// product's transport is libs/tls_mbedtls): connects by name, TCP_NODELAY, hostname check always
// on, an explicit curve list, read timeouts, and raw application bytes in and out.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <mbedtls/pk.h>

namespace sebind::test {

struct TlsClientOptions {
    /// Connected to and checked against the server certificate. mbedTLS 2.28 ignores iPAddress
    /// SANs, so tests connect to 127.0.0.1 by the name "localhost".
    std::string host = "localhost";
    int port = 0;
    std::string ca_file;                      ///< PEM CA(s) for the server certificate
    std::vector<unsigned char> own_cert_der;  ///< client certificate (empty: no client auth)
    mbedtls_pk_context* own_key = nullptr;    ///< any pk: a software key or the SE key (se_key.hpp)
    std::vector<int> ciphersuites;            ///< mbedTLS suite ids to offer; empty = library defaults
    int timeout_ms = 10000;                   ///< per read, handshake included
    // For tls_connect() only:
    std::vector<unsigned char> send;  ///< application data written after the handshake
    std::size_t expect = 0;           ///< bytes to read back after `send`
};

/// One connection. Not copyable; the key passed in options must outlive it.
class TlsClient {
public:
    explicit TlsClient(const TlsClientOptions& options);
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    /// TCP connect + handshake: 0, or the mbedTLS error (error() explains it).
    int connect();
    /// Writes all of `bytes`; false on error (error() says why).
    bool write(const std::vector<unsigned char>& bytes);
    /// Reads exactly `n` bytes; returns fewer when the peer closes, times out or fails.
    std::vector<unsigned char> read(std::size_t n);
    /// Sends close_notify and closes the socket (also done by the destructor).
    void close();

    const std::string& ciphersuite() const;
    /// "mbedTLS message (-0xNNNN)" and, after a certificate failure, the verification flags.
    const std::string& error() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

struct TlsResult {
    int handshake = -1;  ///< 0 on success, else the mbedTLS error
    std::string ciphersuite;
    std::string error;
    std::vector<unsigned char> received;  ///< bytes read after `send` (if any)
};

/// One-shot: connect, handshake, optionally write `send` and read `expect` bytes, close.
TlsResult tls_connect(const TlsClientOptions& options);

}  // namespace sebind::test
