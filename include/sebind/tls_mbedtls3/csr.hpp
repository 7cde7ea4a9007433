// SPDX-License-Identifier: Apache-2.0
// A PKCS#10 certificate request signed by the chip through PSA (Mbed TLS 3.6): the public key and
// the signature come from the chip's built-in key, via mbedtls_pk_setup_opaque and
// mbedtls_x509write_csr.
#pragma once

#include <cstdint>
#include <string>

#include "sebind/core/result.hpp"

namespace sebind::tls_mbedtls3 {

/// The PEM request for `subject` ("CN=dev-1,O=Acme") with the key of the chip's `slot`, attached
/// with psa_stsafe::attach. Signed with ECDSA-SHA384 for a P-384 key, ECDSA-SHA256 otherwise.
/// Errors: does_not_exist (slot not attached), invalid_argument (bad subject), and the chip's
/// failure (psa_stsafe::last_error) when it refused to sign.
Result<std::string> chip_csr_pem(std::uint8_t slot, const std::string& subject) noexcept;

}  // namespace sebind::tls_mbedtls3
