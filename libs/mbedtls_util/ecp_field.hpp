// SPDX-License-Identifier: Apache-2.0
// Field access to mbedTLS ECP structures in both supported versions. Mbed TLS 3 names these
// fields private (MBEDTLS_PRIVATE); they are stable within the 3.6 LTS line, and the point and
// key layout is what sebind::mbedtls_util maps chip keys to.
#pragma once

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_MAJOR >= 3
#define SEBIND_ECP_FIELD(f) MBEDTLS_PRIVATE(f)
#else
#define SEBIND_ECP_FIELD(f) f
#endif
