// SPDX-License-Identifier: Apache-2.0
// CSRs and the pairing check, both through the SE key object of sebind::tls (one signing path).
#include <array>
#include <cstring>

#include <arpa/inet.h>
#include <strings.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "pki_x509.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/field.hpp"
#include "sebind/mbedtls_util/se_key.hpp"

namespace sebind::identity {

namespace st = stsafe;

namespace {

/// The SE key needs no host randomness: the chip draws its own nonce.
int no_host_rng(void*, unsigned char*, std::size_t) { return MBEDTLS_ERR_MD_BAD_INPUT_DATA; }

/// SHA-256 for 256-bit curves, SHA-384 for 384-bit ones: the digest matches the key size.
mbedtls_md_type_t md_for(st::Curve c) {
    return st::curve_info(c).coordinate_size == 48 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256;
}

/// A DNS name as RFC 5280 §4.2.1.6 allows in a dNSName (preferred name syntax, RFC 1034 §3.5),
/// plus a leading "*." wildcard label and '_' (seen in service names): ASCII only, labels of
/// 1..63 characters, 253 at most in all. Anything else would be a certificate no CA should sign.
bool valid_dns_name(const std::string& name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t label = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        const bool wildcard = c == '*' && i == 0 && name.size() > 2 && name[1] == '.';
        const bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                         c == '_';
        if (!ldh && !wildcard) return false;
        if (++label > 63) return false;
    }
    return label != 0;
}

/// "DNS:name" / "IP:address" (either case; a bare name is a DNS name) as a GeneralName
/// (RFC 5280 §4.2.1.6): dNSName, or iPAddress of 4 or 16 octets.
Result<pki::GeneralName> alt_name(const std::string& entry) {
    const auto prefixed = [&](const char* p) {
        const std::size_t n = std::strlen(p);
        return entry.size() >= n && strncasecmp(entry.c_str(), p, n) == 0;
    };
    if (prefixed("IP:")) {
        const std::string text = entry.substr(3);
        std::array<unsigned char, 16> addr{};
        if (::inet_pton(AF_INET, text.c_str(), addr.data()) == 1)
            return pki::GeneralName{pki::kSanIp, {addr.begin(), addr.begin() + 4}};
        if (::inet_pton(AF_INET6, text.c_str(), addr.data()) == 1)
            return pki::GeneralName{pki::kSanIp, {addr.begin(), addr.end()}};
        return Errc::invalid_argument;
    }
    const std::string name = prefixed("DNS:") ? entry.substr(4) : entry;
    if (!valid_dns_name(name)) return Errc::invalid_argument;
    return pki::GeneralName{pki::kSanDns, {name.begin(), name.end()}};
}

/// Verifies a PEM request's signature with `key`'s public point. invalid_signature when it
/// does not verify (the recorded public key is not the slot's key).
Status check_csr_signature(const unsigned char* pem, mbedtls_pk_context& key) {
    mbedtls_x509_csr parsed;
    mbedtls_x509_csr_init(&parsed);
    struct Guard {
        mbedtls_x509_csr* c;
        ~Guard() { mbedtls_x509_csr_free(c); }
    } guard{&parsed};
    const std::size_t len = std::strlen(reinterpret_cast<const char*>(pem)) + 1;
    if (mbedtls_x509_csr_parse(&parsed, pem, len) != 0) return Status(Errc::invalid_argument);
    const mbedtls_md_type_t sig_md = parsed.SEBIND_MBEDTLS_FIELD(sig_md);
    const mbedtls_x509_buf& sig = parsed.SEBIND_MBEDTLS_FIELD(sig);
    const mbedtls_md_info_t* md = mbedtls_md_info_from_type(sig_md);
    if (!md) return Status(Errc::invalid_argument);
    std::uint8_t digest[MBEDTLS_MD_MAX_SIZE];
    if (mbedtls_md(md, parsed.cri.p, parsed.cri.len, digest) != 0) return Status(Errc::invalid_argument);
    return mbedtls_pk_verify(&key, sig_md, digest, mbedtls_md_get_size(md), sig.p, sig.len) == 0
               ? Status::success()
               : Status(Errc::invalid_signature);
}

}  // namespace

/// OpenSSL's "/CN=x/O=y" (`openssl req -subj`) as mbedTLS's "CN=x,O=y": RDNs in the same order,
/// "\/" a literal slash, a ',' in a value escaped. Other text is returned as it is.
std::string x509_name_text(const std::string& subject) {
    if (subject.empty() || subject[0] != '/') return subject;
    std::string out;
    for (std::size_t i = 1; i < subject.size(); ++i) {
        const char c = subject[i];
        if (c == '\\' && i + 1 < subject.size()) {
            const char next = subject[++i];
            if (next == ',') out += '\\';
            out += next;
        } else if (c == '/') {
            out += ',';
        } else if (c == ',') {
            out += "\\,";
        } else {
            out += c;
        }
    }
    return out;
}

