// SPDX-License-Identifier: Apache-2.0
// Field access to mbedTLS structures in both supported versions. Mbed TLS 3 names many fields
// private (MBEDTLS_PRIVATE(f)); they are stable within the 3.6 LTS line. sebind reads them where
// 3.6 offers no accessor (ECP points and keys for the chip mapping, a parsed CSR's signature).
#pragma once

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_MAJOR >= 3
#define SEBIND_MBEDTLS_FIELD(f) MBEDTLS_PRIVATE(f)
#else
#define SEBIND_MBEDTLS_FIELD(f) f
#endif
