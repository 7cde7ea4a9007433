// SPDX-License-Identifier: Apache-2.0
// X.509 pieces of the development PKI that mbedTLS 2.28 lacks: GeneralNames (its certificate
// writer has no SAN setter, its CSR parser skips extensionRequest), exact name copies, issuing.
#include "pki_x509.hpp"

#include <cstdlib>
#include <cstring>
#include <ctime>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/version.h>

#include "sebind/mbedtls_util/cert_text.hpp"

namespace sebind::identity::pki {

namespace {

constexpr int kSequence = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
constexpr int kSet = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET;

/// Reads one TLV at *p (any tag): its tag, and its content in `content`; advances past it.
bool next_tlv(unsigned char** p, const unsigned char* end, int& tag, DerView& content) {
    if (*p >= end) return false;
    tag = **p;
    std::size_t len = 0;
    if (mbedtls_asn1_get_tag(p, end, &len, tag) != 0) return false;
    content = {*p, len};
    *p += len;
    return true;
}

/// Reads one TLV that must carry `tag`.
bool expect_tlv(unsigned char** p, const unsigned char* end, int tag, DerView& content) {
    int got = 0;
    unsigned char* q = *p;
    if (!next_tlv(&q, end, got, content) || got != tag) return false;
    *p = q;
    return true;
}

unsigned char* mut(const unsigned char* p) { return const_cast<unsigned char*>(p); }

bool oid_is(DerView oid, const char* expected, std::size_t expected_len) {
    return oid.size == expected_len && std::memcmp(oid.data, expected, expected_len) == 0;
}

#if MBEDTLS_VERSION_MAJOR < 3  // used by issue(), below: the development CA (2.28 only)
/// ExtKeyUsageSyntax ::= SEQUENCE OF KeyPurposeId, with one purpose (RFC 5280 §4.2.1.12).
std::vector<unsigned char> one_purpose(const char* oid, std::size_t oid_len) {
    unsigned char buf[64];
    unsigned char* p = buf + sizeof buf;
    std::size_t len = static_cast<std::size_t>(mbedtls_asn1_write_oid(&p, buf, oid, oid_len));
    len += static_cast<std::size_t>(mbedtls_asn1_write_len(&p, buf, len));
    mbedtls_asn1_write_tag(&p, buf, kSequence);
    return {p, buf + sizeof buf};
}

/// AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } (RFC 5280 §4.2.1.1).
std::vector<unsigned char> authority_key_id_der(const std::vector<unsigned char>& key_id) {
    std::vector<unsigned char> inner = {static_cast<unsigned char>(MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0),
                                        static_cast<unsigned char>(key_id.size())};
    inner.insert(inner.end(), key_id.begin(), key_id.end());
    std::vector<unsigned char> out = {static_cast<unsigned char>(kSequence), static_cast<unsigned char>(inner.size())};
    out.insert(out.end(), inner.begin(), inner.end());
    return out;
}
#endif

}  // namespace

Rng::Rng() {
    mbedtls_entropy_init(&m_entropy);
    mbedtls_ctr_drbg_init(&m_drbg);
    static const unsigned char pers[] = "sebind dev pki";
    m_ok = mbedtls_ctr_drbg_seed(&m_drbg, mbedtls_entropy_func, &m_entropy, pers, sizeof pers - 1) == 0;
}

Rng::~Rng() {
    mbedtls_ctr_drbg_free(&m_drbg);
    mbedtls_entropy_free(&m_entropy);
}

int Rng::random(void* self, unsigned char* out, std::size_t len) { return mbedtls_ctr_drbg_random(self, out, len); }

Result<std::vector<unsigned char>> encode_general_names(const std::vector<GeneralName>& names) {
    if (names.empty()) return Errc::invalid_argument;
    std::size_t capacity = 16;
    for (const auto& n : names) capacity += n.value.size() + 8;
    std::vector<unsigned char> buf(capacity);
    unsigned char* start = buf.data();
    unsigned char* p = start + buf.size();
    std::size_t len = 0;
    for (auto it = names.rbegin(); it != names.rend(); ++it) {
        // All the kinds we copy are primitive (IA5String or OCTET STRING), IMPLICIT-tagged.
        len += static_cast<std::size_t>(mbedtls_asn1_write_raw_buffer(&p, start, it->value.data(), it->value.size()));
        len += static_cast<std::size_t>(mbedtls_asn1_write_len(&p, start, it->value.size()));
        len += static_cast<std::size_t>(
            mbedtls_asn1_write_tag(&p, start, static_cast<unsigned char>(MBEDTLS_ASN1_CONTEXT_SPECIFIC | it->tag)));
    }
    len += static_cast<std::size_t>(mbedtls_asn1_write_len(&p, start, len));
    len += static_cast<std::size_t>(mbedtls_asn1_write_tag(&p, start, kSequence));
    return std::vector<unsigned char>(p, p + len);
}

Result<std::vector<GeneralName>> decode_general_names(DerView der) {
    std::vector<GeneralName> names;
    unsigned char* p = mut(der.data);
    const unsigned char* end = der.data + der.size;
    DerView seq;
    if (!expect_tlv(&p, end, kSequence, seq) || p != end) return Errc::invalid_argument;
    p = mut(seq.data);
    end = seq.data + seq.size;
    while (p < end) {
        int tag = 0;
        DerView value;
        if (!next_tlv(&p, end, tag, value)) return Errc::invalid_argument;
        const int number = tag & 0x1F;
        const bool primitive = (tag & MBEDTLS_ASN1_CONSTRUCTED) == 0;
        if ((tag & 0xC0) != MBEDTLS_ASN1_CONTEXT_SPECIFIC) return Errc::invalid_argument;
        if (primitive && (number == kSanEmail || number == kSanDns || number == kSanUri || number == kSanIp))
            names.push_back({static_cast<unsigned char>(number), {value.data, value.data + value.size}});
    }
    return names;
}

std::optional<DerView> find_extension(DerView extensions, const char* oid, std::size_t oid_len) {
    unsigned char* p = mut(extensions.data);
    const unsigned char* end = extensions.data + extensions.size;
    DerView content;
    if (p < end && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3)) {
        if (!expect_tlv(&p, end, *p, content)) return std::nullopt;
        p = mut(content.data);
        end = content.data + content.size;
    }
    if (!expect_tlv(&p, end, kSequence, content)) return std::nullopt;
    p = mut(content.data);
    end = content.data + content.size;
    while (p < end) {
        // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
        DerView ext, ext_oid, value;
        if (!expect_tlv(&p, end, kSequence, ext)) return std::nullopt;
        unsigned char* q = mut(ext.data);
        const unsigned char* ext_end = ext.data + ext.size;
        if (!expect_tlv(&q, ext_end, MBEDTLS_ASN1_OID, ext_oid)) return std::nullopt;
        DerView ignored;
        (void)expect_tlv(&q, ext_end, MBEDTLS_ASN1_BOOLEAN, ignored);
        if (!expect_tlv(&q, ext_end, MBEDTLS_ASN1_OCTET_STRING, value)) return std::nullopt;
        if (oid_is(ext_oid, oid, oid_len)) return value;
    }
    return std::nullopt;
}

