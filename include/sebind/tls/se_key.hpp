// SPDX-License-Identifier: Apache-2.0
// The chip's key as an mbedtls_pk_context: sebind/mbedtls_util/se_key.hpp (sebind::mbedtls_util).
// This path is kept for code written against it.
#pragma once

#include "sebind/mbedtls_util/se_key.hpp"
