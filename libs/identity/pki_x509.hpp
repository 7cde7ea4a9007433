// SPDX-License-Identifier: Apache-2.0
// Internal X.509 helpers of the development PKI: RNG and key holders, GeneralNames and extension
// DER that mbedTLS 2.28 cannot write or parse by itself, exact name copies, certificate issuing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "sebind/core/result.hpp"

namespace sebind::identity::pki {

/// The subject rules of `check_subject` (identity.hpp) on a parsed or to-be-written name list:
/// not_supported with `detail` naming the rule broken.
Status check_subject_names(const mbedtls_asn1_named_data* names, std::string* detail);

/// CTR-DRBG seeded from the platform entropy source.
class Rng {
public:
    Rng();
    ~Rng();
    Rng(const Rng&) = delete;
    Rng& operator=(const Rng&) = delete;
    bool ok() const noexcept { return m_ok; }
    static int random(void* self, unsigned char* out, std::size_t len);
    void* context() noexcept { return &m_drbg; }

private:
    mbedtls_entropy_context m_entropy;
    mbedtls_ctr_drbg_context m_drbg;
    bool m_ok = false;
};

/// An owned mbedtls_pk_context.
struct PkKey {
    mbedtls_pk_context ctx;
    PkKey() { mbedtls_pk_init(&ctx); }
    ~PkKey() { mbedtls_pk_free(&ctx); }
    PkKey(const PkKey&) = delete;
    PkKey& operator=(const PkKey&) = delete;
};

/// An owned certificate writer.
struct CertWriter {
    mbedtls_x509write_cert crt;
    CertWriter() { mbedtls_x509write_crt_init(&crt); }
    ~CertWriter() { mbedtls_x509write_crt_free(&crt); }
    CertWriter(const CertWriter&) = delete;
    CertWriter& operator=(const CertWriter&) = delete;
};

/// A contiguous DER range inside a parsed object.
struct DerView {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
};

/// One GeneralName (RFC 5280 §4.2.1.6) of the kinds we copy: its context tag number
/// (1 rfc822Name, 2 dNSName, 6 uniformResourceIdentifier, 7 iPAddress) and its content octets.
struct GeneralName {
    unsigned char tag = 2;
    std::vector<unsigned char> value;
};
inline constexpr unsigned char kSanEmail = 1, kSanDns = 2, kSanUri = 6, kSanIp = 7;

/// GeneralNames DER (the subjectAltName extnValue). Errors: invalid_argument (empty list).
Result<std::vector<unsigned char>> encode_general_names(const std::vector<GeneralName>& names);
/// The e-mail, DNS, URI and IP entries of a GeneralNames DER; others are skipped.
/// Errors: invalid_argument (malformed).
Result<std::vector<GeneralName>> decode_general_names(DerView der);

/// extnValue content of extension `oid` in an Extensions SEQUENCE (or a [3]-wrapped one, as a
/// certificate's v3_ext is stored). nullopt when absent or malformed.
std::optional<DerView> find_extension(DerView extensions, const char* oid, std::size_t oid_len);
/// The Extensions of a CSR's PKCS#9 extensionRequest attribute (RFC 2986 §4.1, RFC 2985 §5.4.2),
/// which mbedTLS 2.28's CSR parser skips. nullopt when absent; invalid_argument when malformed.
Result<std::optional<DerView>> csr_extension_request(const mbedtls_x509_csr& csr);
/// The keyIdentifier of a certificate's subjectKeyIdentifier extension, if any.
std::optional<std::vector<unsigned char>> subject_key_id(const mbedtls_x509_crt& crt);

/// Deep copy of a parsed name into a writer's name list, such that the writer emits exactly
/// `raw` again. Errors: not_supported (the writer cannot reproduce it: multi-valued RDNs).
Status copy_name(const mbedtls_x509_name& from, DerView raw, mbedtls_asn1_named_data** to);

enum class Profile : std::uint8_t { ca, server, client };
struct IssueSpec {
    Profile profile = Profile::client;
    std::uint32_t days = 365;
    std::vector<unsigned char> subject_alt_names;                ///< GeneralNames DER, empty = no extension
    std::optional<std::vector<unsigned char>> authority_key_id;  ///< nullopt: derived from the issuer key
};
/// Completes a writer whose subject and issuer names are already set: v3, random serial,
/// validity now-5min..now+days, the profile's extensions, signed with `issuer_key`
/// (SHA-384 for keys of 384 bits and more, else SHA-256). Returns PEM.
Result<std::string> issue(CertWriter& writer, Rng& rng, mbedtls_pk_context& subject_key, mbedtls_pk_context& issuer_key,
                          const IssueSpec& spec);

}  // namespace sebind::identity::pki
