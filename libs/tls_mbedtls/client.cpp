// SPDX-License-Identifier: Apache-2.0
// mbedTLS 2.28 TLS client with the chip key, and the diagnosis of failed handshakes.
#include "sebind/tls/client.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/debug.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>

#include <mbedtls/version.h>

#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sebind/tls/se_key.hpp"

namespace sebind::tls {

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

namespace {

// The chip key is EC: offer ECDHE-ECDSA suites only, strongest first. A server with only an
// RSA certificate is diagnosed as such rather than silently negotiated around.
const int kSuites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, 0};
// X25519 and P-256 first: the library default starts with P-521, which servers that honour the
// client's order then pay for (field notes).
const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
                                        MBEDTLS_ECP_DP_BP256R1, MBEDTLS_ECP_DP_BP384R1, MBEDTLS_ECP_DP_NONE};

std::uint32_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint32_t>(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

std::string x509_date(const mbedtls_x509_time& t) {
    char b[32];
    std::snprintf(b, sizeof b, "%04d-%02d-%02d", t.year, t.mon, t.day);
    return b;
}

const char* alert_name(std::uint8_t a) {
    switch (a) {
        case 40: return "handshake_failure";
        case 42: return "bad_certificate";
        case 43: return "unsupported_certificate";
        case 44: return "certificate_revoked";
        case 45: return "certificate_expired";
        case 46: return "certificate_unknown";
        case 48: return "unknown_ca";
        case 49: return "access_denied";
        case 51: return "decrypt_error";
        default: return "alert";
    }
}

/// One TLS connection's mbedTLS state.
struct Connection {
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    std::vector<const char*> alpn;
    Connection() {
        mbedtls_net_init(&net);
        mbedtls_ssl_init(&ssl);
        mbedtls_ssl_config_init(&conf);
        mbedtls_x509_crt_init(&ca);
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
    }
    ~Connection() {
        mbedtls_net_free(&net);
        mbedtls_ssl_free(&ssl);
        mbedtls_ssl_config_free(&conf);
        mbedtls_x509_crt_free(&ca);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Sets up config and context; `probe` offers every suite and skips server verification.
    int setup(const ClientOptions& o, bool probe) {
        int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
        if (rc == 0 && !probe) rc = mbedtls_x509_crt_parse_file(&ca, o.ca_file.c_str());
        if (rc == 0) rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
        if (rc != 0) return rc;
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
        mbedtls_ssl_conf_read_timeout(&conf, o.timeout_ms);
        mbedtls_ssl_conf_curves(&conf, kCurves);
        mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_session_tickets(&conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
        if (probe) {
            mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
        } else {
            mbedtls_ssl_conf_ciphersuites(&conf, kSuites);
            mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
            mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
            if (o.own_key && o.own_chain)
                rc = mbedtls_ssl_conf_own_cert(&conf, const_cast<mbedtls_x509_crt*>(o.own_chain), o.own_key);
            if (rc == 0 && !o.alpn.empty()) {
                for (const auto& p : o.alpn) alpn.push_back(p.c_str());
                alpn.push_back(nullptr);
                rc = mbedtls_ssl_conf_alpn_protocols(&conf, alpn.data());
            }
        }
        if (rc == 0) rc = mbedtls_ssl_setup(&ssl, &conf);
        // Without a hostname mbedTLS silently skips the name check (field notes): always set it.
        if (rc == 0) rc = mbedtls_ssl_set_hostname(&ssl, o.host.c_str());
        return rc;
    }

    int open_tcp(const ClientOptions& o) {
        const int rc = mbedtls_net_connect(&net, o.host.c_str(), std::to_string(o.port).c_str(), MBEDTLS_NET_PROTO_TCP);
        if (rc != 0) return rc;
        // Nagle holds back the client's second flight (field notes: ~40 ms per handshake).
        const int one = 1;
        ::setsockopt(net.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, nullptr, mbedtls_net_recv_timeout);
        return 0;
    }

    int handshake() {
        int rc;
        while ((rc = mbedtls_ssl_handshake(&ssl)) == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        }
        return rc;
    }
};

}  // namespace

struct Client::Impl {
    std::unique_ptr<Connection> conn;
};

Client::Client() : m_impl(std::make_unique<Impl>()) {}
Client::~Client() { close(); }

void Client::close() noexcept {
    if (m_impl->conn) {
        mbedtls_ssl_close_notify(&m_impl->conn->ssl);
        m_impl->conn.reset();
    }
}

namespace {

void set(Diagnosis& d, Failure f, std::string cause, std::string fix) {
    d.failure = f;
    d.cause = std::move(cause);
    d.fix = std::move(fix);
}

/// A second, permissive handshake that learns what the server wanted (suite and key type).
void probe_server(const ClientOptions& o, Diagnosis& d) {
    Connection probe;
    if (probe.setup(o, true) != 0 || probe.open_tcp(o) != 0) return;
    const int rc = probe.handshake();
    // The server may still refuse the probe (it has no client certificate) after sending its own.
    const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&probe.ssl);
    if (!peer && probe.ssl.session_negotiate) peer = probe.ssl.session_negotiate->peer_cert;
    if (peer && mbedtls_pk_get_type(&peer->pk) == MBEDTLS_PK_RSA) {
        set(d, Failure::server_cert_rsa, "the server's certificate is RSA; this client offers only ECDSA suites for the chip's EC key",
            "give the broker an ECDSA (P-256/P-384) certificate, e.g. from `sebind pki dev`");
        return;
    }
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
        const char* suite = peer && probe.ssl.session_negotiate
                                ? mbedtls_ssl_get_ciphersuite_name(probe.ssl.session_negotiate->ciphersuite)
                                : (rc == 0 ? mbedtls_ssl_get_ciphersuite(&probe.ssl) : nullptr);
        set(d, Failure::no_shared_cipher,
            std::string("no cipher suite in common: the server ") + (suite ? std::string("chose ") + suite : "accepted none of ours"),
            "allow an ECDHE-ECDSA AES-GCM suite on the server (e.g. ECDHE-ECDSA-AES128-GCM-SHA256)");
    }
}

void diagnose(const ClientOptions& o, Connection& c, int rc, Diagnosis& d) {
    d = Diagnosis{};
    d.stack_error = rc;
    const std::string where = o.host + ":" + std::to_string(o.port);
    if (o.own_key) {
        const Status chip = se_key_last_error(*o.own_key);
        if (!chip.ok()) {
            set(d, Failure::chip_error, std::string("the secure element failed while signing (") + to_string(chip.code()) + ")",
                "check the chip with `sebind info`; a busy chip needs a longer timeout, a faulty one a power cycle");
            return;
        }
    }
    switch (rc) {
        case MBEDTLS_ERR_NET_CONNECT_FAILED:
        case MBEDTLS_ERR_NET_SOCKET_FAILED:
            set(d, Failure::not_listening, "nothing accepts connections on " + where, "start the broker, or check --host and --port");
            return;
        case MBEDTLS_ERR_NET_UNKNOWN_HOST:
            set(d, Failure::unknown_host, "cannot resolve '" + o.host + "'", "use a name the device can resolve (e.g. localhost)");
            return;
        case MBEDTLS_ERR_SSL_TIMEOUT:
            set(d, Failure::timeout, "no answer from " + where + " within " + std::to_string(o.timeout_ms) + " ms",
                "check the port speaks TLS and the network path");
            return;
        default: break;
    }
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        d.verify_flags = mbedtls_ssl_get_verify_result(&c.ssl);
        // The failed handshake's certificate is still in the session being negotiated.
        const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&c.ssl);
        if (!peer && c.ssl.session_negotiate) peer = c.ssl.session_negotiate->peer_cert;
        char issuer[256] = "?";
        if (peer) mbedtls_x509_dn_gets(issuer, sizeof issuer, &peer->issuer);
        if (d.verify_flags & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)) {
            set(d, Failure::server_cert_expired,
                "the server's certificate is outside its validity (until " + (peer ? x509_date(peer->valid_to) : std::string("?")) + ")",
                "renew the broker's certificate (or check the device clock)");
        } else if (d.verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
            set(d, Failure::untrusted_server, std::string("the server's certificate (issuer ") + issuer + ") is not signed by the CA in " + o.ca_file,
                "pass the CA that issued the broker's certificate with --ca");
        } else if (d.verify_flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
            set(d, Failure::hostname_mismatch, "the server's certificate is not issued for '" + o.host + "'",
                "connect by a DNS name in its subjectAltName (mbedTLS 2.28 ignores IP addresses there)");
        } else {
            set(d, Failure::untrusted_server, "the server's certificate does not verify", "check the broker's certificate chain and --ca");
        }
        return;
    }
    const bool sent_our_certificate = c.ssl.state > MBEDTLS_SSL_CLIENT_CERTIFICATE;
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && c.ssl.in_msg) d.alert = c.ssl.in_msg[1];
    if (sent_our_certificate && (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || rc == MBEDTLS_ERR_NET_CONN_RESET ||
                                 rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)) {
        set(d, Failure::client_cert_rejected,
            std::string("the server rejected our certificate") + (d.alert ? std::string(" (alert ") + alert_name(d.alert) + ")" : ""),
            "run `sebind verify-pair`, and check the broker trusts the CA that issued the device certificate");
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && d.alert == 40) {
        probe_server(o, d);
        if (d.failure != Failure::none) return;
    }
    char text[160];
    mbedtls_strerror(rc, text, sizeof text);
    set(d, Failure::protocol_error, std::string("TLS handshake failed: ") + text, "run with --verbose and check the broker's log");
}

}  // namespace

