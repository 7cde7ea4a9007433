// SPDX-License-Identifier: Apache-2.0
#include "sebind/tls_mbedtls3/csr.hpp"

#include <vector>

#include <mbedtls/x509_csr.h>
#include <psa/crypto.h>

#include "psa_random.hpp"
#include "sebind/psa_stsafe/driver.hpp"
#include "sebind/tls_mbedtls3/client.hpp"

namespace sebind::tls_mbedtls3 {

Status setup_chip_key(mbedtls_pk_context& pk, std::uint8_t slot) noexcept {
    if (psa_crypto_init() != PSA_SUCCESS) return Status(Errc::not_supported);
    const mbedtls_svc_key_id_t id{psa_stsafe::key_id(slot)};
    psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
    const psa_status_t st = psa_get_key_attributes(id, &attrs);
    psa_reset_key_attributes(&attrs);
    if (st != PSA_SUCCESS) return Status(Errc::does_not_exist);
    return mbedtls_pk_setup_opaque(&pk, id) == 0 ? Status() : Status(Errc::not_supported);
}

Result<std::string> chip_csr_pem(std::uint8_t slot, const std::string& subject) noexcept {
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    if (Status s = setup_chip_key(pk, slot); !s.ok()) {
        mbedtls_pk_free(&pk);
        return s;
    }
    mbedtls_x509write_csr csr;
    mbedtls_x509write_csr_init(&csr);
    mbedtls_x509write_csr_set_key(&csr, &pk);
    mbedtls_x509write_csr_set_md_alg(&csr, mbedtls_pk_get_bitlen(&pk) > 256 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256);
    Result<std::string> out = Errc::invalid_argument;
    if (mbedtls_x509write_csr_set_subject_name(&csr, subject.c_str()) == 0) {
        std::vector<unsigned char> buf(4096);
        // The opaque key signs through PSA (the chip); the random generator is PSA's own.
        const int rc = mbedtls_x509write_csr_pem(&csr, buf.data(), buf.size(), mbedtls_psa_get_random,
                                                 MBEDTLS_PSA_RANDOM_STATE);
        if (rc == 0) {
            out = std::string(reinterpret_cast<const char*>(buf.data()));
        } else {
            const Status chip = psa_stsafe::last_error(slot);
            out = chip.ok() ? Status(Errc::invalid_argument) : chip;
        }
    }
    mbedtls_x509write_csr_free(&csr);
    mbedtls_pk_free(&pk);
    return out;
}

}  // namespace sebind::tls_mbedtls3