Result<std::optional<DerView>> csr_extension_request(const mbedtls_x509_csr& csr) {
    // CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes [0] }
    static const char kExtensionRequest[] = MBEDTLS_OID_PKCS9 "\x0e";  // 1.2.840.113549.1.9.14
    unsigned char* p = csr.cri.p;
    const unsigned char* end = csr.cri.p + csr.cri.len;
    DerView info, skipped, attributes;
    if (!expect_tlv(&p, end, kSequence, info)) return Errc::invalid_argument;
    p = mut(info.data);
    end = info.data + info.size;
    if (!expect_tlv(&p, end, MBEDTLS_ASN1_INTEGER, skipped) || !expect_tlv(&p, end, kSequence, skipped) ||
        !expect_tlv(&p, end, kSequence, skipped))
        return Errc::invalid_argument;
    if (p == end) return std::optional<DerView>();
    if (!expect_tlv(&p, end, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED, attributes))
        return Errc::invalid_argument;
    p = mut(attributes.data);
    end = attributes.data + attributes.size;
    while (p < end) {
        // Attribute ::= SEQUENCE { type OID, values SET OF ANY }
        DerView attribute, type, values;
        if (!expect_tlv(&p, end, kSequence, attribute)) return Errc::invalid_argument;
        unsigned char* q = mut(attribute.data);
        const unsigned char* attr_end = attribute.data + attribute.size;
        if (!expect_tlv(&q, attr_end, MBEDTLS_ASN1_OID, type) || !expect_tlv(&q, attr_end, kSet, values))
            return Errc::invalid_argument;
        if (oid_is(type, kExtensionRequest, sizeof kExtensionRequest - 1)) {
            // The first (only) value is the Extensions SEQUENCE, returned with its header.
            unsigned char* v = mut(values.data);
            DerView exts;
            if (!expect_tlv(&v, values.data + values.size, kSequence, exts)) return Errc::invalid_argument;
            return std::optional<DerView>(
                DerView{values.data, static_cast<std::size_t>(exts.data + exts.size - values.data)});
        }
    }
    return std::optional<DerView>();
}

