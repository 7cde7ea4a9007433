/* SPDX-License-Identifier: Apache-2.0
 *
 * An Mbed TLS 2.28 configuration (config.h style) for a device whose key is in the secure element:
 * a TLS 1.2 client with ECDHE-ECDSA and ECDHE-RSA, AES-GCM, SHA-256 and SHA-384, the chip's
 * curves P-256 and P-384, X.509 parsing and writing (CSRs). `sebind doctor --mbedtls-config` reads
 * it; options that are off are written `//#define NAME`, the way Mbed TLS's own headers do.
 *
 * Check it against a broker:  sebind doctor --host BROKER --port 8883 --ca ca.pem \
 *                                 --mbedtls-config examples/mbedtls_config/device-tls12-2.28.h
 */
#ifndef DEVICE_MBEDTLS_CONFIG_H
#define DEVICE_MBEDTLS_CONFIG_H

/* System */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C

/* TLS: a client, TLS 1.2 only (2.28 has no TLS 1.3) */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
//#define MBEDTLS_SSL_PROTO_TLS1
//#define MBEDTLS_SSL_PROTO_TLS1_1
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET

/* Key exchange: ECDHE only (forward secrecy), the server signing with ECDSA or RSA */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
//#define MBEDTLS_KEY_EXCHANGE_RSA_ENABLED

/* Public-key crypto: the chip signs; the host verifies the server and does ECDHE */
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
//#define MBEDTLS_ECP_DP_BP256R1_ENABLED
//#define MBEDTLS_ECP_DP_BP384R1_ENABLED
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C

/* Symmetric crypto and hashes: MBEDTLS_SHA512_C also gives SHA-384 */
#define MBEDTLS_AES_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C
//#define MBEDTLS_SHA512_NO_SHA384
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ENTROPY_C

/* Certificates */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CSR_WRITE_C

#include "mbedtls/check_config.h"

#endif /* DEVICE_MBEDTLS_CONFIG_H */
