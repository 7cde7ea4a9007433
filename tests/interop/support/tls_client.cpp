// SPDX-License-Identifier: Apache-2.0
// The interop tests' mbedTLS 2.28 client: the settings the field notes say a real device needs.
#include "tls_client.hpp"

#include <algorithm>
#include <cstdio>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace sebind::test {

struct TlsClient::Impl {
    TlsClientOptions options;
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca, own;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    std::vector<int> suites;
    bool open = false;
    std::string ciphersuite, error;

    explicit Impl(const TlsClientOptions& o) : options(o) {
        mbedtls_net_init(&net);
        mbedtls_ssl_init(&ssl);
        mbedtls_ssl_config_init(&conf);
        mbedtls_x509_crt_init(&ca);
        mbedtls_x509_crt_init(&own);
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
    }
    ~Impl() {
        mbedtls_net_free(&net);
        mbedtls_ssl_free(&ssl);
        mbedtls_ssl_config_free(&conf);
        mbedtls_x509_crt_free(&ca);
        mbedtls_x509_crt_free(&own);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
    }

    void explain(int rc, const std::string& step) {
        char text[256];
        mbedtls_strerror(rc, text, sizeof text);
        char code[32];
        std::snprintf(code, sizeof code, " (-0x%04X)", static_cast<unsigned>(-rc));
        error = step + ": " + text + code;
        const std::uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);
        if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != static_cast<std::uint32_t>(-1)) {
            char info[512];
            mbedtls_x509_crt_verify_info(info, sizeof info, "; ", flags);
            error += " —";
            error += info;
        }
    }
};

TlsClient::TlsClient(const TlsClientOptions& options) : m_impl(std::make_unique<Impl>(options)) {}

TlsClient::~TlsClient() { close(); }

int TlsClient::connect() {
    Impl& m = *m_impl;
    const TlsClientOptions& o = m.options;
    // Without an explicit list mbedTLS 2.28 offers P-521 first and openssl s_server honours the
    // client's order (field notes).
    static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                                  MBEDTLS_ECP_DP_SECP384R1,  MBEDTLS_ECP_DP_BP256R1,
                                                  MBEDTLS_ECP_DP_BP384R1,    MBEDTLS_ECP_DP_NONE};
    int rc = mbedtls_ctr_drbg_seed(&m.drbg, mbedtls_entropy_func, &m.entropy, nullptr, 0);
    if (rc != 0) return m.explain(rc, "rng"), rc;
    if ((rc = mbedtls_x509_crt_parse_file(&m.ca, o.ca_file.c_str())) != 0)
        return m.explain(rc, "CA file " + o.ca_file), rc;
    if (!o.own_cert_der.empty() &&
        (rc = mbedtls_x509_crt_parse_der(&m.own, o.own_cert_der.data(), o.own_cert_der.size())) != 0)
        return m.explain(rc, "own certificate"), rc;
    if ((rc = mbedtls_ssl_config_defaults(&m.conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
        return m.explain(rc, "config"), rc;
    mbedtls_ssl_conf_rng(&m.conf, mbedtls_ctr_drbg_random, &m.drbg);
    mbedtls_ssl_conf_ca_chain(&m.conf, &m.ca, nullptr);
    mbedtls_ssl_conf_authmode(&m.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_curves(&m.conf, curves);
    mbedtls_ssl_conf_read_timeout(&m.conf, static_cast<std::uint32_t>(o.timeout_ms));
    if (!o.ciphersuites.empty()) {
        m.suites = o.ciphersuites;
        m.suites.push_back(0);
        mbedtls_ssl_conf_ciphersuites(&m.conf, m.suites.data());
    }
    if (o.own_key && (rc = mbedtls_ssl_conf_own_cert(&m.conf, &m.own, o.own_key)) != 0)
        return m.explain(rc, "own certificate"), rc;
    if ((rc = mbedtls_ssl_setup(&m.ssl, &m.conf)) != 0) return m.explain(rc, "setup"), rc;
    // Without a hostname mbedTLS silently skips the server name check (field notes).
    if ((rc = mbedtls_ssl_set_hostname(&m.ssl, o.host.c_str())) != 0) return m.explain(rc, "hostname"), rc;
    if ((rc = mbedtls_net_connect(&m.net, o.host.c_str(), std::to_string(o.port).c_str(), MBEDTLS_NET_PROTO_TCP)) != 0)
        return m.explain(rc, "connect"), rc;
    m.open = true;
    // Nagle would split the client's second flight into delayed segments (field notes).
    const int one = 1;
    ::setsockopt(m.net.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    mbedtls_ssl_set_bio(&m.ssl, &m.net, mbedtls_net_send, nullptr, mbedtls_net_recv_timeout);
    while ((rc = mbedtls_ssl_handshake(&m.ssl)) == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {}
    if (rc != 0) return m.explain(rc, "handshake"), rc;
    m.ciphersuite = mbedtls_ssl_get_ciphersuite(&m.ssl);
    return 0;
}

bool TlsClient::write(const std::vector<unsigned char>& bytes) {
    Impl& m = *m_impl;
    std::size_t done = 0;
    while (done < bytes.size()) {
        const int n = mbedtls_ssl_write(&m.ssl, bytes.data() + done, bytes.size() - done);
        if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
        if (n <= 0) return m.explain(n, "write"), false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::vector<unsigned char> TlsClient::read(std::size_t n) {
    Impl& m = *m_impl;
    std::vector<unsigned char> out;
    unsigned char buf[512];
    while (out.size() < n) {
        const int got = mbedtls_ssl_read(&m.ssl, buf, std::min(sizeof buf, n - out.size()));
        if (got == MBEDTLS_ERR_SSL_WANT_READ || got == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
        if (got <= 0) {
            m.explain(got == 0 ? MBEDTLS_ERR_SSL_CONN_EOF : got, "read");
            break;
        }
        out.insert(out.end(), buf, buf + got);
    }
    return out;
}

void TlsClient::close() {
    Impl& m = *m_impl;
    if (!m.open) return;
    if (!m.ciphersuite.empty()) (void)mbedtls_ssl_close_notify(&m.ssl);
    mbedtls_net_free(&m.net);
    m.open = false;
}

const std::string& TlsClient::ciphersuite() const { return m_impl->ciphersuite; }
const std::string& TlsClient::error() const { return m_impl->error; }

TlsResult tls_connect(const TlsClientOptions& options) {
    TlsResult result;
    TlsClient client(options);
    result.handshake = client.connect();
    result.ciphersuite = client.ciphersuite();
    if (result.handshake == 0 && !options.send.empty()) {
        if (client.write(options.send)) result.received = client.read(options.expect);
    }
    result.error = client.error();
    return result;
}

}  // namespace sebind::test