std::optional<std::vector<unsigned char>> subject_key_id(const mbedtls_x509_crt& crt) {
    if (crt.v3_ext.p == nullptr || crt.v3_ext.len == 0) return std::nullopt;
    // v3_ext points at the Extensions SEQUENCE itself in 2.28; find_extension accepts either form.
    const auto ext = find_extension({crt.v3_ext.p, crt.v3_ext.len}, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER,
                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER));
    if (!ext) return std::nullopt;
    unsigned char* p = mut(ext->data);
    DerView id;
    if (!expect_tlv(&p, ext->data + ext->size, MBEDTLS_ASN1_OCTET_STRING, id) || id.size == 0 || id.size > 64)
        return std::nullopt;
    return std::vector<unsigned char>(id.data, id.data + id.size);
}

// The development CA's certificate writing: mbedTLS 2.28 only (in Mbed TLS 3.6 the name writer is
// internal and the key identifiers need SHA-1; the mbedtls3 configuration has no development PKI).
#if MBEDTLS_VERSION_MAJOR < 3
Status copy_name(const mbedtls_x509_name& from, DerView raw, mbedtls_asn1_named_data** to) {
    mbedtls_asn1_free_named_data_list(to);
    // The parsed list is in DER order; the writer emits its list backwards, so prepend each copy.
    for (const mbedtls_x509_name* n = &from; n != nullptr; n = n->next) {
        if (n->oid.p == nullptr) continue;
        if (n->next_merged) return Status(Errc::not_supported);
        auto* copy = static_cast<mbedtls_asn1_named_data*>(std::calloc(1, sizeof(mbedtls_asn1_named_data)));
        if (!copy) return Status(Errc::buffer_too_small);
        copy->next = *to;
        *to = copy;
        copy->oid = n->oid;
        copy->val = n->val;
        copy->oid.p = static_cast<unsigned char*>(std::malloc(n->oid.len ? n->oid.len : 1));
        copy->val.p = static_cast<unsigned char*>(std::malloc(n->val.len ? n->val.len : 1));
        if (!copy->oid.p || !copy->val.p) return Status(Errc::buffer_too_small);
        std::memcpy(copy->oid.p, n->oid.p, n->oid.len);
        if (n->val.len) std::memcpy(copy->val.p, n->val.p, n->val.len);
    }
    // Prove the writer reproduces the original bytes; certificate chains compare names as DER.
    std::vector<unsigned char> buf(raw.size + 64);
    unsigned char* p = buf.data() + buf.size();
    const int len = mbedtls_x509_write_names(&p, buf.data(), *to);
    if (len < 0 || static_cast<std::size_t>(len) != raw.size || std::memcmp(p, raw.data, raw.size) != 0)
        return Status(Errc::not_supported);
    return Status::success();
}

