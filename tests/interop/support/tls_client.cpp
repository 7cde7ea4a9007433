// SPDX-License-Identifier: Apache-2.0
// Minimal mbedTLS client used by the interop tests.
#include "tls_client.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace sebind::test {

TlsResult tls_connect(const TlsClientOptions& o) {
    TlsResult result;
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca, own;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_net_init(&net);
    mbedtls_ssl_init(&ssl);
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&own);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
                                                  MBEDTLS_ECP_DP_BP256R1, MBEDTLS_ECP_DP_BP384R1, MBEDTLS_ECP_DP_NONE};
    int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
    if (rc == 0) rc = mbedtls_x509_crt_parse_file(&ca, o.ca_file.c_str());
    if (rc == 0 && !o.own_cert_der.empty()) rc = mbedtls_x509_crt_parse_der(&own, o.own_cert_der.data(), o.own_cert_der.size());
    if (rc == 0) rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0) {
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
        mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_curves(&conf, curves);
        if (o.own_key) rc = mbedtls_ssl_conf_own_cert(&conf, &own, o.own_key);
    }
    if (rc == 0) rc = mbedtls_ssl_setup(&ssl, &conf);
    if (rc == 0) rc = mbedtls_ssl_set_hostname(&ssl, o.host.c_str());
    if (rc == 0) rc = mbedtls_net_connect(&net, o.host.c_str(), std::to_string(o.port).c_str(), MBEDTLS_NET_PROTO_TCP);
    if (rc == 0) {
        const int one = 1;
        ::setsockopt(net.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, nullptr);
        while ((rc = mbedtls_ssl_handshake(&ssl)) == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        }
    }
    result.handshake = rc;
    if (rc == 0) {
        result.ciphersuite = mbedtls_ssl_get_ciphersuite(&ssl);
        if (!o.send.empty()) {
            std::size_t done = 0;
            while (done < o.send.size()) {
                const int n = mbedtls_ssl_write(&ssl, o.send.data() + done, o.send.size() - done);
                if (n <= 0) break;
                done += static_cast<std::size_t>(n);
            }
            unsigned char buf[256];
            while (result.received.size() < o.expect) {
                const int n = mbedtls_ssl_read(&ssl, buf, std::min(sizeof buf, o.expect - result.received.size()));
                if (n <= 0) break;
                result.received.insert(result.received.end(), buf, buf + n);
            }
        }
        mbedtls_ssl_close_notify(&ssl);
    } else {
        char text[256];
        mbedtls_strerror(rc, text, sizeof text);
        result.error = text;
    }
    mbedtls_net_free(&net);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_x509_crt_free(&own);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return result;
}

}  // namespace sebind::test
