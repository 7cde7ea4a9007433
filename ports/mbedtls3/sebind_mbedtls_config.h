/* SPDX-License-Identifier: Apache-2.0 */
/* sebind's Mbed TLS 3.6 configuration: what a device with its key in an STSAFE-A110 needs, and no
 * more. scripts/deps-mbedtls3 installs it as the build's include/mbedtls/mbedtls_config.h, so the
 * libraries and every program compiled against them see the same options.
 *
 * A device: TLS 1.2 and 1.3 client with mutual authentication (ECDSA P-256/P-384, ECDHE, AES-GCM,
 * SHA-256/384), PSA crypto with the chip as an opaque driver (built-in keys), X.509 parsing and
 * CSR writing. Certificate writing and the software ECDH/ECDSA contexts are here for the emulated
 * chip of the tests (libs/emu), which uses the classic API. */
#ifndef SEBIND_MBEDTLS_CONFIG_H
#define SEBIND_MBEDTLS_CONFIG_H

/* Platform */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_DEPRECATED_REMOVED
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ERROR_C
#define MBEDTLS_VERSION_C
#define MBEDTLS_FS_IO /* a Linux device reads its CA file (examples/mbedtls_client) */
#define MBEDTLS_NET_C /* ... and may use Mbed TLS's own sockets */

/* PSA crypto, with the chip as an opaque driver that owns built-in keys (slot numbers) */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_USE_PSA_CRYPTO
#define MBEDTLS_PSA_CRYPTO_BUILTIN_KEYS
#define MBEDTLS_PSA_CRYPTO_DRIVERS
#define MBEDTLS_PSA_CRYPTO_DRIVER_STSAFE /* ports/mbedtls3/stsafe-opaque-driver.patch */

/* Primitives */
#define MBEDTLS_AES_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_MODE_CBC /* the chip's secure channel (host side) */
#define MBEDTLS_CMAC_C          /* the chip's secure channel (host side) */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA224_C /* required by MBEDTLS_SHA256_C's implementation */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C /* SHA-384 is computed by the SHA-512 module */
#define MBEDTLS_HKDF_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_RSA_C /* servers certified by an RSA CA (verification only) */
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21

/* X.509: parse the server's chain, write the device's CSR */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CSR_WRITE_C
#define MBEDTLS_X509_CSR_PARSE_C /* identity checks a CSR before it leaves the device */
#define MBEDTLS_X509_CRT_WRITE_C /* the emulated chip's factory certificate (tests) */

/* TLS client, 1.2 and 1.3 */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED /* ticket resumption */
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
/* Mbed TLS 3.6 refuses TLS 1.3 without the peer certificate kept (check_config.h): 1.3 wins. */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
/* Memory: records sized per connection, small fragments where the server agrees */
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_RECORD_SIZE_LIMIT
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

#endif /* SEBIND_MBEDTLS_CONFIG_H */