Result<HandshakeInfo> Client::connect(const ClientOptions& o, SessionCache* cache) {
    close();
    m_diagnosis = Diagnosis{};
    auto conn = std::make_unique<Connection>();
    HandshakeInfo info;
    int rc = conn->setup(o, false);
    if (rc != 0) {
        char text[160];
        mbedtls_strerror(rc, text, sizeof text);
        set(m_diagnosis, Failure::protocol_error, std::string("cannot set up TLS: ") + text, "check --ca (a PEM file) and the client certificate");
        m_diagnosis.stack_error = rc;
        return Errc::invalid_argument;
    }
    const bool offered = cache && cache->valid();
    if (offered) mbedtls_ssl_set_session(&conn->ssl, &cache->m_impl->session);
    const std::uint32_t signatures_before = o.own_key ? se_key_signatures(*o.own_key) : 0;
    const std::uint32_t t0 = now_ms();
    rc = conn->open_tcp(o);
    const std::uint32_t t1 = now_ms();
    if (rc == 0) rc = conn->handshake();
    const std::uint32_t t2 = now_ms();
    if (rc != 0) {
        diagnose(o, *conn, rc, m_diagnosis);
        if (cache) cache->clear();
        return m_diagnosis.failure == Failure::not_listening ? Errc::communication_failure : Errc::not_permitted;
    }
    info.tcp_ms = t1 - t0;
    info.handshake_ms = t2 - t1;
    info.stack = "mbedtls " MBEDTLS_VERSION_STRING;
    info.version = mbedtls_ssl_get_version(&conn->ssl);
    info.ciphersuite = mbedtls_ssl_get_ciphersuite(&conn->ssl);
    info.chip_signatures = o.own_key ? se_key_signatures(*o.own_key) - signatures_before : 0;
    // A resumed handshake sends no CertificateVerify: no chip signature.
    info.resumed = offered && o.own_key && is_se_key(*o.own_key) && info.chip_signatures == 0;
    if (const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&conn->ssl)) {
        char buf[256];
        mbedtls_x509_dn_gets(buf, sizeof buf, &peer->subject);
        info.server_subject = buf;
        mbedtls_x509_dn_gets(buf, sizeof buf, &peer->issuer);
        info.server_issuer = buf;
        info.server_not_after = x509_date(peer->valid_to);
    }
    if (cache) {
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
    // Decrypted bytes already buffered need no socket; otherwise wait for the next record to start.
    if (mbedtls_ssl_get_bytes_avail(&c.ssl) == 0 && !mbedtls_ssl_check_pending(&c.ssl)) {
        pollfd p{c.net.fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(wait_ms));
        if (r == 0) return Errc::timeout;
        if (r < 0) return Errc::communication_failure;
    }
    return read(out);
}

}  // namespace sebind::tls
