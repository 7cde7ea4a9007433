/* SPDX-License-Identifier: Apache-2.0 */
/* Mbed TLS 2.28 configuration of the firmware build's crypto library: exactly what the STSAFE
 * host secure channel uses (AES-128 ECB and CBC, AES-CMAC), with one set of AES tables, in flash.
 * Selected with -DMBEDTLS_CONFIG_FILE="sebind_crypto_config.h" in place of the default config.h. */
#ifndef SEBIND_CRYPTO_CONFIG_H
#define SEBIND_CRYPTO_CONFIG_H

#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CMAC_C

#include "mbedtls/check_config.h"

#endif /* SEBIND_CRYPTO_CONFIG_H */
