// SPDX-License-Identifier: Apache-2.0
// Certificate text: common name, the names for the host-name rule, dates and PEM, written the same
// way by every layer and by both Mbed TLS versions.
#pragma once

#include <ctime>
#include <string>

#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>

#include "sebind/core/bytes.hpp"
#include "sebind/stsafe/types.hpp"
#include "sebind/tls/host_name.hpp"

namespace sebind::mbedtls_util {

/// The value of the last CN attribute of a distinguished name; empty when there is none.
std::string common_name(const mbedtls_x509_name& name);

/// The names a certificate presents (subjectAltName dNSName and iPAddress entries, the subject's
/// CNs), for tls::certificate_names_host: the one extraction of every mbedTLS client and the doctor.
tls::CertificateNames certificate_names(const mbedtls_x509_crt& crt);

/// `YYYY-MM-DDTHH:MM:SSZ` (ISO 8601, UTC) of a certificate time.
std::string iso_time(const mbedtls_x509_time& t);

/// `YYYY-MM-DD` of a certificate time.
std::string iso_date(const mbedtls_x509_time& t);

/// `YYYYMMDDHHMMSS` (UTC), the validity format mbedtls_x509write_crt_set_validity takes.
std::string x509_time(std::time_t t);

/// PEM `CERTIFICATE` block (lines end in '\n') of a DER certificate; 0 or an mbedTLS error.
int certificate_pem(Bytes der, std::string& pem);

/// PEM SubjectPublicKeyInfo of a chip public key; 0 or an mbedTLS error.
int public_key_pem(const stsafe::PublicKey& key, std::string& pem);

}  // namespace sebind::mbedtls_util
