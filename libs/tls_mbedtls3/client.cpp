// SPDX-License-Identifier: Apache-2.0
// The Mbed TLS 3.6 client: one configuration and SSL context per connection, the chip's key as
// an opaque PSA key, PSA's random generator (no entropy or DRBG context of our own).
#include "sebind/tls_mbedtls3/client.hpp"

#include <chrono>
#include <climits>
#include <cstring>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/version.h>
#include <psa/crypto.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "psa_random.hpp"
#include "sebind/host/clock.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/psa_stsafe/driver.hpp"
#include "sebind/tls/host_name.hpp"
#include "sebind/tls/pem_file.hpp"
#include "sebind/tls/tcp.hpp"

namespace sebind::tls_mbedtls3 {

using tls::Diagnosis;
using tls::Failure;
namespace diagnoses = tls::diagnoses;

namespace {

// AEAD only; the chip key is EC: ECDHE-ECDSA for ECDSA servers, ECDHE-RSA for RSA ones (we only
// verify RSA). TLS 1.3 suites in the same list (Mbed TLS 3.6 takes one list for both).
const int kSuites[] = {MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
                       MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
                       MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                       MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                       MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                       MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                       0};
const std::uint16_t kGroups[] = {MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
                                 MBEDTLS_SSL_IANA_TLS_GROUP_NONE};

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
    ClientOptions options;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_x509_crt ca;
    std::vector<const char*> alpn;
    int fd = -1;
    bool connected = false;
    SessionCache* cache = nullptr;
    std::chrono::steady_clock::time_point deadline{};
    bool has_deadline = false;
    // What the verify callback saw of the server's leaf certificate, for the diagnosis.
    std::string peer_issuer;
    mbedtls_x509_time peer_valid_from{}, peer_valid_to{};
    bool peer_seen = false;
    bool sent_certificate = false;
    tls::TcpError tcp_error = tls::TcpError::none;
    int resolver_error = 0;

