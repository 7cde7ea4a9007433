// SPDX-License-Identifier: Apache-2.0
// wolfSSL 5.5 TLS client with the chip key: connect, session cache, and the byte stream.
#include "sebind/tls_wolfssl/client.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include <poll.h>

#include "chip_signer.hpp"
#include "connection.hpp"
#include "diagnosis.hpp"
#include "sebind/tls/pem_file.hpp"
#include "wolfssl.hpp"  // options.h first, then the wolfCrypt headers

#include <wolfssl/wolfcrypt/ecc.h>

namespace sebind::tls_wolfssl {

namespace {

/// wolfSSL_Init once per process, never undone: wolfSSL_Cleanup would drop library state that
/// other clients may still use.
void init_library() {
    static const int once = wolfSSL_Init();
    (void)once;
}

/// wolfSSL keeps a cache of fixed-point tables for the public keys it verifies with (FP_ECC,
/// thread-local in Debian's build), and a thread that ends leaves its cache allocated for good.
/// The agent connects from a thread of its own per attempt, so each connect releases the cache
/// of the thread it ran on; nothing after the handshake needs it.
struct EccCacheRelease {
    EccCacheRelease() = default;
    EccCacheRelease(const EccCacheRelease&) = delete;
    EccCacheRelease& operator=(const EccCacheRelease&) = delete;
    ~EccCacheRelease() {
#ifdef FP_ECC
        wc_ecc_fp_free();
#endif
    }
};

bool is_brainpool(stsafe::Curve c) {
    return c == stsafe::Curve::brainpool_p256r1 || c == stsafe::Curve::brainpool_p384r1;
}

}  // namespace

const char* to_string(TlsVersions v) noexcept {
    switch (v) {
        case TlsVersions::both: return "TLS 1.2 + 1.3";
        case TlsVersions::tls12_only: return "TLS 1.2";
        case TlsVersions::tls13_only: return "TLS 1.3";
    }
    return "?";
}

struct SessionCache::Impl {
    WOLFSSL_SESSION* session = nullptr;
    ~Impl() { reset(nullptr); }
    void reset(WOLFSSL_SESSION* s) {
        if (session) wolfSSL_SESSION_free(session);
        session = s;
    }
};

SessionCache::SessionCache() : m_impl(std::make_unique<Impl>()) {}
SessionCache::~SessionCache() = default;
bool SessionCache::valid() const noexcept { return m_impl->session != nullptr; }
void SessionCache::clear() noexcept { m_impl->reset(nullptr); }

struct Client::Impl {
    std::unique_ptr<Connection> conn;
    ClientOptions options;  // for diagnoses after the handshake
    SessionCache* cache = nullptr;
    bool tls13 = false;
    bool data_received = false;

