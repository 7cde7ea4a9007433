// SPDX-License-Identifier: Apache-2.0
// mbedTLS 2.28 TLS client with the chip key: connect (full or resumed handshake), read, write.
#include "sebind/tls_mbedtls/client.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <mbedtls/version.h>

#include <poll.h>

#include "client_internal.hpp"
#include "sebind/host/clock.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/mbedtls_util/se_key.hpp"

namespace sebind::tls_mbedtls {

using namespace tls;           // the stack-neutral report, diagnoses, TCP connect and host-name rule
using namespace mbedtls_util;  // the chip key as an mbedtls_pk_context, the curve mapping

namespace {

/// True when a resumed handshake kept the cached session as it was: the same ticket (the server
/// issued no new one) or the same session id. Saving it again would only parse the server's
/// certificate once more (mbedtls_ssl_get_session copies the session, certificate included).
bool same_session(const mbedtls_ssl_session& now, const mbedtls_ssl_session& cached) {
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
    if (cached.ticket_len > 0)
        return now.ticket_len == cached.ticket_len && now.ticket != nullptr &&
               std::memcmp(now.ticket, cached.ticket, cached.ticket_len) == 0;
#endif
    return cached.id_len > 0 && now.id_len == cached.id_len && std::memcmp(now.id, cached.id, cached.id_len) == 0;
}

}  // namespace

struct SessionCache::Impl {
    mbedtls_ssl_session session;
    Impl() { mbedtls_ssl_session_init(&session); }
    ~Impl() { mbedtls_ssl_session_free(&session); }
};

SessionCache::SessionCache() : m_impl(std::make_unique<Impl>()) {}
SessionCache::~SessionCache() = default;
void SessionCache::clear() noexcept {
    mbedtls_ssl_session_free(&m_impl->session);
    mbedtls_ssl_session_init(&m_impl->session);
    m_valid = false;
}

struct Client::Impl {
    std::unique_ptr<ClientContext> own_context;  ///< for connect(options): a one-shot context
    std::unique_ptr<Connection> conn;
};

Client::Client() : m_impl(std::make_unique<Impl>()) {}
Client::~Client() { close(); }

void Client::close() noexcept {
    if (m_impl->conn) {
        mbedtls_ssl_close_notify(&m_impl->conn->ssl);
        m_impl->conn.reset();
    }
    // The connection points into the context's configuration: the context goes after it.
    m_impl->own_context.reset();
}

Result<HandshakeInfo> Client::connect(const ClientOptions& o, SessionCache* cache) {
    close();
    m_diagnosis = Diagnosis{};
    auto context = std::make_unique<ClientContext>();
    // One connection only: the entropy context is freed once the DRBG is seeded.
    if (Status s = context->m_impl->setup(o, false, false, m_diagnosis); !s.ok()) return s;
    auto info = connect(*context, cache);
    if (info) m_impl->own_context = std::move(context);
    return info;
}

Result<HandshakeInfo> Client::connect(ClientContext& context, SessionCache* cache) {
    close();
    m_diagnosis = Diagnosis{};
    if (!context.ready()) {
        set_diagnosis(m_diagnosis, Failure::protocol_error, "the TLS client context is not set up",
                      "call ClientContext::setup and check its result");
        return Errc::invalid_argument;
    }
    const ClientOptions& o = context.options();
    auto conn = std::make_unique<Connection>();
    HandshakeInfo info;
    int rc = conn->setup(*context.m_impl);
    if (rc != 0) {
        set_stack_failure(m_diagnosis, rc, "cannot set up TLS",
                          "not enough memory for the connection's record buffers?");
        return Errc::buffer_too_small;
    }
    const bool offered = cache && cache->valid();
    if (offered) mbedtls_ssl_set_session(&conn->ssl, &cache->m_impl->session);
    const std::uint32_t signatures_before = o.own_key ? se_key_signatures(*o.own_key) : 0;
    ChipEcdheBinding& ecdhe = context.m_impl->ecdhe;
    const std::uint32_t established_before = ecdhe.established;
    ecdhe.last_error = Status();
    // One deadline for TCP and the handshake together (timeout_ms), not one per read.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms);
    const std::uint32_t t0 = host::monotonic_ms();
    rc = conn->open_tcp(o);
    const std::uint32_t t1 = host::monotonic_ms();
    if (rc == 0) rc = conn->handshake(deadline);
    const std::uint32_t t2 = host::monotonic_ms();
    if (rc != 0 && !ecdhe.last_error.ok()) {
        m_diagnosis.stack_error = rc;
        set_diagnosis(
            m_diagnosis, Failure::chip_error,
            std::string("the secure element failed in ECDHE (slot 0xFF: ") + to_string(ecdhe.last_error.code()) + ")",
            "check the chip with `sebind info`, or turn chip ECDHE off");
        if (cache) cache->clear();
        return Errc::not_permitted;
    }
    if (rc != 0) {
        diagnose(o, *conn, rc, m_diagnosis);
        if (cache) cache->clear();
        if (conn->tcp_error != TcpError::none) return Errc::communication_failure;
        return m_diagnosis.failure == Failure::timeout ? Errc::timeout : Errc::not_permitted;
    }
    info.tcp_ms = t1 - t0;
    info.handshake_ms = t2 - t1;
    info.stack = "mbedtls " MBEDTLS_VERSION_STRING;
    info.version = mbedtls_ssl_get_version(&conn->ssl);
    info.ciphersuite = mbedtls_ssl_get_ciphersuite(&conn->ssl);
    if (const char* alpn = mbedtls_ssl_get_alpn_protocol(&conn->ssl)) info.alpn = alpn;
    info.chip_signatures = o.own_key ? se_key_signatures(*o.own_key) - signatures_before : 0;
    // A resumed handshake sends no CertificateVerify: no chip signature.
    info.resumed = offered && o.own_key && is_se_key(*o.own_key) && info.chip_signatures == 0;
    info.chip_key_establishments = ecdhe.established - established_before;
    if (ecdhe.device && !info.resumed && info.chip_key_establishments == 0) {
        // The hook was bypassed (e.g. the probe passed but this build's TLS calls ECDH another way):
        // say so rather than pretend the chip did it.
        set_diagnosis(m_diagnosis, Failure::not_supported,
                      "the handshake's ECDHE was computed by mbedTLS, not by the chip",
                      "use Debian's shared mbedTLS with sebind::tls_mbedtls_ecdhe_hook, or turn chip ECDHE off");
        mbedtls_ssl_close_notify(&conn->ssl);
        if (cache) cache->clear();
        return Errc::not_supported;
    }
    if (const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&conn->ssl)) {
        char buf[256];
        mbedtls_x509_dn_gets(buf, sizeof buf, &peer->subject);
        info.server_subject = buf;
        mbedtls_x509_dn_gets(buf, sizeof buf, &peer->issuer);
        info.server_issuer = buf;
        info.server_not_after = mbedtls_util::iso_date(peer->valid_to);
    }
    if (cache && !(offered && same_session(*conn->ssl.session, cache->m_impl->session))) {
        cache->clear();
        cache->m_valid = mbedtls_ssl_get_session(&conn->ssl, &cache->m_impl->session) == 0;
    }
    m_impl->conn = std::move(conn);
    return info;
}

