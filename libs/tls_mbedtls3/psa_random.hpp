// SPDX-License-Identifier: Apache-2.0
// PSA's random generator as an Mbed TLS f_rng (mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE).
// Mbed TLS 3.6's psa_util.h has no C++ linkage guard of its own.
#pragma once

#include <mbedtls/build_info.h>

extern "C" {
#include <mbedtls/psa_util.h>
}
