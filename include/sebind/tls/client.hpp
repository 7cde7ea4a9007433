// SPDX-License-Identifier: Apache-2.0
// A TLS 1.2 client transport on mbedTLS 2.28 (Debian 12 builds it without TLS 1.3) for the chip key: TCP_NODELAY, hostname check always
// on (and SNI), an explicit curve list, timeouts, session resumption (tickets and session ids) so
// a reconnect needs no chip signature, and a diagnosis of every failure: what went wrong and what
// to change.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/tls/report.hpp"
#include "sebind/tls/stream.hpp"

namespace sebind::tls {

struct ClientOptions {
    std::string host;                 ///< DNS name: connected to, sent as SNI, checked in the certificate
    std::uint16_t port = 8883;
    std::string ca_file;              ///< PEM file of trusted CAs for the server certificate
    const mbedtls_x509_crt* own_chain = nullptr;  ///< client certificate chain, leaf first
    mbedtls_pk_context* own_key = nullptr;        ///< e.g. from setup_se_key
    std::vector<std::string> alpn;    ///< optional protocol names
    std::uint32_t timeout_ms = 10000; ///< connect, handshake and each read
};

/// A session to resume on the next connection (ticket or id). Holds no long-term key.
class SessionCache {
public:
    SessionCache();
    ~SessionCache();
    SessionCache(const SessionCache&) = delete;
    SessionCache& operator=(const SessionCache&) = delete;
    bool valid() const noexcept { return m_valid; }
    void clear() noexcept;

private:
    friend class Client;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    bool m_valid = false;
};

class Client final : public Stream {
public:
    Client();
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Connects and completes the handshake; with a valid `cache` it offers that session and
    /// stores the new one afterwards. On failure diagnosis() says why.
    Result<HandshakeInfo> connect(const ClientOptions& options, SessionCache* cache = nullptr);
    const Diagnosis& diagnosis() const noexcept { return m_diagnosis; }

    /// Writes all of `data`. Errors: communication_failure (peer gone).
    Status write(Bytes data) override;
    /// Reads up to out.size() bytes, waiting up to the options' timeout_ms; 0 = peer closed.
    /// Errors: timeout, communication_failure.
    Result<std::size_t> read(MutableBytes out);
    Result<std::size_t> read(MutableBytes out, std::uint32_t wait_ms) override;
    void close() noexcept override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    Diagnosis m_diagnosis;
};

}  // namespace sebind::tls
