/* SPDX-License-Identifier: Apache-2.0 */
/* Mutual TLS from C with the secure element's key: open the chip by URI, read its certificate
 * once, bind the slot's key to an mbedtls_pk_context, check they pair, then a TLS handshake that
 * prints the negotiated ciphersuite. The same source builds against mbedTLS 2.28 (Debian) and Mbed
 * TLS 3.6 (the mbedtls3 configuration, where the key is an opaque PSA key and TLS 1.3 exists).
 *
 *   mbedtls_client --se emu:/tmp/se --host localhost --port 8883 --ca ca.pem [--slot 0] [--zone 0]
 *
 * Exit codes: 0 connected, 2 usage, 3 secure element, 4 TLS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>

#include "sebind/tls_mbedtls/sebind_mbedtls.h"

struct args {
    const char *se, *host, *port, *ca;
    int slot, zone; /* zone -1 = the slot's default zone */
};

static int usage(void) {
    fprintf(stderr, "usage: mbedtls_client --se URI --host NAME --port N --ca FILE [--slot N] [--zone N]\n");
    return 2;
}

static int parse_args(int argc, char** argv, struct args* a) {
    int i;
    memset(a, 0, sizeof *a);
    a->zone = -1;
    for (i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--se") == 0)
            a->se = v;
        else if (strcmp(k, "--host") == 0)
            a->host = v;
        else if (strcmp(k, "--port") == 0)
            a->port = v;
        else if (strcmp(k, "--ca") == 0)
            a->ca = v;
        else if (strcmp(k, "--slot") == 0)
            a->slot = atoi(v);
        else if (strcmp(k, "--zone") == 0)
            a->zone = atoi(v);
        else
            return -1;
    }
    if (i != argc || !a->se || !a->host || !a->port || !a->ca || a->slot < 0 || a->slot > 255 || a->zone > 255)
        return -1;
    return 0;
}

/* The TLS part: everything but the key is plain mbedTLS. */
static int handshake(const struct args* a, mbedtls_x509_crt* chain, mbedtls_pk_context* key) {
#if MBEDTLS_VERSION_MAJOR >= 3
    /* Mbed TLS 3: groups by their TLS identifiers; P-256 first. */
    static const uint16_t groups[] = {MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
                                      MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
#else
    /* The chip's key is EC; X25519 and P-256 first (the default list starts with P-521). */
    static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                                  MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
#endif
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    char err[160];
    int rc, one = 1;

    mbedtls_net_init(&net);
    mbedtls_ssl_init(&ssl);
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&ca);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);

    rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0);
    if (rc == 0) rc = mbedtls_x509_crt_parse_file(&ca, a->ca);
    if (rc == 0)
        rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0) {
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
#if MBEDTLS_VERSION_MAJOR >= 3
        mbedtls_ssl_conf_groups(&conf, groups);
#else
        mbedtls_ssl_conf_curves(&conf, curves);
#endif
        rc = mbedtls_ssl_conf_own_cert(&conf, chain, key);
    }
    if (rc == 0) rc = mbedtls_ssl_setup(&ssl, &conf);
    /* Without a hostname mbedTLS 2.28 skips the server name check silently. */
    if (rc == 0) rc = mbedtls_ssl_set_hostname(&ssl, a->host);
    if (rc == 0) rc = mbedtls_net_connect(&net, a->host, a->port, MBEDTLS_NET_PROTO_TCP);
    if (rc == 0) {
        /* Nagle would hold back the client's second flight for ~40 ms. */
        setsockopt(net.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
        while ((rc = mbedtls_ssl_handshake(&ssl)) == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {}
    }
    if (rc == 0) {
        printf("ciphersuite: %s\n", mbedtls_ssl_get_ciphersuite(&ssl));
        printf("version: %s\n", mbedtls_ssl_get_version(&ssl));
        printf("chip signatures: %u\n", (unsigned)sebind_mbedtls_sign_count(key));
        mbedtls_ssl_close_notify(&ssl);
    } else {
        mbedtls_strerror(rc, err, sizeof err);
        fprintf(stderr, "mbedtls_client: TLS failed: %s (-0x%04X)\n", err, (unsigned)-rc);
        if (sebind_mbedtls_key_error(key) != 0)
            fprintf(stderr, "mbedtls_client: the chip failed to sign: %s\n",
                    sebind_mbedtls_strerror(sebind_mbedtls_key_error(key)));
    }

    mbedtls_net_free(&net);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return rc == 0 ? 0 : 4;
}

int main(int argc, char** argv) {
    struct args a;
    sebind_mbedtls_se* se = NULL;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    char why[256];
    uint8_t slot, zone;
    int rc;

    if (parse_args(argc, argv, &a) != 0) return usage();
    slot = (uint8_t)a.slot;
    zone = a.zone < 0 ? sebind_mbedtls_default_zone(slot) : (uint8_t)a.zone;

    rc = sebind_mbedtls_open_uri(a.se, &se, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, "mbedtls_client: %s (%s)\n", why, sebind_mbedtls_strerror(rc));
        return 3;
    }
    mbedtls_x509_crt_init(&chain);
    mbedtls_pk_init(&key);
    /* The certificate is read once and the pair checked once; each TLS handshake then costs one
     * chip signature (none when resumed). */
    rc = sebind_mbedtls_read_chain(se, zone, &chain);
    if (rc == 0) rc = sebind_mbedtls_setup_key(se, slot, zone, &key);
    if (rc == 0) rc = sebind_mbedtls_verify_pair(se, slot, &chain);
    if (rc != 0) {
        fprintf(stderr, "mbedtls_client: %s\n", sebind_mbedtls_last_error(se));
        rc = 3;
    } else {
        rc = handshake(&a, &chain, &key);
    }
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&chain);
    sebind_mbedtls_close(se);
    return rc;
}