    /// Keeps the newest resumable session: a TLS 1.2 session at once, a TLS 1.3 one only when
    /// a ticket has arrived (before, the old entry may still be the better one).
    void refresh_cache() {
        if (!cache || !conn) return;
        conn->ticket_arrived = false;
        WOLFSSL_SESSION* s = wolfSSL_get1_session(conn->ssl);
        if (s && wolfSSL_SESSION_is_resumable(s)) {
            cache->m_impl->reset(s);
        } else if (s) {
            wolfSSL_SESSION_free(s);
        }
    }
};

Client::Client() : m_impl(std::make_unique<Impl>()) {}
Client::~Client() { close(); }

void Client::close() noexcept {
    Impl& m = *m_impl;
    if (!m.conn) return;
    // TLS 1.3 tickets may be sitting unread in the socket: take them in before storing the session.
    if (m.cache && m.tls13) {
        unsigned char scratch[256];
        for (int i = 0; i < 8; ++i) {
            pollfd p{m.conn->io.fd, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0 || wolfSSL_read(m.conn->ssl, scratch, sizeof scratch) <= 0) break;
        }
    }
    m.refresh_cache();
    wolfSSL_shutdown(m.conn->ssl);  // close_notify, best effort: the socket is non-blocking
    m.conn.reset();
    m.cache = nullptr;
}

bool Client::await_session_ticket(std::uint32_t wait_ms) noexcept {
    Impl& m = *m_impl;
    if (!m.conn || !m.cache || !m.tls13) return false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (!m.conn->ticket_arrived) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        pollfd p{m.conn->io.fd, POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        // peek handles the handshake records (the ticket) and leaves application data unread.
        unsigned char first;
        const int n = wolfSSL_peek(m.conn->ssl, &first, 1);
        if (n > 0 || wolfSSL_get_error(m.conn->ssl, n) != WOLFSSL_ERROR_WANT_READ) break;
    }
    if (!m.conn->ticket_arrived) return false;
    m.refresh_cache();
    return true;
}

Result<tls::HandshakeInfo> Client::connect(const ClientOptions& o, SessionCache* cache) {
    const EccCacheRelease release_ecc_cache;
    close();
    init_library();
    m_diagnosis = tls::Diagnosis{};
    Impl& m = *m_impl;
    m.options = o;
    auto conn = std::make_unique<Connection>();

    // The client key: the leaf's public key stands in for it, on the slot's curve.
    std::optional<LeafKey> leaf;
    bool cap_tls12 = false;
    if (o.device != nullptr && !o.chain.empty()) {
        auto key = leaf_key(o.chain.front());
        if (!key) {
            if (key.status().code() == Errc::invalid_argument) {
                tls::set_diagnosis(m_diagnosis, tls::Failure::protocol_error,
                                   "cannot set up TLS: the client certificate is not DER X.509",
                                   "pass the device certificate chain as DER, leaf first (`sebind cert show`)");
            } else {
                tls::set_diagnosis(
                    m_diagnosis, tls::Failure::not_supported,
                    "the client certificate's key is not EC on a curve the chip has",
                    "pass the certificate issued for the slot's key (P-256, P-384, brainpoolP256r1/P384r1)");
            }
            return key.status();
        }
        auto curve = o.device->slot_curve(o.slot);
        if (!curve) {
            tls::set_diagnosis(m_diagnosis, tls::Failure::chip_error,
                               "cannot read slot " + std::to_string(o.slot) + " of the secure element (" +
                                   to_string(curve.status().code()) + ")",
                               "generate or check the key with `sebind keygen` / `sebind info`");
            return curve.status();
        }
        if (*curve != key->curve) {
            tls::set_diagnosis(m_diagnosis, tls::Failure::client_cert_rejected,
                               std::string("the certificate's key is ") + stsafe::curve_info(key->curve).name +
                                   " but slot " + std::to_string(o.slot) + " holds a " +
                                   stsafe::curve_info(*curve).name + " key",
                               "pass the certificate issued for this slot's key (`sebind verify-pair`)");
            return Errc::invalid_argument;
        }
        // TLS 1.3 names the curve in the signature algorithm; wolfSSL 5.5 has no brainpool ones
        // (RFC 8734), so a brainpool key signs in TLS 1.2 only.
        cap_tls12 = is_brainpool(*curve);
        if (cap_tls12 && o.versions == TlsVersions::tls13_only) {
            tls::set_diagnosis(m_diagnosis, tls::Failure::not_supported,
                               std::string("a ") + stsafe::curve_info(*curve).name +
                                   " key cannot sign in TLS 1.3 with wolfSSL " + wolfSSL_lib_version(),
                               "allow TLS 1.2, or use a P-256/P-384 key in the slot");
            return Errc::not_supported;
        }
        leaf = std::move(*key);
    }
    conn->signer.device = o.device;
    conn->signer.slot = o.slot;
    tls::PemCertificates ca = tls::read_pem_certificates(o.ca_file);
    if (ca.failure != tls::Failure::none) {
        tls::diagnoses::bad_certificate_file(m_diagnosis, "CA file", o.ca_file, ca.failure, ca.reason, ca.fix);
        return Errc::invalid_argument;
    }
    conn->trusted = std::move(ca.der);

    std::string what;
    const int rc = conn->setup(o, Mode::client, cap_tls12, leaf ? &*leaf : nullptr, what);
    if (rc != WOLFSSL_SUCCESS) {
        char text[128];
        wolfSSL_ERR_error_string_n(static_cast<unsigned long>(rc), text, sizeof text);
        if (what == "CA file")
            tls::diagnoses::bad_certificate_file(
                m_diagnosis, what, o.ca_file, tls::Failure::file_invalid,
                "certificate " + std::to_string(conn->bad_trusted + 1) + " in it does not parse as X.509",
                "export the certificate again");
        else
            tls::set_diagnosis(m_diagnosis, tls::Failure::protocol_error, "cannot set up TLS (" + what + "): " + text,
                               "check --ca (a PEM file) and the client certificate");
        m_diagnosis.stack_error = rc;
        return Errc::invalid_argument;
    }
    const bool offered = cache && cache->valid();
    if (offered) (void)wolfSSL_set_session(conn->ssl, cache->m_impl->session);  // refused = full handshake

    const std::uint32_t t0 = host::monotonic_ms();
    const std::uint32_t deadline = t0 + o.timeout_ms;
    const TcpError tcp = conn->open_tcp(o, deadline);
    const std::uint32_t t1 = host::monotonic_ms();
    if (tcp != TcpError::none) {
        m_diagnosis = tls::Diagnosis{};
        const std::string& dialled = o.connect_address.empty() ? o.host : o.connect_address;
        tls::diagnoses::tcp_failure(m_diagnosis, tcp, dialled, dialled + ":" + std::to_string(o.port), o.timeout_ms,
                                    conn->resolver_error);
        return Errc::communication_failure;
    }
    const int err = conn->handshake(deadline);
    if (err != 0) {
        diagnose_handshake(o, *conn, err, m_diagnosis);
        if (cache) cache->clear();
        return m_diagnosis.failure == tls::Failure::timeout ? Errc::timeout : Errc::not_permitted;
    }
    // TLS 1.3 (RFC 8446 §4.4.2): the server judges our certificate after our Finished, when
    // wolfSSL_connect has already returned. A full handshake is good only once the server shows
    // it accepted us (a ticket or data); its refusal is an alert. A server that sends neither is
    // not waited for beyond the larger of 1 s and twice the handshake so far.
    if (wolfSSL_GetVersion(conn->ssl) == WOLFSSL_TLSV1_3 && wolfSSL_session_reused(conn->ssl) == 0) {
        const std::uint32_t bound = host::monotonic_ms() +
                                    std::max<std::uint32_t>(1000, 2 * (host::monotonic_ms() - t1));
        const int refused = conn->await_verdict(static_cast<std::int32_t>(bound - deadline) < 0 ? bound : deadline);
        if (refused != 0) {
            diagnose_after_handshake(o, *conn, refused, true, m_diagnosis);
            if (cache) cache->clear();
            return Errc::not_permitted;
        }
    }
    const std::uint32_t t2 = host::monotonic_ms();

    tls::HandshakeInfo info;
    info.stack = std::string("wolfssl ") + wolfSSL_lib_version();
    info.version = wolfSSL_get_version(conn->ssl);
    if (const char* suite = wolfSSL_get_cipher_name(conn->ssl)) info.ciphersuite = suite;
    if (const char* group = wolfSSL_get_curve_name(conn->ssl)) info.group = group;
    char* alpn = nullptr;
    unsigned short alpn_size = 0;
    if (!o.alpn.empty() && wolfSSL_ALPN_GetProtocol(conn->ssl, &alpn, &alpn_size) == WOLFSSL_SUCCESS && alpn != nullptr)
        info.alpn.assign(alpn, alpn_size);
    info.resumed = wolfSSL_session_reused(conn->ssl) != 0;
    info.chip_signatures = conn->signer.signatures;
    info.tcp_ms = t1 - t0;
    info.handshake_ms = t2 - t1;
    if (auto peer = peer_certificate(conn->ssl)) {
        info.server_subject = peer->subject;
        info.server_issuer = peer->issuer;
        info.server_not_after = peer->not_after;
    }
    m.conn = std::move(conn);
    m.cache = cache;
    m.tls13 = wolfSSL_GetVersion(m.conn->ssl) == WOLFSSL_TLSV1_3;
    m.data_received = false;
    m.refresh_cache();
    return info;
}

Status Client::write(Bytes data) {
    Impl& m = *m_impl;
    if (!m.conn) return Status(Errc::communication_failure);
    std::size_t done = 0;
    while (done < data.size()) {
        const int n = wolfSSL_write(m.conn->ssl, data.data() + done, static_cast<int>(data.size() - done));
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        const int err = wolfSSL_get_error(m.conn->ssl, n);
        if (err == WOLFSSL_ERROR_WANT_WRITE || err == WOLFSSL_ERROR_WANT_READ) {
            if (!m.conn->wait(err == WOLFSSL_ERROR_WANT_WRITE, host::monotonic_ms() + m.options.timeout_ms))
                return Status(Errc::timeout);
            continue;
        }
        diagnose_after_handshake(m.options, *m.conn, err, m.tls13 && !m.data_received, m_diagnosis);
        return Status(Errc::communication_failure);
    }
    return Status::success();
}

Result<std::size_t> Client::read(MutableBytes out) { return read(out, m_impl->options.timeout_ms); }

Result<std::size_t> Client::read(MutableBytes out, std::uint32_t wait_ms) {
    Impl& m = *m_impl;
    if (!m.conn) return Errc::communication_failure;
    const std::uint32_t deadline = host::monotonic_ms() + wait_ms;
    for (;;) {
        const int n = wolfSSL_read(m.conn->ssl, out.data(), static_cast<int>(out.size()));
        // Records other than data (TLS 1.3 tickets) are handled inside wolfSSL_read.
        if (m.conn->ticket_arrived) m.refresh_cache();
        if (n > 0) {
            m.data_received = true;
            return static_cast<std::size_t>(n);
        }
        const int err = wolfSSL_get_error(m.conn->ssl, n);
        if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) {
            if (!m.conn->wait(err == WOLFSSL_ERROR_WANT_WRITE, deadline)) return Errc::timeout;
            continue;
        }
        // close_notify, or a plain end of stream (no alert): the peer closed.
        if (err == WOLFSSL_ERROR_ZERO_RETURN ||
            (m.conn->io.peer_closed && !m.conn->io.peer_reset && err != FATAL_ERROR))
            return std::size_t{0};
        diagnose_after_handshake(m.options, *m.conn, err, m.tls13 && !m.data_received, m_diagnosis);
        return Errc::communication_failure;
    }
}

}  // namespace sebind::tls_wolfssl