Status Client::write(Bytes data) {
    if (!m_impl->conn) return Status(Errc::communication_failure);
    std::size_t done = 0;
    while (done < data.size()) {
        const int n = mbedtls_ssl_write(&m_impl->conn->ssl, data.data() + done, data.size() - done);
        if (n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_WANT_READ) continue;
        if (n <= 0) return Status(Errc::communication_failure);
        done += static_cast<std::size_t>(n);
    }
    return Status::success();
}

Result<std::size_t> Client::read(MutableBytes out) {
    if (!m_impl->conn) return Errc::communication_failure;
    for (;;) {
        const int n = mbedtls_ssl_read(&m_impl->conn->ssl, out.data(), out.size());
        if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
        if (n == MBEDTLS_ERR_SSL_TIMEOUT) return Errc::timeout;
        if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == 0) return std::size_t{0};
        if (n < 0) return Errc::communication_failure;
        return static_cast<std::size_t>(n);
    }
}

Result<std::size_t> Client::read(MutableBytes out, std::uint32_t wait_ms) {
    if (!m_impl->conn) return Errc::communication_failure;
    Connection& c = *m_impl->conn;
    // Decrypted or read-ahead bytes need no socket; otherwise wait for the next record to start.
    if (mbedtls_ssl_get_bytes_avail(&c.ssl) == 0 && !mbedtls_ssl_check_pending(&c.ssl) && !c.has_ahead()) {
        pollfd p{c.net.fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(wait_ms));
        if (r == 0) return Errc::timeout;
        if (r < 0) return Errc::communication_failure;
    }
    return read(out);
}

}  // namespace sebind::tls_mbedtls