Result<std::string> issue(CertWriter& w, Rng& rng, mbedtls_pk_context& subject_key, mbedtls_pk_context& issuer_key,
                          const IssueSpec& spec) {
    if (!rng.ok()) return Errc::hardware_failure;
    // A positive 127-bit random serial (RFC 5280 §4.1.2.2: at most 20 octets, unique per CA).
    unsigned char serial_bytes[16];
    if (Rng::random(rng.context(), serial_bytes, sizeof serial_bytes) != 0) return Errc::hardware_failure;
    serial_bytes[0] = static_cast<unsigned char>((serial_bytes[0] & 0x7F) | 0x01);
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    int rc = mbedtls_mpi_read_binary(&serial, serial_bytes, sizeof serial_bytes);
    if (rc == 0) rc = mbedtls_x509write_crt_set_serial(&w.crt, &serial);
    mbedtls_mpi_free(&serial);

    const bool big_ec = mbedtls_pk_can_do(&issuer_key, MBEDTLS_PK_ECKEY) && mbedtls_pk_get_bitlen(&issuer_key) >= 384;
    mbedtls_x509write_crt_set_version(&w.crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w.crt, big_ec ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w.crt, &subject_key);
    mbedtls_x509write_crt_set_issuer_key(&w.crt, &issuer_key);
    // Backdated a little so a device whose clock lags the CA's accepts it at once.
    const std::time_t now = std::time(nullptr);
    const std::string from = mbedtls_util::x509_time(now - 300),
                      to = mbedtls_util::x509_time(now + static_cast<std::time_t>(spec.days) * 86400);
    if (rc == 0) rc = mbedtls_x509write_crt_set_validity(&w.crt, from.c_str(), to.c_str());

    const bool ca = spec.profile == Profile::ca;
    // pathlen 0: the development CA signs end entities only.
    if (rc == 0) rc = mbedtls_x509write_crt_set_basic_constraints(&w.crt, ca ? 1 : 0, ca ? 0 : -1);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_key_usage(&w.crt, ca ? (MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)
                                                            : MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
    if (rc == 0 && !ca) {
        const auto eku = spec.profile == Profile::server
                             ? one_purpose(MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))
                             : one_purpose(MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH));
        rc = mbedtls_x509write_crt_set_extension(&w.crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, eku.data(),
                                                 eku.size());
    }
    if (rc == 0 && !spec.subject_alt_names.empty())
        rc = mbedtls_x509write_crt_set_extension(&w.crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                                 spec.subject_alt_names.data(), spec.subject_alt_names.size());
    if (rc == 0) rc = mbedtls_x509write_crt_set_subject_key_identifier(&w.crt);
    if (rc == 0 && spec.authority_key_id) {
        const auto aki = authority_key_id_der(*spec.authority_key_id);
        rc = mbedtls_x509write_crt_set_extension(&w.crt, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
                                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), 0, aki.data(),
                                                 aki.size());
    } else if (rc == 0) {
        rc = mbedtls_x509write_crt_set_authority_key_identifier(&w.crt);
    }
    std::vector<unsigned char> pem(16384);
    if (rc == 0) rc = mbedtls_x509write_crt_pem(&w.crt, pem.data(), pem.size(), Rng::random, rng.context());
    if (rc != 0) return Errc::invalid_argument;
    return std::string(reinterpret_cast<const char*>(pem.data()));
}

#endif  // MBEDTLS_VERSION_MAJOR < 3

}  // namespace sebind::identity::pki