    Impl() {
        mbedtls_ssl_config_init(&conf);
        mbedtls_ssl_init(&ssl);
        mbedtls_x509_crt_init(&ca);
    }
    ~Impl() {
        mbedtls_ssl_free(&ssl);
        mbedtls_ssl_config_free(&conf);
        mbedtls_x509_crt_free(&ca);
        if (fd >= 0) ::close(fd);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    int setup(Diagnosis& d);
    void save_session();
    int handshake();
    int await_verdict(std::chrono::steady_clock::time_point until);
    void diagnose(int rc, Diagnosis& d);

    // BIO over the socket: MSG_NOSIGNAL (a broker gone is EPIPE, not SIGPIPE), and reads that wait
    // at most the read timeout and never past the handshake's deadline.
    static int send_cb(void* ctx, const unsigned char* buf, std::size_t len) {
        const ssize_t n = ::send(static_cast<Impl*>(ctx)->fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0) return static_cast<int>(n);
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
        if (errno == EPIPE || errno == ECONNRESET) return MBEDTLS_ERR_NET_CONN_RESET;
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
    static int recv_cb(void* ctx, unsigned char* buf, std::size_t len, std::uint32_t timeout_ms) {
        auto* c = static_cast<Impl*>(ctx);
        int wait_ms = timeout_ms == 0 ? -1 : static_cast<int>(std::min<std::uint32_t>(timeout_ms, INT_MAX));
        if (c->has_deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c->deadline -
                                                                                    std::chrono::steady_clock::now())
                                  .count();
            if (left <= 0) return MBEDTLS_ERR_SSL_TIMEOUT;
            if (wait_ms < 0 || left < wait_ms) wait_ms = static_cast<int>(left);
        }
        pollfd p{c->fd, POLLIN, 0};
        const int r = ::poll(&p, 1, wait_ms);
        if (r == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
        if (r < 0) return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
        const ssize_t n = ::recv(c->fd, buf, len, MSG_DONTWAIT);
        if (n >= 0) return static_cast<int>(n);
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
        if (errno == ECONNRESET || errno == EPIPE) return MBEDTLS_ERR_NET_CONN_RESET;
        return MBEDTLS_ERR_NET_RECV_FAILED;
    }
    /// At the server's leaf: remembers it for the diagnosis, and applies the host name rule both
    /// stacks share (tls/host_name.hpp) instead of Mbed TLS's own.
    static int verify_cb(void* ctx, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
        if (depth != 0) return 0;
        auto* c = static_cast<Impl*>(ctx);
        char issuer[256];
        if (mbedtls_x509_dn_gets(issuer, sizeof issuer, &crt->issuer) > 0) c->peer_issuer = issuer;
        c->peer_valid_from = crt->valid_from;
        c->peer_valid_to = crt->valid_to;
        c->peer_seen = true;
        *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_CN_MISMATCH);
        if (!tls::certificate_names_host(mbedtls_util::certificate_names(*crt), c->options.host))
            *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
        return 0;
    }
};

int Client::Impl::setup(Diagnosis& d) {
    const tls::PemCertificates file = tls::read_pem_certificates(options.ca_file);
    if (file.failure != Failure::none) {
        tls::diagnoses::bad_certificate_file(d, "CA file", options.ca_file, file.failure, file.reason, file.fix);
        return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
    }
    int rc = 0;
    for (const auto& der : file.der)
        if (rc == 0) rc = mbedtls_x509_crt_parse_der(&ca, der.data(), der.size());
    if (rc == 0)
        rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0) return rc;
    mbedtls_ssl_conf_rng(&conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
    mbedtls_ssl_conf_min_tls_version(
        &conf, options.versions == TlsVersions::tls13 ? MBEDTLS_SSL_VERSION_TLS1_3 : MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(
        &conf, options.versions == TlsVersions::tls12 ? MBEDTLS_SSL_VERSION_TLS1_2 : MBEDTLS_SSL_VERSION_TLS1_3);
    mbedtls_ssl_conf_ciphersuites(&conf, kSuites);
    mbedtls_ssl_conf_groups(&conf, kGroups);
    mbedtls_ssl_conf_read_timeout(&conf, options.timeout_ms);
    mbedtls_ssl_conf_session_tickets(
        &conf, options.session_tickets ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    // TLS 1.3 tickets come after the handshake; a read then reports them so they can be kept.
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(&conf,
                                                             MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
    if (options.own_key && options.own_chain)
        rc = mbedtls_ssl_conf_own_cert(&conf, const_cast<mbedtls_x509_crt*>(options.own_chain), options.own_key);
    if (rc == 0 && !options.alpn.empty()) {
        for (const auto& p : options.alpn) alpn.push_back(p.c_str());
        alpn.push_back(nullptr);
        rc = mbedtls_ssl_conf_alpn_protocols(&conf, alpn.data());
    }
    if (rc == 0) rc = mbedtls_ssl_setup(&ssl, &conf);
    if (rc == 0) mbedtls_ssl_set_verify(&ssl, verify_cb, this);
    // SNI for names only (RFC 6066 §3); the name check itself is verify_cb's. For an IP literal
    // Mbed TLS is told explicitly that it has no name to check (it refuses to verify otherwise).
    if (rc == 0) rc = mbedtls_ssl_set_hostname(&ssl, tls::is_ip_literal(options.host) ? nullptr : options.host.c_str());
    return rc;
}

int Client::Impl::handshake() {
    has_deadline = true;
    int rc;
    while ((rc = mbedtls_ssl_handshake(&ssl)) == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE ||
           rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
        if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) save_session();
        if (std::chrono::steady_clock::now() >= deadline) {
            rc = MBEDTLS_ERR_SSL_TIMEOUT;
            break;
        }
    }
    has_deadline = false;  // afterwards each read has its own wait
    return rc;
}

/// TLS 1.3 (RFC 8446 §4.4.2): the server judges our certificate after our Finished, when the
/// handshake has already returned. Waits until `until` for the server's first record: a ticket or
/// application data (kept for read) is acceptance, an alert or a close is its refusal (returned).
/// No record in time counts as acceptance.
int Client::Impl::await_verdict(std::chrono::steady_clock::time_point until) {
    deadline = until;
    has_deadline = true;
    unsigned char none[1];
    int rc;
    do {
        rc = mbedtls_ssl_read(&ssl, none, 0);  // length 0: application data stays for read()
        if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) save_session();
    } while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
    has_deadline = false;
    return rc >= 0 || rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET || rc == MBEDTLS_ERR_SSL_TIMEOUT ? 0 : rc;
}

void Client::Impl::save_session() {
    if (!cache) return;
    cache->clear();
    cache->m_valid = mbedtls_ssl_get_session(&ssl, &cache->m_impl->session) == 0;
}

void Client::Impl::diagnose(int rc, Diagnosis& d) {
    d = Diagnosis{};
    d.stack_error = rc;
    const ClientOptions& o = options;
    const std::string where = o.host + ":" + std::to_string(o.port);
    if (o.chip_slot) {
        if (const Status chip = psa_stsafe::last_error(*o.chip_slot); !chip.ok()) {
            diagnoses::chip_failed_signing(d, to_string(chip.code()));
            return;
        }
    }
    if (tcp_error != tls::TcpError::none) {
        const std::string& dialled = o.connect_address.empty() ? o.host : o.connect_address;
        diagnoses::tcp_failure(d, tcp_error, dialled, dialled + ":" + std::to_string(o.port), o.timeout_ms,
                               resolver_error);
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_TIMEOUT) {
        set_diagnosis(d, Failure::timeout,
                      "no answer from " + where + " within " + std::to_string(o.timeout_ms) + " ms",
                      "check the port speaks TLS and the network path");
        return;
    }
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        d.verify_flags = mbedtls_ssl_get_verify_result(&ssl);
        if (d.verify_flags & MBEDTLS_X509_BADCERT_EXPIRED) {
            diagnoses::server_cert_expired(d, peer_seen ? mbedtls_util::iso_date(peer_valid_to) : "?");
        } else if (d.verify_flags & MBEDTLS_X509_BADCERT_FUTURE) {
            diagnoses::server_cert_not_yet_valid(d, peer_seen ? mbedtls_util::iso_date(peer_valid_from) : "?");
        } else if (d.verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
            diagnoses::untrusted_server(d, peer_issuer.empty() ? "?" : peer_issuer, o.ca_file);
        } else if (d.verify_flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
            diagnoses::hostname_mismatch(d, o.host);
        } else {
            set_diagnosis(d, Failure::untrusted_server, "the server's certificate does not verify",
                          "check the broker's certificate chain and --ca");
        }
        return;
    }
    // The received alert: Mbed TLS 3.6 has no accessor; the record is still in the input buffer.
    const unsigned char* in = ssl.MBEDTLS_PRIVATE(in_msg);
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && in != nullptr) d.alert = in[1];
    // The chip signed our CertificateVerify: the server ended the handshake after seeing our
    // certificate (TLS 1.3 servers say so after the client's Finished, often with a plain close).
    if (sent_certificate && (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || rc == MBEDTLS_ERR_NET_CONN_RESET ||
                             rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)) {
        diagnoses::client_cert_rejected(d, d.alert ? tls::alert_name(d.alert) : "");
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && d.alert == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION) {
        diagnoses::no_common_version(d, o.versions == TlsVersions::tls12   ? diagnoses::Offered::tls12
                                        : o.versions == TlsVersions::tls13 ? diagnoses::Offered::tls13
                                                                           : diagnoses::Offered::tls12_and_13);
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && d.alert == MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL &&
        !o.alpn.empty()) {
        diagnoses::alpn_refused(d, o.alpn);
        d.alert = MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL;
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && d.alert == MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE) {
        diagnoses::no_shared_ecdhe_suite(d, nullptr, true);
        d.alert = MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE;
        return;
    }
    char text[160];
    mbedtls_strerror(rc, text, sizeof text);
    set_diagnosis(d, Failure::protocol_error, std::string("TLS handshake failed: ") + text,
                  "run with --verbose and check the broker's log");
    d.stack_error = rc;
}

Client::Client() : m_impl(nullptr) {}
Client::~Client() { close(); }

void Client::close() noexcept {
    if (m_impl && m_impl->connected) mbedtls_ssl_close_notify(&m_impl->ssl);
    m_impl.reset();
}

Result<tls::HandshakeInfo> Client::connect(const ClientOptions& o, SessionCache* cache) {
    close();
    m_diagnosis = Diagnosis{};
    if (psa_crypto_init() != PSA_SUCCESS) {
        set_diagnosis(m_diagnosis, Failure::not_supported, "PSA crypto does not start",
                      "check the entropy source of this build");
        return Errc::not_supported;
    }
    auto c = std::make_unique<Impl>();
    c->options = o;
    if (const int rc = c->setup(m_diagnosis); rc != 0) {
        if (m_diagnosis.failure == Failure::none) {
            char text[160];
            mbedtls_strerror(rc, text, sizeof text);
            set_diagnosis(m_diagnosis, Failure::protocol_error, std::string("cannot set up TLS: ") + text,
                          "check --ca (a PEM file) and the client certificate");
            m_diagnosis.stack_error = rc;
        }
        return Errc::invalid_argument;
    }
    const bool offered = cache && cache->valid();
    if (offered) mbedtls_ssl_set_session(&c->ssl, &cache->m_impl->session);
    c->cache = cache;
    const std::uint32_t signatures_before = o.chip_slot ? psa_stsafe::signatures(*o.chip_slot) : 0;
    c->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms);
    const std::uint32_t t0 = host::monotonic_ms();
    const tls::TcpConnection tcp = tls::tcp_connect(o.connect_address.empty() ? o.host : o.connect_address, o.port,
                                                    o.timeout_ms, false);
    const std::uint32_t t1 = host::monotonic_ms();
    c->tcp_error = tcp.error;
    c->resolver_error = tcp.resolver_error;
    int rc = MBEDTLS_ERR_NET_CONNECT_FAILED;
    if (tcp.error == tls::TcpError::none) {
        c->fd = tcp.fd;
        mbedtls_ssl_set_bio(&c->ssl, c.get(), Impl::send_cb, nullptr, Impl::recv_cb);
        rc = c->handshake();
    }
    const std::uint32_t t2 = host::monotonic_ms();
    const std::uint32_t signatures = o.chip_slot ? psa_stsafe::signatures(*o.chip_slot) - signatures_before : 0;
    if (rc != 0) {
        c->sent_certificate = signatures > 0;
        c->diagnose(rc, m_diagnosis);
        if (cache) cache->clear();
        if (c->tcp_error != tls::TcpError::none) return Errc::communication_failure;
        return m_diagnosis.failure == Failure::timeout ? Errc::timeout : Errc::not_permitted;
    }
    // A full TLS 1.3 handshake that sent our certificate is good only once the server shows it
    // accepted us; a server that says nothing is not waited for beyond the larger of 1 s and twice
    // the handshake so far, nor past the deadline.
    const bool resumed = offered && o.chip_slot && signatures == 0;
    if (mbedtls_ssl_get_version_number(&c->ssl) == MBEDTLS_SSL_VERSION_TLS1_3 && signatures > 0 && !resumed) {
        const auto bound = std::chrono::steady_clock::now() +
                           std::chrono::milliseconds(std::max<std::uint32_t>(1000, 2 * (host::monotonic_ms() - t1)));
        rc = c->await_verdict(std::min(bound, c->deadline));
        if (rc != 0) {
            c->sent_certificate = true;
            c->diagnose(rc, m_diagnosis);
            if (cache) cache->clear();
            return Errc::not_permitted;
        }
    }
    tls::HandshakeInfo info;
    info.tcp_ms = t1 - t0;
    info.handshake_ms = t2 - t1;
    info.stack = "mbedtls " MBEDTLS_VERSION_STRING;
    info.version = mbedtls_ssl_get_version(&c->ssl);
    info.ciphersuite = mbedtls_ssl_get_ciphersuite(&c->ssl);
    if (const char* p = mbedtls_ssl_get_alpn_protocol(&c->ssl)) info.alpn = p;
    info.chip_signatures = signatures;
    // A resumed handshake sends no CertificateVerify: no chip signature.
    info.resumed = resumed;
    if (const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&c->ssl)) {
        char buf[256];
        mbedtls_x509_dn_gets(buf, sizeof buf, &peer->subject);
        info.server_subject = buf;
        mbedtls_x509_dn_gets(buf, sizeof buf, &peer->issuer);
        info.server_issuer = buf;
        info.server_not_after = mbedtls_util::iso_date(peer->valid_to);
    }
    // TLS 1.2: the session (ticket or id) is complete now; TLS 1.3 tickets arrive with reads.
    if (mbedtls_ssl_get_version_number(&c->ssl) == MBEDTLS_SSL_VERSION_TLS1_2 && !info.resumed) c->save_session();
    c->connected = true;
    m_impl = std::move(c);
    return info;
}