Result<std::string> make_csr(st::Device& device, std::uint8_t slot, std::uint8_t zone, const std::string& subject,
                             const std::vector<std::string>& alt_names) {
    const std::string name_text = x509_name_text(subject);
    if (!check_subject(name_text).ok()) return Errc::invalid_argument;
    SEBIND_TRY_ASSIGN(st::PublicKey pub, slot_public_key(device, slot, zone));
    // A keygen cut short after Generate Key on another curve leaves a record of the old curve:
    // the recorded key is not the slot's, the same mismatch the signature check below finds.
    SEBIND_TRY_ASSIGN(st::Curve slot_curve, device.slot_curve(slot));
    if (slot_curve != pub.curve) return Errc::invalid_signature;
    mbedtls_pk_context key;
    mbedtls_pk_init(&key);
    mbedtls_x509write_csr csr;
    mbedtls_x509write_csr_init(&csr);
    struct Guard {
        mbedtls_pk_context* k;
        mbedtls_x509write_csr* c;
        ~Guard() {
            mbedtls_x509write_csr_free(c);
            mbedtls_pk_free(k);
        }
    } guard{&key, &csr};

    SEBIND_TRY(mbedtls_util::setup_se_key(key, device, slot, pub));
    mbedtls_x509write_csr_set_md_alg(&csr, md_for(pub.curve));
    mbedtls_x509write_csr_set_key(&csr, &key);
    if (mbedtls_x509write_csr_set_subject_name(&csr, name_text.c_str()) != 0) return Errc::invalid_argument;
    if (mbedtls_x509write_csr_set_key_usage(&csr, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0)
        return Errc::invalid_argument;
    if (!alt_names.empty()) {
        std::vector<pki::GeneralName> names;
        for (const auto& entry : alt_names) {
            SEBIND_TRY_ASSIGN(pki::GeneralName n, alt_name(entry));
            names.push_back(std::move(n));
        }
        SEBIND_TRY_ASSIGN(std::vector<unsigned char> san, pki::encode_general_names(names));
        if (mbedtls_x509write_csr_set_extension(&csr, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
#if MBEDTLS_VERSION_MAJOR >= 3
                                                0,  // not critical (3.x takes the flag)
#endif
                                                san.data(), san.size()) != 0)
            return Errc::invalid_argument;
    }
    std::vector<unsigned char> pem(kMaxCsrPemSize);
    const int rc = mbedtls_x509write_csr_pem(&csr, pem.data(), pem.size(), no_host_rng, nullptr);
    if (rc != 0) {
        const Status chip = mbedtls_util::se_key_last_error(key);
        if (!chip.ok()) return chip;
        const bool too_large = rc == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL || rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL ||
                               rc == MBEDTLS_ERR_X509_BUFFER_TOO_SMALL;
        return Status(too_large ? Errc::buffer_too_small : Errc::invalid_argument);
    }
    // The public key came from the zone record, the signature from the slot: if a keygen was cut
    // short after Generate Key, they differ and the CA would get a request nobody can verify.
    // Check the request's own signature before handing it out.
    SEBIND_TRY(check_csr_signature(pem.data(), key));
    return std::string(reinterpret_cast<const char*>(pem.data()));
}

Status verify_pair(st::Device& device, std::uint8_t slot, Bytes certificate_der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_context key;
    mbedtls_pk_init(&key);
    struct Guard {
        mbedtls_x509_crt* c;
        mbedtls_pk_context* k;
        ~Guard() {
            mbedtls_pk_free(k);
            mbedtls_x509_crt_free(c);
        }
    } guard{&crt, &key};
    if (mbedtls_x509_crt_parse_der(&crt, certificate_der.data(), certificate_der.size()) != 0)
        return Status(Errc::invalid_argument);
    auto cert_key = mbedtls_util::public_key_of(crt.pk);
    // The chip's keys are EC keys on its curves: any other key (RSA) cannot be the slot's.
    if (!cert_key)
        return cert_key.status().code() == Errc::not_supported ? Status(Errc::invalid_argument) : cert_key.status();
    SEBIND_TRY_ASSIGN(st::Curve curve, device.slot_curve(slot));
    if (curve != cert_key->curve) return Status(Errc::invalid_argument);

    // A fresh challenge from the chip, hashed as TLS would, signed through the SE key object
    // and checked with the certificate's key — never a key the application remembered.
    std::uint8_t challenge[32];
    SEBIND_TRY(device.generate_random(challenge));
    const mbedtls_md_type_t md = md_for(curve);
    std::uint8_t digest[64];
    mbedtls_md(mbedtls_md_info_from_type(md), challenge, sizeof challenge, digest);
    const std::size_t digest_size = mbedtls_md_get_size(mbedtls_md_info_from_type(md));
    SEBIND_TRY(mbedtls_util::setup_se_key(key, device, slot, *cert_key));
    std::uint8_t sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    std::size_t sig_len = 0;
#if MBEDTLS_VERSION_MAJOR >= 3
    const int signed_rc = mbedtls_pk_sign(&key, md, digest, digest_size, sig, sizeof sig, &sig_len, no_host_rng,
                                          nullptr);
#else
    const int signed_rc = mbedtls_pk_sign(&key, md, digest, digest_size, sig, &sig_len, no_host_rng, nullptr);
#endif
    if (signed_rc != 0) {
        const Status chip = mbedtls_util::se_key_last_error(key);
        return chip.ok() ? Status(Errc::hardware_failure) : chip;
    }
    return mbedtls_pk_verify(&crt.pk, md, digest, digest_size, sig, sig_len) == 0 ? Status::success()
                                                                                  : Status(Errc::invalid_signature);
}

std::string certificate_key_name(Bytes certificate_der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    std::string name = "an unreadable key";
    if (mbedtls_x509_crt_parse_der(&crt, certificate_der.data(), certificate_der.size()) == 0) {
        if (auto ec = mbedtls_util::public_key_of(crt.pk)) {
            name = std::string("an EC ") + st::curve_info(ec->curve).name + " key";
        } else if (mbedtls_pk_get_type(&crt.pk) == MBEDTLS_PK_RSA) {
            name = "an RSA-" + std::to_string(mbedtls_pk_get_bitlen(&crt.pk)) + " key";
        } else {
            name = std::string("a ") + mbedtls_pk_get_name(&crt.pk) + " key";
        }
    }
    mbedtls_x509_crt_free(&crt);
    return name;
}

}  // namespace sebind::identity
