// SPDX-License-Identifier: Apache-2.0
// `sign_csr`: the development CA (or any CA certificate + key in a directory) signs a PKCS#10
// request after checking its proof of possession; subject and subjectAltNames are copied exactly.
#include <cerrno>
#include <cstring>
#include <utility>

#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/platform_util.h>

#include "pki_x509.hpp"
#include "sebind/host/files.hpp"
#include "sebind/identity/dev_pki.hpp"

namespace sebind::identity {

namespace {

struct CsrHolder {
    mbedtls_x509_csr csr;
    CsrHolder() { mbedtls_x509_csr_init(&csr); }
    ~CsrHolder() { mbedtls_x509_csr_free(&csr); }
    CsrHolder(const CsrHolder&) = delete;
    CsrHolder& operator=(const CsrHolder&) = delete;
};

struct CrtHolder {
    mbedtls_x509_crt crt;
    CrtHolder() { mbedtls_x509_crt_init(&crt); }
    ~CrtHolder() { mbedtls_x509_crt_free(&crt); }
    CrtHolder(const CrtHolder&) = delete;
    CrtHolder& operator=(const CrtHolder&) = delete;
};

void set_detail(std::string* detail, const std::string& text) {
    if (detail) *detail = text;
}

/// mosquitto's use_identity_as_username makes the CN the MQTT username, and the development ACL
/// substitutes it into `devices/%u/#`: it must be one non-empty topic level without wildcards.
Status check_common_name(const mbedtls_x509_name& subject, std::string* detail) {
    SEBIND_TRY(pki::check_subject_names(&subject, detail));
    const mbedtls_x509_name* cn = &subject;
    while (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &cn->oid) != 0) cn = cn->next;  // there is one: checked above
    const std::string name(reinterpret_cast<const char*>(cn->val.p), cn->val.len);
    if (name == kMonitorCommonName) {
        set_detail(detail,
                   "CN 'monitor' is reserved for the broker's monitor identity (it may read every device's data)");
        return Status(Errc::not_supported);
    }
    return Status::success();
}

}  // namespace

Result<std::string> sign_csr(const std::string& ca_dir, const std::string& csr_text, std::uint32_t days,
                             std::string* detail) {
    if (days == 0 || days > 36500) {
        set_detail(detail, "validity must be 1..36500 days");
        return Errc::invalid_argument;
    }
    std::string ca_pem, ca_key_pem;
    for (const auto& [name, text] :
         {std::pair<const char*, std::string*>{"ca.pem", &ca_pem}, {"ca.key", &ca_key_pem}}) {
        const int err = host::read_file(ca_dir + "/" + name, host::limits::certificate, *text);
        if (err == EFBIG) {
            set_detail(detail, ca_dir + "/" + name + " is larger than " + host::size_text(host::limits::certificate) +
                                   ", the limit for a CA certificate or key");
            return Errc::corrupted_data;
        }
        if (err) {
            set_detail(detail, "no ca.pem and ca.key in " + ca_dir);
            return Errc::does_not_exist;
        }
    }
    CrtHolder ca;
    pki::PkKey ca_key;
    const int key_rc = mbedtls_pk_parse_key(&ca_key.ctx, reinterpret_cast<const unsigned char*>(ca_key_pem.c_str()),
                                            ca_key_pem.size() + 1, nullptr, 0);
    mbedtls_platform_zeroize(ca_key_pem.data(), ca_key_pem.size());
    if (mbedtls_x509_crt_parse(&ca.crt, reinterpret_cast<const unsigned char*>(ca_pem.c_str()), ca_pem.size() + 1) !=
            0 ||
        key_rc != 0) {
        set_detail(detail, ca_dir + "/ca.pem or ca.key is not a PEM certificate / unencrypted private key");
        return Errc::corrupted_data;
    }
    if (mbedtls_pk_check_pair(&ca.crt.pk, &ca_key.ctx) != 0) {
        set_detail(detail, ca_dir + "/ca.key is not the key of " + ca_dir + "/ca.pem");
        return Errc::corrupted_data;
    }
    if (!ca.crt.ca_istrue ||
        ((ca.crt.ext_types & MBEDTLS_X509_EXT_KEY_USAGE) && !(ca.crt.key_usage & MBEDTLS_X509_KU_KEY_CERT_SIGN))) {
        set_detail(detail, ca_dir + "/ca.pem is not a CA certificate (basicConstraints CA:TRUE with keyCertSign)");
        return Errc::not_permitted;
    }

    CsrHolder request;
    const bool pem = csr_text.find("-----BEGIN") != std::string::npos;
    std::vector<unsigned char> buf(csr_text.begin(), csr_text.end());
    if (pem) buf.push_back(0);  // mbedTLS detects PEM by the terminating NUL
    if (buf.empty() || mbedtls_x509_csr_parse(&request.csr, buf.data(), buf.size()) != 0) {
        set_detail(detail, "not a PKCS#10 certificate request (PEM or DER)");
        return Errc::invalid_argument;
    }
    mbedtls_x509_csr& csr = request.csr;
    // Proof of possession: the request is signed by the key it carries (RFC 2986 §3).
    const mbedtls_md_info_t* md = mbedtls_md_info_from_type(csr.sig_md);
    unsigned char hash[MBEDTLS_MD_MAX_SIZE];
    if (!md || mbedtls_md(md, csr.cri.p, csr.cri.len, hash) != 0 ||
        mbedtls_pk_verify_ext(csr.sig_pk, csr.sig_opts, &csr.pk, csr.sig_md, hash, mbedtls_md_get_size(md), csr.sig.p,
                              csr.sig.len) != 0) {
        set_detail(detail, "the request's signature does not verify with its own public key (altered or corrupted)");
        return Errc::invalid_signature;
    }
    SEBIND_TRY(check_common_name(csr.subject, detail));

    pki::CertWriter writer;
    if (Status st = pki::copy_name(csr.subject, {csr.subject_raw.p, csr.subject_raw.len}, &writer.crt.subject);
        !st.ok()) {
        set_detail(detail, "the request's subject uses multi-valued RDNs (A=x+B=y), which this CA cannot copy exactly");
        return st;
    }
    if (Status st = pki::copy_name(ca.crt.subject, {ca.crt.subject_raw.p, ca.crt.subject_raw.len}, &writer.crt.issuer);
        !st.ok()) {
        set_detail(detail, "the CA's subject uses multi-valued RDNs, which this CA cannot copy exactly");
        return st;
    }

    pki::IssueSpec spec;
    spec.profile = pki::Profile::client;
    spec.days = days;
    // Chain building matches authorityKeyIdentifier against the CA's subjectKeyIdentifier, which
    // another CA may have computed differently from RFC 5280's method 1: copy it when present.
    spec.authority_key_id = pki::subject_key_id(ca.crt);
    SEBIND_TRY_ASSIGN(auto requested, pki::csr_extension_request(csr));
    if (requested) {
        const auto san = pki::find_extension(*requested, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME));
        if (san) {
            auto names = pki::decode_general_names(*san);
            if (!names) {
                set_detail(detail, "the request's subjectAltName is malformed");
                return names.status();
            }
            if (!names->empty()) {
                SEBIND_TRY_ASSIGN(spec.subject_alt_names, pki::encode_general_names(*names));
            }
        }
    }
    pki::Rng rng;
    auto crt = pki::issue(writer, rng, csr.pk, ca_key.ctx, spec);
    if (!crt) set_detail(detail, "mbedTLS could not write the certificate");
    return crt;
}

}  // namespace sebind::identity
