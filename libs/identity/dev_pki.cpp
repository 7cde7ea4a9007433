// SPDX-License-Identifier: Apache-2.0
// Development PKI on mbedTLS x509write: CA, broker and monitor certificates, CSR signing, and the
// mosquitto configuration for mutual TLS with the device's CN as its username.
#include "sebind/identity/dev_pki.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

namespace sebind::identity {

namespace {

struct Drbg {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    bool ok;
    Drbg() {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        static const unsigned char pers[] = "sebind dev pki";
        ok = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, pers, sizeof pers) == 0;
    }
    ~Drbg() {
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
    }
};

struct Pk {
    mbedtls_pk_context ctx;
    Pk() { mbedtls_pk_init(&ctx); }
    ~Pk() { mbedtls_pk_free(&ctx); }
};

struct Writer {
    mbedtls_x509write_cert crt;
    Writer() { mbedtls_x509write_crt_init(&crt); }
    ~Writer() { mbedtls_x509write_crt_free(&crt); }
};

std::string x509_time(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

bool generate_key(Drbg& rng, Pk& key) {
    return mbedtls_pk_setup(&key.ctx, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
           mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key.ctx), mbedtls_ctr_drbg_random, &rng.drbg) == 0;
}

/// GeneralNames: DNS names ([2]) then IPv4 addresses ([7]) (RFC 5280 §4.2.1.6).
std::vector<unsigned char> general_names(const std::vector<std::string>& dns, const std::vector<std::array<unsigned char, 4>>& ips) {
    std::vector<unsigned char> buf(4096);
    unsigned char* start = buf.data();
    unsigned char* p = start + buf.size();
    std::size_t len = 0;
    auto item = [&](int tag, const unsigned char* data, std::size_t n) {
        int a = mbedtls_asn1_write_raw_buffer(&p, start, data, n);
        int b = mbedtls_asn1_write_len(&p, start, n);
        int c = mbedtls_asn1_write_tag(&p, start, static_cast<unsigned char>(MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag));
        len += static_cast<std::size_t>(a + b + c);
    };
    for (auto it = ips.rbegin(); it != ips.rend(); ++it) item(7, it->data(), it->size());
    for (auto it = dns.rbegin(); it != dns.rend(); ++it) item(2, reinterpret_cast<const unsigned char*>(it->data()), it->size());
    len += static_cast<std::size_t>(mbedtls_asn1_write_len(&p, start, len));
    len += static_cast<std::size_t>(mbedtls_asn1_write_tag(&p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
    return {p, p + len};
}

/// ExtKeyUsageSyntax with one purpose.
std::vector<unsigned char> eku(const char* oid, std::size_t oid_len) {
    unsigned char buf[64];
    unsigned char* p = buf + sizeof buf;
    std::size_t len = static_cast<std::size_t>(mbedtls_asn1_write_oid(&p, buf, oid, oid_len));
    len += static_cast<std::size_t>(mbedtls_asn1_write_len(&p, buf, len));
    len += static_cast<std::size_t>(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
    return {p, buf + sizeof buf};
}

struct CertSpec {
    std::string subject;
    std::string issuer;
    bool ca = false;
    std::uint32_t days = 825;
    std::vector<unsigned char> san;  // DER GeneralNames, empty = none
    bool server = false;
};

Result<std::string> issue(Drbg& rng, mbedtls_pk_context& subject_key, mbedtls_pk_context& issuer_key, const CertSpec& spec) {
    Writer w;
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    unsigned char serial_bytes[16];
    mbedtls_ctr_drbg_random(&rng.drbg, serial_bytes, sizeof serial_bytes);
    serial_bytes[0] &= 0x7F;
    const std::time_t now = std::time(nullptr);
    const std::string from = x509_time(now - 300), to = x509_time(now + static_cast<std::time_t>(spec.days) * 86400);
    int rc = mbedtls_mpi_read_binary(&serial, serial_bytes, sizeof serial_bytes);
    mbedtls_x509write_crt_set_version(&w.crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w.crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w.crt, &subject_key);
    mbedtls_x509write_crt_set_issuer_key(&w.crt, &issuer_key);
    if (rc == 0) rc = mbedtls_x509write_crt_set_serial(&w.crt, &serial);
    mbedtls_mpi_free(&serial);
    if (rc == 0) rc = mbedtls_x509write_crt_set_subject_name(&w.crt, spec.subject.c_str());
    if (rc == 0) rc = mbedtls_x509write_crt_set_issuer_name(&w.crt, spec.issuer.c_str());
    if (rc == 0) rc = mbedtls_x509write_crt_set_validity(&w.crt, from.c_str(), to.c_str());
    if (rc == 0) rc = mbedtls_x509write_crt_set_basic_constraints(&w.crt, spec.ca ? 1 : 0, spec.ca ? 0 : -1);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_key_usage(&w.crt, spec.ca ? (MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)
                                                                 : MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
    if (rc == 0) rc = mbedtls_x509write_crt_set_subject_key_identifier(&w.crt);
    if (rc == 0) rc = mbedtls_x509write_crt_set_authority_key_identifier(&w.crt);
    if (rc == 0 && !spec.ca) {
        const auto e = spec.server ? eku(MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))
                                   : eku(MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH));
        rc = mbedtls_x509write_crt_set_extension(&w.crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, e.data(), e.size());
    }
    if (rc == 0 && !spec.san.empty())
        rc = mbedtls_x509write_crt_set_extension(&w.crt, MBEDTLS_OID_SUBJECT_ALT_NAME, MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
                                                 0, spec.san.data(), spec.san.size());
    std::vector<unsigned char> pem(8192);
    if (rc == 0) rc = mbedtls_x509write_crt_pem(&w.crt, pem.data(), pem.size(), mbedtls_ctr_drbg_random, &rng.drbg);
    if (rc != 0) return Errc::invalid_argument;
    return std::string(reinterpret_cast<const char*>(pem.data()));
}

Status write_text(const std::string& path, const std::string& text, mode_t mode) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return Status(Errc::storage_failure);
    ::fchmod(fileno(f), mode);
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    return std::fclose(f) == 0 && ok ? Status::success() : Status(Errc::storage_failure);
}

Result<std::string> key_pem(mbedtls_pk_context& key) {
    std::vector<unsigned char> buf(2048);
    if (mbedtls_pk_write_key_pem(&key, buf.data(), buf.size()) != 0) return Errc::invalid_argument;
    return std::string(reinterpret_cast<const char*>(buf.data()));
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// DNS names from a CSR's extensionRequest attribute (PKCS#9), which mbedTLS 2.28 does not parse.
std::vector<std::string> csr_dns_names(const mbedtls_x509_csr& csr) {
    std::vector<std::string> names;
    // CertificationRequestInfo ::= SEQUENCE { version, subject, spki, [0] attributes }
    unsigned char* p = csr.cri.p;
    const unsigned char* end = csr.cri.p + csr.cri.len;
    std::size_t len = 0;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return names;
    end = p + len;
    for (int skip = 0; skip < 3; ++skip) {  // version, subject, subjectPKInfo
        unsigned char* q = p;
        if (mbedtls_asn1_get_tag(&q, end, &len, *p) != 0) return names;
        p = q + len;
    }
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED) != 0) return names;
    const unsigned char* attrs_end = p + len;
    static const unsigned char kExtReq[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x0E};
    static const unsigned char kSan[] = {0x55, 0x1D, 0x11};
    while (p < attrs_end) {
        if (mbedtls_asn1_get_tag(&p, attrs_end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return names;
        const unsigned char* attr_end = p + len;
        mbedtls_asn1_buf oid;
        if (mbedtls_asn1_get_tag(&p, attr_end, &oid.len, MBEDTLS_ASN1_OID) != 0) return names;
        oid.p = p;
        p += oid.len;
        if (oid.len == sizeof kExtReq && std::memcmp(oid.p, kExtReq, sizeof kExtReq) == 0) {
            // SET { Extensions ::= SEQUENCE OF Extension }
            if (mbedtls_asn1_get_tag(&p, attr_end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET) != 0 ||
                mbedtls_asn1_get_tag(&p, attr_end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
                return names;
            const unsigned char* exts_end = p + len;
            while (p < exts_end) {
                if (mbedtls_asn1_get_tag(&p, exts_end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return names;
                const unsigned char* ext_end = p + len;
                mbedtls_asn1_buf ext_oid;
                if (mbedtls_asn1_get_tag(&p, ext_end, &ext_oid.len, MBEDTLS_ASN1_OID) != 0) return names;
                ext_oid.p = p;
                p += ext_oid.len;
                int critical = 0;
                (void)mbedtls_asn1_get_bool(&p, ext_end, &critical);
                if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0) return names;
                if (ext_oid.len == sizeof kSan && std::memcmp(ext_oid.p, kSan, sizeof kSan) == 0) {
                    const unsigned char* san_end = p + len;
                    if (mbedtls_asn1_get_tag(&p, san_end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return names;
                    while (p < san_end) {
                        const unsigned char tag = *p;
                        if (mbedtls_asn1_get_tag(&p, san_end, &len, tag) != 0) return names;
                        if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)) names.emplace_back(reinterpret_cast<const char*>(p), len);
                        p += len;
                    }
                }
                p = const_cast<unsigned char*>(ext_end);
            }
        }
        p = const_cast<unsigned char*>(attr_end);
    }
    return names;
}

}  // namespace

Status create_dev_pki(const std::string& dir, const DevPkiOptions& options) {
    struct stat st {};
    if (::stat((dir + "/ca.pem").c_str(), &st) == 0 && !options.force) return Status(Errc::already_exists);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Status(Errc::storage_failure);
    Drbg rng;
    if (!rng.ok) return Status(Errc::hardware_failure);
    Pk ca, broker, monitor;
    if (!generate_key(rng, ca) || !generate_key(rng, broker) || !generate_key(rng, monitor)) return Status(Errc::hardware_failure);

    const std::string ca_name = "CN=sebind development CA,O=sebind dev";
    const CertSpec ca_spec{ca_name, ca_name, true, options.days + 365, {}, false};
    SEBIND_TRY_ASSIGN(std::string ca_pem, issue(rng, ca.ctx, ca.ctx, ca_spec));
    std::vector<std::string> dns = {"localhost"};
    dns.insert(dns.end(), options.hosts.begin(), options.hosts.end());
    const std::vector<std::array<unsigned char, 4>> ips = {{127, 0, 0, 1}};
    const CertSpec broker_spec{"CN=" + (options.hosts.empty() ? dns.front() : options.hosts.front()) + ",O=sebind dev broker",
                               ca_name, false, options.days, general_names(dns, ips), true};
    SEBIND_TRY_ASSIGN(std::string broker_pem, issue(rng, broker.ctx, ca.ctx, broker_spec));
    const CertSpec monitor_spec{"CN=monitor,O=sebind dev", ca_name, false, options.days, {}, false};
    SEBIND_TRY_ASSIGN(std::string monitor_pem, issue(rng, monitor.ctx, ca.ctx, monitor_spec));

    SEBIND_TRY_ASSIGN(std::string ca_key, key_pem(ca.ctx));
    SEBIND_TRY_ASSIGN(std::string broker_key, key_pem(broker.ctx));
    SEBIND_TRY_ASSIGN(std::string monitor_key, key_pem(monitor.ctx));
    char real[4096];
    const std::string abs = ::realpath(dir.c_str(), real) ? std::string(real) : dir;
    const std::string acl =
        "# sebind development broker ACL: the username is the client certificate's CN.\n"
        "# Each device reads and writes only its own subtree devices/<CN>/#.\n"
        "pattern readwrite devices/%u/#\n\n"
        "# The monitor identity (monitor.pem) may read every device's data.\n"
        "user monitor\n"
        "topic read devices/#\n";
    // Started as root, mosquitto would switch to user "mosquitto", which cannot read the 0600 keys
    // of whoever created this PKI: run it as that user instead.
    const passwd* owner = ::getpwuid(::geteuid());
    const std::string user = owner && owner->pw_name ? owner->pw_name : "mosquitto";
    const std::string conf =
        "# sebind development broker: mutual TLS, the device's certificate CN is its username.\n"
        "# Start with: mosquitto -c " + abs + "/mosquitto.conf\n"
        "user " + user + "\n"
        "per_listener_settings false\n"
        "allow_anonymous false\n"
        "persistence false\n"
        "connection_messages true\n"
        "log_dest stderr\n"
        "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
        "acl_file " + abs + "/acl\n\n"
        "listener " + std::to_string(options.port) + " 127.0.0.1\n"
        "cafile " + abs + "/ca.pem\n"
        "certfile " + abs + "/broker.pem\n"
        "keyfile " + abs + "/broker.key\n"
        "require_certificate true\n"
        "use_identity_as_username true\n"
        "tls_version tlsv1.2\n"
        "set_tcp_nodelay true\n";
    SEBIND_TRY(write_text(dir + "/ca.key", ca_key, 0600));
    SEBIND_TRY(write_text(dir + "/broker.key", broker_key, 0600));
    SEBIND_TRY(write_text(dir + "/monitor.key", monitor_key, 0600));
    SEBIND_TRY(write_text(dir + "/ca.pem", ca_pem, 0644));
    SEBIND_TRY(write_text(dir + "/broker.pem", broker_pem, 0644));
    SEBIND_TRY(write_text(dir + "/monitor.pem", monitor_pem, 0644));
    SEBIND_TRY(write_text(dir + "/acl", acl, 0644));
    return write_text(dir + "/mosquitto.conf", conf, 0644);
}

Result<std::string> sign_csr(const std::string& ca_dir, const std::string& csr_text, std::uint32_t days) {
    mbedtls_x509_crt ca;
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_csr csr;
    mbedtls_x509_csr_init(&csr);
    Pk ca_key;
    struct Guard {
        mbedtls_x509_crt* c;
        mbedtls_x509_csr* r;
        ~Guard() { mbedtls_x509_crt_free(c); mbedtls_x509_csr_free(r); }
    } guard{&ca, &csr};
    const std::string ca_pem = read_text(ca_dir + "/ca.pem"), key = read_text(ca_dir + "/ca.key");
    if (ca_pem.empty() || key.empty()) return Errc::does_not_exist;
    if (mbedtls_x509_crt_parse(&ca, reinterpret_cast<const unsigned char*>(ca_pem.c_str()), ca_pem.size() + 1) != 0 ||
        mbedtls_pk_parse_key(&ca_key.ctx, reinterpret_cast<const unsigned char*>(key.c_str()), key.size() + 1, nullptr, 0) != 0)
        return Errc::corrupted_data;
    std::vector<unsigned char> buf(csr_text.begin(), csr_text.end());
    buf.push_back(0);
    if (mbedtls_x509_csr_parse(&csr, buf.data(), csr_text.find("-----BEGIN") != std::string::npos ? buf.size() : csr_text.size()) != 0)
        return Errc::invalid_argument;
    // The request must be signed by the key it carries (proof of possession).
    const mbedtls_md_info_t* md = mbedtls_md_info_from_type(csr.sig_md);
    unsigned char hash[MBEDTLS_MD_MAX_SIZE];
    if (!md || mbedtls_md(md, csr.cri.p, csr.cri.len, hash) != 0 ||
        mbedtls_pk_verify_ext(csr.sig_pk, csr.sig_opts, &csr.pk, csr.sig_md, hash, mbedtls_md_get_size(md), csr.sig.p, csr.sig.len) != 0)
        return Errc::invalid_signature;
    char subject[1024], issuer[1024];
    if (mbedtls_x509_dn_gets(subject, sizeof subject, &csr.subject) < 0 || mbedtls_x509_dn_gets(issuer, sizeof issuer, &ca.subject) < 0)
        return Errc::invalid_argument;
    Drbg rng;
    const auto dns = csr_dns_names(csr);
    const CertSpec spec{subject, issuer, false, days, dns.empty() ? std::vector<unsigned char>() : general_names(dns, {}), false};
    return issue(rng, csr.pk, ca_key.ctx, spec);
}

}  // namespace sebind::identity
