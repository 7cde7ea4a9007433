// SPDX-License-Identifier: Apache-2.0
// A TLS 1.2 + 1.3 client on wolfSSL 5.5 whose client key is a chip slot: every private-key
// operation is the chip's Generate Signature, reached through wolfSSL's ECC sign PK callback.
//
//   tls_wolfssl::ClientOptions o;
//   o.host = "broker.lan";  o.port = 8883;  o.ca_file = "ca.pem";
//   o.device = &se;  o.slot = stsafe::kSlotUser;  o.chain = {leaf_der};   // leaf first
//   tls_wolfssl::SessionCache cache;             // keep it across reconnects
//   tls_wolfssl::Client c;
//   auto info = c.connect(o, &cache);            // one chip signature when full, none when resumed
//   if (!info) log(c.diagnosis().cause, c.diagnosis().fix);
//
// Behaviour shared with the mbedTLS client (include/sebind/tls_mbedtls/client.hpp): TCP_NODELAY, the
// server name always checked and sent as SNI, an explicit group list starting X25519, P-256,
// ECDHE-ECDSA suites only in TLS 1.2, timeouts on every wait, session resumption, and a
// diagnosis of each failure (tls::Diagnosis). See docs/tls-wolfssl.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/protocol.hpp"
#include "sebind/tls/report.hpp"
#include "sebind/tls/stream.hpp"

namespace sebind::tls_wolfssl {

/// Which protocol versions the client offers.
enum class TlsVersions : std::uint8_t {
    both,  ///< TLS 1.3 preferred, TLS 1.2 accepted (default)
    tls12_only,
    tls13_only,
};

const char* to_string(TlsVersions v) noexcept;

struct ClientOptions {
    /// DNS name or IP literal: connected to, checked against the server certificate by the rule
    /// both stacks share (include/sebind/tls/host_name.hpp) and, when a name, sent as SNI.
    std::string host;
    /// When set, the TCP connection goes to this address (a name or an IP literal) instead of
    /// `host`, which stays what SNI carries and the certificate must name (like curl --connect-to).
    std::string connect_address;
    std::uint16_t port = 8883;
    std::string ca_file;  ///< PEM file of trusted CAs for the server certificate
    /// The chip whose `slot` holds the client key; it must outlive the Client. nullptr (or an
    /// empty chain) = no client certificate.
    stsafe::Device* device = nullptr;
    std::uint8_t slot = stsafe::kSlotUser;  ///< 0 = factory key, 1 = provisioned key
    /// Client certificate chain, DER, leaf first. The leaf's public key must be the slot's key
    /// (its curve is checked against the chip's; the pairing itself is `sebind verify-pair`).
    std::vector<std::vector<std::uint8_t>> chain;
    TlsVersions versions = TlsVersions::both;
    std::vector<std::string> alpn;     ///< optional protocol names, in preference order
    std::uint32_t timeout_ms = 10000;  ///< TCP connect, the handshake as a whole, each blocking wait
};

/// The session to resume on the next connection: a TLS 1.2 session id or ticket, or a TLS 1.3
/// ticket (these arrive after the handshake: the cache is refreshed as the client reads, and on
/// close). Holds no long-term key. Usable with any later connection to the same server.
class SessionCache {
public:
    SessionCache();
    ~SessionCache();
    SessionCache(const SessionCache&) = delete;
    SessionCache& operator=(const SessionCache&) = delete;
    /// True when the cache holds a session the server may resume.
    bool valid() const noexcept;
    void clear() noexcept;

private:
    friend class Client;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

class Client final : public tls::Stream {
public:
    Client();
    ~Client() override;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Connects and completes the handshake. With a `cache` holding a session it is offered,
    /// and the cache is refreshed with this connection's session (the cache must outlive the
    /// connection). On failure diagnosis() says why; errors: communication_failure (no TCP
    /// connection: not_listening, unknown_host, timeout), timeout (no TLS answer in time),
    /// not_supported (a brainpool slot with tls13_only; a leaf that is not an EC certificate on
    /// an A110 curve), invalid_argument (CA file or chain unusable, diagnosis file_not_found or
    /// file_invalid for the CA file; the leaf's curve is not the slot's), the chip's error when the slot's curve cannot be read, not_permitted (the
    /// handshake failed). In TLS 1.3 the server judges the client certificate after the
    /// client's Finished: a full handshake therefore also waits for the server's first record
    /// (a session ticket or data: accepted; an alert: refused, not_permitted) up to the larger of
    /// 1 s and twice the handshake's time, within timeout_ms. A server that says nothing in that
    /// time is taken at its word; a later refusal surfaces on the first read (or write), which
    /// fails with communication_failure and updates diagnosis().
    Result<tls::HandshakeInfo> connect(const ClientOptions& options, SessionCache* cache = nullptr);
    const tls::Diagnosis& diagnosis() const noexcept { return m_diagnosis; }

    /// Writes all of `data`. Errors: communication_failure (peer gone, not connected), timeout.
    Status write(Bytes data) override;
    /// Reads up to out.size() bytes, waiting at most `wait_ms` for the first; 0 = peer closed.
    /// Errors: timeout, communication_failure (diagnosis() says why when the server sent an alert).
    Result<std::size_t> read(MutableBytes out, std::uint32_t wait_ms) override;
    /// read() waiting up to the options' timeout_ms.
    Result<std::size_t> read(MutableBytes out);
    /// TLS 1.3 sends its session tickets after the handshake, so a client that closes at once
    /// (a plain handshake test) would leave without one. Waits up to `wait_ms` for a ticket
    /// without consuming application data (it stays for read()); true when one arrived and is
    /// now in the cache. TLS 1.2 (the session is in the cache at once) or no cache: false at once.
    bool await_session_ticket(std::uint32_t wait_ms) noexcept;
    /// Sends close_notify (best effort), stores the latest session in the cache, closes. Idempotent.
    void close() noexcept override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    tls::Diagnosis m_diagnosis;
};

}  // namespace sebind::tls_wolfssl