Status Client::write(Bytes data) {
    if (!m_impl) return Status(Errc::communication_failure);
    std::size_t done = 0;
    while (done < data.size()) {
        const int n = mbedtls_ssl_write(&m_impl->ssl, data.data() + done, data.size() - done);
        if (n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_WANT_READ) continue;
        if (n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            m_impl->save_session();
            continue;
        }
        if (n <= 0) return Status(Errc::communication_failure);
        done += static_cast<std::size_t>(n);
    }
    return Status();
}

Result<std::size_t> Client::read(MutableBytes out, std::uint32_t wait_ms) {
    if (!m_impl) return Errc::communication_failure;
    Impl& c = *m_impl;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
        // Decrypted bytes need no socket; otherwise wait for the next record to start.
        if (mbedtls_ssl_get_bytes_avail(&c.ssl) == 0 && !mbedtls_ssl_check_pending(&c.ssl)) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
            pollfd p{c.fd, POLLIN, 0};
            const int r = ::poll(&p, 1, left > 0 ? static_cast<int>(left) : 0);
            if (r == 0) return Errc::timeout;
            if (r < 0) return Errc::communication_failure;
        }
        const int n = mbedtls_ssl_read(&c.ssl, out.data(), out.size());
        if (n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            c.save_session();  // a TLS 1.3 ticket: the next connection resumes with it
            continue;
        }
        if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
        if (n == MBEDTLS_ERR_SSL_TIMEOUT) return Errc::timeout;
        if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == 0) return std::size_t{0};
        if (n < 0) return Errc::communication_failure;
        return static_cast<std::size_t>(n);
    }
}

}  // namespace sebind::tls_mbedtls3
