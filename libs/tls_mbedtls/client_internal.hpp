// SPDX-License-Identifier: Apache-2.0
// Internal to the TLS client: the shared part of a client (ClientContext::Impl) and one
// connection's mbedTLS state, shared by client.cpp, client_context.cpp and client_diagnosis.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "sebind/tls/tcp.hpp"
#include "sebind/tls_mbedtls/chip_ecdhe.hpp"
#include "sebind/tls_mbedtls/client.hpp"

namespace sebind::tls_mbedtls {

/// Everything connections to one server can share. The entropy context is 37,960 bytes in
/// Debian's build (MBEDTLS_HAVEGE_C puts a 32 KB table inside it): it is what made the first
/// client's connections cost ~85 KB of heap each (docs/tls-mbedtls.md, "Memory").
struct ClientContext::Impl {
    ClientOptions options;  ///< a copy: the configuration points into its strings
    std::vector<const char*> alpn;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_ctr_drbg_context drbg;
    std::unique_ptr<mbedtls_entropy_context> entropy;  ///< null once a one-shot context is seeded
    ChipEcdheBinding ecdhe;                            ///< the configuration's RNG marks ECDH for the chip (chip_ecdhe)
    bool ready = false;

    Impl();
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    /// Seeds the DRBG, parses the CA (unless `probe`) and builds the configuration. `probe` offers
    /// every suite and skips server verification (the diagnosis's second look at a server).
    /// `keep_entropy` false frees the entropy context right after seeding (one connection only).
    /// Errors: invalid_argument (mbedTLS refused: CA file, certificate, entropy), not_supported
    /// (chip_ecdhe without an SE key or without the hook); `d` says why.
    Status setup(const ClientOptions& o, bool probe, bool keep_entropy, tls::Diagnosis& d);
};

/// One TLS connection's mbedTLS state: the socket and the SSL context (which holds the two
/// record buffers, MBEDTLS_SSL_IN/OUT_BUFFER_LEN = 16,717 bytes each in Debian's build).
struct Connection {
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    Connection() {
        mbedtls_net_init(&net);
        mbedtls_ssl_init(&ssl);
    }
    ~Connection() {
        mbedtls_net_free(&net);
        mbedtls_ssl_free(&ssl);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Socket bytes read ahead of mbedTLS, which asks for each record's 5-byte header and then its
    /// body: one recv then serves a burst of small records (a broker's PUBACKs) instead of a
    /// wait and a read per header and per body. Reads of a whole buffer or more go straight to
    /// mbedTLS's own. Small: it is per connection (docs/tls-mbedtls.md, "Memory").
    unsigned char ahead[512];
    std::size_t ahead_off = 0, ahead_len = 0;
    bool has_ahead() const noexcept { return ahead_off < ahead_len; }

    /// The server's leaf certificate as seen during verification (mbedTLS drops the certificate
    /// of a handshake that fails, and the diagnosis must still name its issuer and validity).
    std::string peer_issuer;
    mbedtls_x509_time peer_valid_from{}, peer_valid_to{};
    bool peer_seen = false;

    std::string host;  ///< the name the server's certificate must carry (tls/host_name.hpp)

    /// Binds the SSL context to `context`'s configuration, sets SNI and the name check. mbedTLS error code.
    int setup(const ClientContext::Impl& context);
    /// tls::tcp_connect within the options' timeout. MBEDTLS_ERR_NET_CONNECT_FAILED with the
    /// reason in tcp_error.
    int open_tcp(const ClientOptions& o);
    tls::TcpError tcp_error = tls::TcpError::none;
    int resolver_error = 0;  ///< getaddrinfo's code when tcp_error is unknown_host
    /// Runs the handshake until `deadline`: the whole handshake, not each read, so a server that
    /// sends a byte now and then cannot hold it open (MBEDTLS_ERR_SSL_TIMEOUT at the deadline).
    int handshake(std::chrono::steady_clock::time_point deadline);
    /// While set, every read gives up at `deadline` (recv_ahead), whatever its own timeout.
    std::chrono::steady_clock::time_point deadline{};
    bool has_deadline = false;
};

/// Fills `d` for a handshake that failed with `rc` on `c` (may open a probe connection).
void diagnose(const ClientOptions& o, Connection& c, int rc, tls::Diagnosis& d);
/// A protocol_error with mbedTLS's text for `rc` ("<what>: <text>") and stack_error = rc.
void set_stack_failure(tls::Diagnosis& d, int rc, const std::string& what, std::string fix);

}  // namespace sebind::tls_mbedtls
