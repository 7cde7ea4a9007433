// SPDX-License-Identifier: Apache-2.0
// wolfSSL headers in the one order that works: options.h (the build's feature macros) first.
#pragma once

// clang-format off
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
// clang-format on

#if !defined(HAVE_PK_CALLBACKS)
#error "sebind::tls_wolfssl needs wolfSSL built with PK callbacks (--enable-pkcallbacks)"
#endif
#if !defined(HAVE_ECC)
#error "sebind::tls_wolfssl needs wolfSSL built with ECC"
#endif
