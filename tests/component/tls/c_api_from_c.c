/* SPDX-License-Identifier: Apache-2.0 */
/* The C API driven from a C translation unit (C11, -Wpedantic): proves the header is plain C and
 * runs the boot sequence a C firmware would, recording every result for the C++ test to check. */
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sebind/tls_mbedtls/sebind_mbedtls.h"

struct c_api_run {
    int open, read_chain, setup_key, verify_pair, sign, verify_with_certificate;
    unsigned sign_count;
    int empty_slot, empty_slot_public, missing_certificate_zone;
    char empty_slot_text[256];
};

static int no_rng(void* ctx, unsigned char* out, size_t len) {
    (void)ctx;
    (void)out;
    (void)len;
    return -1; /* the chip draws its own nonce: the pk layer must not ask */
}

void c_api_run_boot(const sebind_mbedtls_bus* bus, struct c_api_run* r) {
    sebind_mbedtls_config config;
    sebind_mbedtls_se* se = NULL;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key, other;
    unsigned char digest[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE], point[65];
    size_t sig_len = 0;
    const char* message = "sebind C API";

    memset(r, 0, sizeof *r);
    sebind_mbedtls_config_init(&config);
    config.emulated = 1;
    r->open = sebind_mbedtls_open(bus, &config, &se);
    if (r->open != 0) return;
    mbedtls_x509_crt_init(&chain);
    mbedtls_pk_init(&key);
    mbedtls_pk_init(&other);

    r->read_chain = sebind_mbedtls_read_chain(se, sebind_mbedtls_default_zone(SEBIND_MBEDTLS_SLOT_FACTORY), &chain);
    r->setup_key = sebind_mbedtls_setup_key(se, SEBIND_MBEDTLS_SLOT_FACTORY, 0, &key);
    if (r->read_chain == 0) r->verify_pair = sebind_mbedtls_verify_pair(se, SEBIND_MBEDTLS_SLOT_FACTORY, &chain);
    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char*)message, strlen(message), digest);
    if (r->setup_key == 0) {
        r->sign = mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, digest, sizeof digest, sig, &sig_len, no_rng, NULL);
        /* Checked with the certificate's key, parsed by mbedTLS independently of the chip. */
        if (r->sign == 0 && r->read_chain == 0)
            r->verify_with_certificate = mbedtls_pk_verify(&chain.pk, MBEDTLS_MD_SHA256, digest, sizeof digest, sig,
                                                           sig_len);
    }
    r->sign_count = sebind_mbedtls_sign_count(&key);

    /* Slot 1 has no key on a new chip. */
    r->empty_slot = sebind_mbedtls_setup_key(se, SEBIND_MBEDTLS_SLOT_USER, 0, &other);
    strncpy(r->empty_slot_text, sebind_mbedtls_last_error(se), sizeof r->empty_slot_text - 1);
    memset(point, 0x11, sizeof point);
    point[0] = 0x04;
    r->empty_slot_public = sebind_mbedtls_setup_key_with_public(se, SEBIND_MBEDTLS_SLOT_USER, point, sizeof point,
                                                                &other);
    /* Zone 4 (slot 1's) holds nothing yet. */
    r->missing_certificate_zone = sebind_mbedtls_read_chain(se, 4, &chain);

    mbedtls_pk_free(&other);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&chain);
    sebind_mbedtls_close(se);
}
