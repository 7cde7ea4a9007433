// SPDX-License-Identifier: Apache-2.0
// ClientContext: the configuration, trusted CAs and DRBG that connections to one server share;
// and the per-connection setup (socket, SSL context) on top of it.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <mbedtls/error.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "client_internal.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/tls/host_name.hpp"
#include "sebind/tls/pem_file.hpp"

namespace sebind::tls_mbedtls {

using namespace tls;           // the stack-neutral report, diagnoses, TCP connect and host-name rule
using namespace mbedtls_util;  // the chip key as an mbedtls_pk_context, the curve mapping

namespace {

// The chip key is EC and signs our CertificateVerify whatever the server's key is: ECDHE-ECDSA
// suites for ECDSA servers, ECDHE-RSA ones for servers with RSA certificates (the server signs its
// key exchange with RSA; we verify it). AEAD first. No static RSA key exchange: it has no forward
// secrecy, and such a server is diagnosed as that.
const int kSuites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                       MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                       MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                       MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                       MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                       MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                       MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
                       MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
                       0};
// X25519 and P-256 first: the library default starts with P-521, which servers that honour the
// client's order then pay for (field notes).
const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
                                        MBEDTLS_ECP_DP_BP256R1,    MBEDTLS_ECP_DP_BP384R1,   MBEDTLS_ECP_DP_NONE};
// ECDHE on the chip: only the A110's curves (§5.2), P-256 first (fastest on the chip and common).
const mbedtls_ecp_group_id kChipCurves[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_BP256R1,
                                            MBEDTLS_ECP_DP_BP384R1, MBEDTLS_ECP_DP_NONE};

/// Stands in for the entropy source of a one-shot context once its entropy context is freed: a
/// reseed then fails cleanly instead of reading freed memory. With the reseed interval at INT_MAX
/// it is never reached (a connection makes nowhere near 2^31 DRBG requests; SP 800-90A allows
/// 2^48 between reseeds for CTR_DRBG).
int no_entropy(void*, unsigned char*, std::size_t) { return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED; }

}  // namespace

bool load_certificate_file(const std::string& what, const std::string& path, mbedtls_x509_crt& into, Diagnosis& d) {
    const PemCertificates file = read_pem_certificates(path);
    if (file.failure != Failure::none) {
        diagnoses::bad_certificate_file(d, what, path, file.failure, file.reason, file.fix);
        return false;
    }
    for (std::size_t i = 0; i < file.der.size(); ++i) {
        if (const int rc = mbedtls_x509_crt_parse_der(&into, file.der[i].data(), file.der[i].size()); rc != 0) {
            char text[160];
            mbedtls_strerror(rc, text, sizeof text);
            diagnoses::bad_certificate_file(
                d, what, path, Failure::file_invalid,
                "certificate " + std::to_string(i + 1) + " in it does not parse (" + text + ")",
                "export the certificate again");
            d.stack_error = rc;
            return false;
        }
    }
    return true;
}

bool append_chain_file(const std::string& path, mbedtls_x509_crt& chain, Diagnosis& d) {
    mbedtls_x509_crt file;
    mbedtls_x509_crt_init(&file);
    bool ok = load_certificate_file("chain file", path, file, d);
    for (const mbedtls_x509_crt* c = &file; ok && c != nullptr && c->raw.p != nullptr; c = c->next) {
        const bool leaf = c->raw.len == chain.raw.len && chain.raw.p != nullptr &&
                          std::memcmp(c->raw.p, chain.raw.p, c->raw.len) == 0;
        if (!leaf && mbedtls_x509_crt_parse_der(&chain, c->raw.p, c->raw.len) != 0) {
            set_diagnosis(d, Failure::file_invalid, "cannot add the chain file " + path + " to the device certificate",
                          "check the file");
            ok = false;
        }
    }
    mbedtls_x509_crt_free(&file);
    return ok;
}

ClientContext::Impl::Impl() {
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&ca);
    mbedtls_ctr_drbg_init(&drbg);
}

ClientContext::Impl::~Impl() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_ctr_drbg_free(&drbg);
    if (entropy) mbedtls_entropy_free(entropy.get());
}

