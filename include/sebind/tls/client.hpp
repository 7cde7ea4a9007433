// SPDX-License-Identifier: Apache-2.0
// A TLS 1.2 client transport on mbedTLS 2.28 for the chip key: TCP_NODELAY, hostname check always
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

/// What failed, in terms a device engineer can act on.
enum class Failure : std::uint8_t {
    none,
    not_listening,         ///< TCP connect refused or unreachable
    unknown_host,
    timeout,
    untrusted_server,      ///< server certificate not issued by the configured CA
    hostname_mismatch,
    server_cert_expired,
    server_cert_rsa,       ///< server only has an RSA certificate: no ECDSA suite possible
    no_shared_cipher,      ///< the server wants suites this client does not offer
    client_cert_rejected,  ///< the server refused our certificate (CA, or key/cert mismatch)
    chip_error,            ///< the secure element failed while signing
    protocol_error,
};
const char* to_string(Failure f) noexcept;

struct Diagnosis {
    Failure failure = Failure::none;
    std::string cause;   ///< one line: what happened
    std::string fix;     ///< one line: what to change
    int mbedtls_error = 0;
    std::uint32_t verify_flags = 0;
    std::uint8_t alert = 0;  ///< TLS alert received, if any
};

struct HandshakeInfo {
    std::string version;
    std::string ciphersuite;
    std::string group;  ///< ECDHE curve, when reported
    std::string server_subject, server_issuer, server_not_after;
    bool resumed = false;
    std::uint32_t chip_signatures = 0;  ///< SE signatures during this handshake
    std::uint32_t tcp_ms = 0, handshake_ms = 0;
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

class Client {
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
    Status write(Bytes data);
    /// Reads up to out.size() bytes; 0 = peer closed. Errors: timeout, communication_failure.
    Result<std::size_t> read(MutableBytes out);
    void close() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    Diagnosis m_diagnosis;
};

}  // namespace sebind::tls
