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
#include "sebind/tls/host_name.hpp"
#include "sebind/tls/report.hpp"
#include "sebind/tls/stream.hpp"

namespace sebind::tls_mbedtls {

struct ClientOptions {
    std::string
        host;  ///< DNS name or IP literal: connected to, sent as SNI (names only), checked in the certificate (tls/host_name.hpp)
    /// When set, the TCP connection goes to this address (a name or an IP literal) instead of
    /// `host`, which stays what SNI carries and the certificate must name (like curl --connect-to).
    std::string connect_address;
    std::uint16_t port = 8883;
    std::string ca_file;  ///< PEM file of trusted CAs for the server certificate (at most 1 MiB)
    const mbedtls_x509_crt* own_chain = nullptr;  ///< client certificate chain, leaf first
    mbedtls_pk_context* own_key = nullptr;        ///< e.g. from setup_se_key
    std::vector<std::string> alpn;                ///< optional protocol names
    std::uint32_t timeout_ms = 10000;             ///< connect, handshake and each read
    /// ECDHE on the chip (off by default): the ephemeral key pair is made in the chip's slot 0xFF
    /// and used there once. Needs an SE own_key, the program linked with
    /// sebind::tls_mbedtls_ecdhe_hook (see chip_ecdhe.hpp) and a server that accepts P-256, P-384
    /// or a brainpool curve (only these are offered then: the A110 has no X25519). Adds ~420 ms
    /// to a full handshake on an A110 (docs/tls-mbedtls.md, "ECDHE on the chip").
    bool chip_ecdhe = false;
    /// Ask for a session ticket (RFC 5077). On: any server, clustered ones too, can resume. Off:
    /// resumption by session id from the server's cache, which is cheaper for an OpenSSL server
    /// (its ticket carries our certificate, parsed again at every resumption: ~0.5 ms there)
    /// and keeps our ClientHello ~700 bytes shorter. Either way a resumed handshake needs no
    /// chip operation.
    bool session_tickets = true;
};

/// Appends the certificates of the PEM file `path` to `into` (tls::read_pem_certificates, then
/// mbedTLS's parser). `what` names the file in the diagnosis ("CA file"). false: `d` says
/// "cannot read <what> <path>: <reason>" (file_not_found, file_invalid).
bool load_certificate_file(const std::string& what, const std::string& path, mbedtls_x509_crt& into, tls::Diagnosis& d);

/// Appends the intermediate CA certificates of the PEM file `path` to `chain`, which holds the
/// device certificate (the leaf): they go out with it in the handshake, so a broker that trusts
/// only the root accepts a device certificate issued by an intermediate. A copy of the leaf in
/// the file (a "full chain" file) is skipped. false: `d` says why, as load_certificate_file.
bool append_chain_file(const std::string& path, mbedtls_x509_crt& chain, tls::Diagnosis& d);

/// What connections to one server share: the trusted CAs (parsed once), one DRBG (seeded once)
/// and the TLS configuration. A device that reconnects keeps one and passes it to every
/// Client::connect: a connection then costs its two record buffers and the handshake (~44 KB of
/// heap at its peak on Debian's mbedTLS 2.28) instead of also a 37 KB entropy context, the CA
/// and a DRBG each time (docs/tls-mbedtls.md, "Memory").
///
///   tls_mbedtls::ClientContext context;
///   if (!context.setup(options, &why).ok()) ...        // once
///   tls_mbedtls::Client client;
///   auto info = client.connect(context, &cache);       // every (re)connection
///
/// Not thread-safe (the DRBG): one connection handshaking at a time. It must outlive every Client
/// connected with it, and `own_chain`/`own_key` of the options must outlive it.
class ClientContext {
public:
    ClientContext();
    ~ClientContext();
    ClientContext(const ClientContext&) = delete;
    ClientContext& operator=(const ClientContext&) = delete;

    /// Seeds the DRBG from the system's entropy, parses `options.ca_file` and builds the TLS
    /// configuration (suites, curves, client certificate, ALPN). Replaces an earlier setup (no
    /// Client may still be connected with it). Errors: invalid_argument (CA file missing, unreadable
    /// or without a usable certificate: tls::read_pem_certificates, diagnosis file_not_found or
    /// file_invalid; no entropy; a bad client certificate); `diagnosis` then says why.
    Status setup(const ClientOptions& options, tls::Diagnosis* diagnosis = nullptr);
    bool ready() const noexcept;
    const ClientOptions& options() const noexcept;

    struct Impl;  ///< opaque: defined inside libs/tls_mbedtls

private:
    friend class Client;
    std::unique_ptr<Impl> m_impl;
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

class Client final : public tls::Stream {
public:
    Client();
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Connects and completes the handshake; with a valid `cache` it offers that session and
    /// stores the new one afterwards. On failure diagnosis() says why; errors:
    /// communication_failure (no TCP connection: not_listening, unknown_host, timeout), timeout
    /// (no TLS answer in time), not_permitted (the handshake failed).
    /// This one-shot form builds a context for this connection alone (CA parsed, DRBG seeded,
    /// then the entropy context freed); reconnecting devices should keep a ClientContext.
    Result<tls::HandshakeInfo> connect(const ClientOptions& options, SessionCache* cache = nullptr);
    /// Connects with a shared context (see ClientContext). Errors as above, plus invalid_argument
    /// (context not set up) and buffer_too_small (no memory for the record buffers).
    Result<tls::HandshakeInfo> connect(ClientContext& context, SessionCache* cache = nullptr);
    const tls::Diagnosis& diagnosis() const noexcept { return m_diagnosis; }

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
    tls::Diagnosis m_diagnosis;
};

}  // namespace sebind::tls_mbedtls