Status ClientContext::Impl::setup(const ClientOptions& o, bool probe, bool keep_entropy, Diagnosis& d) {
    options = o;
    if (options.chip_ecdhe && !probe) {
        stsafe::Device* device = options.own_key ? se_key_device(*options.own_key) : nullptr;
        if (!device) {
            set_diagnosis(d, Failure::not_supported, "ECDHE on the chip needs the chip's key as the client key",
                          "set own_key with mbedtls_util::setup_se_key, or turn chip_ecdhe off");
            return Status(Errc::not_supported);
        }
        if (!chip_ecdhe_available()) {
            set_diagnosis(d, Failure::not_supported, "this program's mbedTLS ECDH cannot reach the chip",
                          "link sebind::tls_mbedtls_ecdhe_hook into the executable, with mbedTLS as a shared library");
            return Status(Errc::not_supported);
        }
        ecdhe.device = device;
    }
    // The entropy context is the single largest object of a client (see client_internal.hpp):
    // allocated on its own, and for a one-shot context freed as soon as the DRBG is seeded, before
    // the record buffers exist, so it never adds to a handshake's peak.
    entropy = std::make_unique<mbedtls_entropy_context>();
    mbedtls_entropy_init(entropy.get());
    int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, entropy.get(), nullptr, 0);
    if (!keep_entropy) {
        mbedtls_ctr_drbg_set_reseed_interval(&drbg, INT_MAX);
        drbg.f_entropy = no_entropy;
        drbg.p_entropy = nullptr;
        mbedtls_entropy_free(entropy.get());
        entropy.reset();
    }
    if (rc == 0 && !probe && !load_certificate_file("CA file", options.ca_file, ca, d))
        return Status(Errc::invalid_argument);
    if (rc == 0)
        rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0) {
        if (ecdhe.device) {
            ecdhe.f_rng = mbedtls_ctr_drbg_random;
            ecdhe.p_rng = &drbg;
            mbedtls_ssl_conf_rng(&conf, chip_ecdhe_rng, &ecdhe);
            mbedtls_ssl_conf_curves(&conf, kChipCurves);
        } else {
            mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
            mbedtls_ssl_conf_curves(&conf, kCurves);
        }
        mbedtls_ssl_conf_read_timeout(&conf, options.timeout_ms);
        mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_session_tickets(&conf, options.session_tickets ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                                        : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
        // No max_fragment_length request: Debian's build lacks MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH,
        // so the record buffers stay 16 KB whatever is negotiated and the extension would save
        // nothing here (docs/tls-mbedtls.md, "Memory").
    }
    if (rc == 0 && probe) {
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
    } else if (rc == 0) {
        mbedtls_ssl_conf_ciphersuites(&conf, kSuites);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
        if (options.own_key && options.own_chain)
            rc = mbedtls_ssl_conf_own_cert(&conf, const_cast<mbedtls_x509_crt*>(options.own_chain), options.own_key);
        if (rc == 0 && !options.alpn.empty()) {
            for (const auto& p : options.alpn) alpn.push_back(p.c_str());
            alpn.push_back(nullptr);
            rc = mbedtls_ssl_conf_alpn_protocols(&conf, alpn.data());
        }
    }
    if (rc != 0) {
        set_stack_failure(d, rc, "cannot set up TLS", "check --ca (a PEM file) and the client certificate");
        return Status(Errc::invalid_argument);
    }
    ready = true;
    return Status::success();
}

/// At the server's leaf certificate (depth 0): remembers it for the diagnosis, and replaces
/// mbedTLS's own name verdict with the rule both stacks share (tls/host_name.hpp).
static int verify_leaf(void* ctx, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
    if (depth != 0) return 0;
    auto* c = static_cast<Connection*>(ctx);
    char issuer[256];
    if (mbedtls_x509_dn_gets(issuer, sizeof issuer, &crt->issuer) > 0) c->peer_issuer = issuer;
    c->peer_valid_from = crt->valid_from;
    c->peer_valid_to = crt->valid_to;
    c->peer_seen = true;
    *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_CN_MISMATCH);
    if (!certificate_names_host(certificate_names(*crt), c->host)) *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

int Connection::setup(const ClientContext::Impl& context) {
    host = context.options.host;
    int rc = mbedtls_ssl_setup(&ssl, &context.conf);
    if (rc == 0) mbedtls_ssl_set_verify(&ssl, verify_leaf, this);
    // SNI (RFC 6066 §3: names only, never IP literals). The name check itself is verify_leaf's.
    if (rc == 0 && !is_ip_literal(host)) rc = mbedtls_ssl_set_hostname(&ssl, host.c_str());
    return rc;
}

