// SPDX-License-Identifier: Apache-2.0
// A software CA (mbedTLS, deterministic) issuing certificates for the chip's key or for software
// keys, so component tests can store real X.509 certificates without external tools.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <mbedtls/ecp.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sebind/mbedtls_util/cert_text.hpp"

namespace sebind::test {

/// A deterministic DRBG (tests must be reproducible; the CA key is throwaway).
class TestDrbg {
public:
    explicit TestDrbg(std::uint64_t seed) {
        mbedtls_hmac_drbg_init(&m_drbg);
        unsigned char s[16] = {};
        for (int i = 0; i < 8; ++i) s[i] = static_cast<unsigned char>(seed >> (8 * i));
        if (mbedtls_hmac_drbg_seed_buf(&m_drbg, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), s, sizeof s) != 0)
            throw std::runtime_error("drbg seed");
    }
    ~TestDrbg() { mbedtls_hmac_drbg_free(&m_drbg); }
    TestDrbg(const TestDrbg&) = delete;
    TestDrbg& operator=(const TestDrbg&) = delete;
    static int rng(void* self, unsigned char* out, std::size_t n) {
        return mbedtls_hmac_drbg_random(&static_cast<TestDrbg*>(self)->m_drbg, out, n);
    }

private:
    mbedtls_hmac_drbg_context m_drbg;
};

/// A software EC key in an mbedtls_pk_context.
class SoftwareKey {
public:
    SoftwareKey(mbedtls_ecp_group_id group, std::uint64_t seed) : m_drbg(seed) {
        mbedtls_pk_init(&m_pk);
        if (mbedtls_pk_setup(&m_pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
            mbedtls_ecp_gen_key(group, mbedtls_pk_ec(m_pk), TestDrbg::rng, &m_drbg) != 0)
            throw std::runtime_error("software key");
    }
    ~SoftwareKey() { mbedtls_pk_free(&m_pk); }
    SoftwareKey(const SoftwareKey&) = delete;
    SoftwareKey& operator=(const SoftwareKey&) = delete;
    mbedtls_pk_context& pk() { return m_pk; }
    TestDrbg& drbg() { return m_drbg; }

private:
    TestDrbg m_drbg;
    mbedtls_pk_context m_pk;
};

class SoftwareCa {
public:
    explicit SoftwareCa(std::uint64_t seed = 7) : m_key(MBEDTLS_ECP_DP_SECP256R1, seed) {}

    /// DER certificate for `subject_key` (any pk context, the chip's SE key included: only its
    /// public part is read). Validity as "YYYYMMDDhhmmss".
    std::vector<std::uint8_t> issue(mbedtls_pk_context& subject_key, const std::string& subject,
                                    const char* not_before = "20200101000000",
                                    const char* not_after = "20491231235959") {
        mbedtls_x509write_cert w;
        mbedtls_x509write_crt_init(&w);
        mbedtls_mpi serial;
        mbedtls_mpi_init(&serial);
        mbedtls_mpi_lset(&serial, ++m_serial);
        mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
        mbedtls_x509write_crt_set_subject_key(&w, &subject_key);
        mbedtls_x509write_crt_set_issuer_key(&w, &m_key.pk());
        mbedtls_x509write_crt_set_serial(&w, &serial);
        int rc = mbedtls_x509write_crt_set_subject_name(&w, subject.c_str());
        if (rc == 0) rc = mbedtls_x509write_crt_set_issuer_name(&w, "CN=sebind component-test CA");
        if (rc == 0) rc = mbedtls_x509write_crt_set_validity(&w, not_before, not_after);
        std::vector<unsigned char> buf(4096);
        const int len = rc == 0 ? mbedtls_x509write_crt_der(&w, buf.data(), buf.size(), TestDrbg::rng, &m_key.drbg())
                                : rc;
        mbedtls_x509write_crt_free(&w);
        mbedtls_mpi_free(&serial);
        if (len <= 0) throw std::runtime_error("issue certificate");
        return {buf.end() - len, buf.end()};
    }

    /// The CA's own self-signed certificate (for chain files).
    std::vector<std::uint8_t> self_certificate() { return issue(m_key.pk(), "CN=sebind component-test CA"); }

private:
    SoftwareKey m_key;
    int m_serial = 0;
};

inline std::string to_pem(const std::vector<std::uint8_t>& der) {
    std::string pem;
    if (mbedtls_util::certificate_pem(der, pem) != 0) throw std::runtime_error("pem");
    return pem;
}

inline std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace sebind::test
