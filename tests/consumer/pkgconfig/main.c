/* SPDX-License-Identifier: Apache-2.0 */
/* A C consumer of the installed C API, built with nothing but
 *   cc main.c $(pkg-config --cflags --libs sebind-tls-mbedtls-c-linux)
 * Opens the emulated chip that `sebind emu init DIR` made, reads its zone-0 certificate, binds
 * slot 0's key to an mbedTLS pk context, has the chip sign through mbedtls_pk_sign and verifies
 * that signature with the certificate's public key; then the pairing check of the C API.
 * Prints "OK <subject>" and exits 0, or one line and 1. */
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sebind/tls_mbedtls/sebind_mbedtls.h"
#include "sebind/version.h"

static int no_rng(void* ctx, unsigned char* out, size_t len) {
    (void)ctx;
    memset(out, 0x5a, len); /* the chip makes the ECDSA nonce; mbedTLS asks for none here */
    return 0;
}

int main(int argc, char** argv) {
    char uri[4096], why[256], subject[256];
    unsigned char hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t sig_len = 0;
    sebind_mbedtls_se* se = NULL;
    mbedtls_pk_context key;
    mbedtls_x509_crt chain;
    int rc, ok = 0;
    if (argc != 2 || snprintf(uri, sizeof uri, "emu:%s", argv[1]) >= (int)sizeof uri) {
        fprintf(stderr, "usage: consumer DIR (a chip made by `sebind emu init DIR`)\n");
        return 2;
    }
    rc = sebind_mbedtls_open_uri(uri, &se, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, "consumer: %s (%s)\n", why, sebind_mbedtls_strerror(rc));
        return 1;
    }
    mbedtls_pk_init(&key);
    mbedtls_x509_crt_init(&chain);
    memset(hash, 0x42, sizeof hash);
    if (sebind_mbedtls_read_chain(se, 0, &chain) != 0 || sebind_mbedtls_setup_key(se, 0, 0, &key) != 0) {
        fprintf(stderr, "consumer: %s\n", sebind_mbedtls_last_error(se));
    } else if ((rc = mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, &sig_len, no_rng, NULL)) != 0) {
        fprintf(stderr, "consumer: the chip did not sign: %s\n",
                sebind_mbedtls_strerror(sebind_mbedtls_key_error(&key)));
    } else if ((rc = mbedtls_pk_verify(&chain.pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sig_len)) != 0) {
        fprintf(stderr, "consumer: slot 0's signature does not verify with the certificate (-0x%04X)\n", (unsigned)-rc);
    } else if (sebind_mbedtls_verify_pair(se, 0, &chain) != 0) {
        fprintf(stderr, "consumer: %s\n", sebind_mbedtls_last_error(se));
    } else if (sebind_mbedtls_sign_count(&key) != 1) {
        fprintf(stderr, "consumer: expected one chip signature through the pk context, got %u\n",
                (unsigned)sebind_mbedtls_sign_count(&key));
    } else if (mbedtls_x509_dn_gets(subject, sizeof subject, &chain.subject) < 0) {
        fprintf(stderr, "consumer: the certificate's subject does not print\n");
    } else {
        printf("OK sebind %s, %s, slot 0 signs\n", SEBIND_VERSION_STRING, subject);
        ok = 1;
    }
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&chain);
    sebind_mbedtls_close(se);
    return ok ? 0 : 1;
}