/// mbedtls_net_send with MSG_NOSIGNAL: a broker that went away must fail the write with EPIPE,
/// not kill the device's process with SIGPIPE.
static int send_nosignal(void* ctx, const unsigned char* buf, std::size_t len) {
    const int fd = static_cast<mbedtls_net_context*>(ctx)->fd;
    const ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (errno == EPIPE || errno == ECONNRESET) return MBEDTLS_ERR_NET_CONN_RESET;
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

/// mbedtls_net_recv_timeout's contract (timeout 0 = wait for ever; MBEDTLS_ERR_SSL_TIMEOUT) over
/// the read-ahead buffer.
static int recv_ahead(void* ctx, unsigned char* buf, std::size_t len, std::uint32_t timeout_ms) {
    auto* c = static_cast<Connection*>(ctx);
    if (!c->has_ahead()) {
        int wait_ms = timeout_ms == 0 ? -1 : static_cast<int>(std::min<std::uint32_t>(timeout_ms, INT_MAX));
        if (c->has_deadline) {
            // Checked before reading too: a peer that keeps a byte coming never lets poll time out.
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c->deadline -
                                                                                    std::chrono::steady_clock::now())
                                  .count();
            if (left <= 0) return MBEDTLS_ERR_SSL_TIMEOUT;
            if (wait_ms < 0 || left < wait_ms) wait_ms = static_cast<int>(left);
        }
        const bool direct = len >= sizeof c->ahead;
        unsigned char* into = direct ? buf : c->ahead;
        const std::size_t room = direct ? len : sizeof c->ahead;
        ssize_t n = ::recv(c->net.fd, into, room, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{c->net.fd, POLLIN, 0};
            const int r = ::poll(&p, 1, wait_ms);
            if (r == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
            if (r < 0) return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
            n = ::recv(c->net.fd, into, room, MSG_DONTWAIT);
        }
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
            if (errno == ECONNRESET || errno == EPIPE) return MBEDTLS_ERR_NET_CONN_RESET;
            return MBEDTLS_ERR_NET_RECV_FAILED;
        }
        if (direct) return static_cast<int>(n);
        c->ahead_off = 0;
        c->ahead_len = static_cast<std::size_t>(n);
    }
    const std::size_t k = std::min(len, c->ahead_len - c->ahead_off);
    std::memcpy(buf, c->ahead + c->ahead_off, k);
    c->ahead_off += k;
    return static_cast<int>(k);
}

static int send_on_connection(void* ctx, const unsigned char* buf, std::size_t len) {
    return send_nosignal(&static_cast<Connection*>(ctx)->net, buf, len);
}

int Connection::open_tcp(const ClientOptions& o) {
    // Not mbedtls_net_connect: it has no timeout, and its one error code hides why it failed.
    const TcpConnection tcp = tcp_connect(o.connect_address.empty() ? o.host : o.connect_address, o.port, o.timeout_ms,
                                          false);
    tcp_error = tcp.error;
    resolver_error = tcp.resolver_error;
    if (tcp.error != TcpError::none) return MBEDTLS_ERR_NET_CONNECT_FAILED;
    net.fd = tcp.fd;
    ahead_off = ahead_len = 0;
    mbedtls_ssl_set_bio(&ssl, this, send_on_connection, nullptr, recv_ahead);
    return 0;
}

int Connection::handshake(std::chrono::steady_clock::time_point until) {
    deadline = until;
    has_deadline = true;
    int rc;
    while ((rc = mbedtls_ssl_handshake(&ssl)) == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        if (std::chrono::steady_clock::now() >= deadline) {
            rc = MBEDTLS_ERR_SSL_TIMEOUT;
            break;
        }
    }
    has_deadline = false;  // afterwards each read has its own wait
    return rc;
}

ClientContext::ClientContext() : m_impl(std::make_unique<Impl>()) {}
ClientContext::~ClientContext() = default;

Status ClientContext::setup(const ClientOptions& options, Diagnosis* diagnosis) {
    m_impl = std::make_unique<Impl>();
    Diagnosis d;
    const Status s = m_impl->setup(options, false, true, d);
    if (diagnosis) *diagnosis = d;
    return s;
}

bool ClientContext::ready() const noexcept { return m_impl->ready; }

const ClientOptions& ClientContext::options() const noexcept { return m_impl->options; }

}  // namespace sebind::tls_mbedtls
