// SPDX-License-Identifier: Apache-2.0
// The gaps between what the server wants, what the chip holds and what the configuration enables.
#include "sebind/doctor/diagnose.hpp"

#include <algorithm>

namespace sebind::doctor {

namespace {

enum class Feature : std::uint8_t {
    ssl_client,
    x509,
    tls12,
    tls13,
    tls13_ephemeral,
    psa,
    sha1,
    sha256,
    sha384,
    aes,
    gcm,
    ccm,
    chachapoly,
    cbc,
    kx_ecdhe_ecdsa,
    kx_ecdhe_rsa,
    ecdh,
    ecdsa,
    rsa,
    p256,
    p384,
    p521,
    bp256,
    bp384,
    x25519,
};

/// A feature and the macros that turn it on: in a 2.28 configuration (nullptr: 2.28 has none),
/// in a 3.6 one, and its PSA_WANT_ alternative in 3.6 (nullptr: none).
struct FeatureMacros {
    Feature feature;
    const char* what;
    const char* v2;
    const char* v3;
    const char* psa;
};

constexpr FeatureMacros kFeatures[] = {
    {Feature::ssl_client, "the TLS client", "MBEDTLS_SSL_CLI_C", "MBEDTLS_SSL_CLI_C", nullptr},
    {Feature::x509, "X.509 certificates", "MBEDTLS_X509_CRT_PARSE_C", "MBEDTLS_X509_CRT_PARSE_C", nullptr},
    {Feature::tls12, "TLS 1.2", "MBEDTLS_SSL_PROTO_TLS1_2", "MBEDTLS_SSL_PROTO_TLS1_2", nullptr},
    {Feature::tls13, "TLS 1.3", nullptr, "MBEDTLS_SSL_PROTO_TLS1_3", nullptr},
    {Feature::tls13_ephemeral, "the TLS 1.3 ECDHE key exchange", nullptr,
     "MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED", nullptr},
    {Feature::psa, "PSA crypto (TLS 1.3 needs it)", nullptr, "MBEDTLS_PSA_CRYPTO_C", nullptr},
    {Feature::sha1, "SHA-1", "MBEDTLS_SHA1_C", "MBEDTLS_SHA1_C", "PSA_WANT_ALG_SHA_1"},
    {Feature::sha256, "SHA-256", "MBEDTLS_SHA256_C", "MBEDTLS_SHA256_C", "PSA_WANT_ALG_SHA_256"},
    {Feature::sha384, "SHA-384", "MBEDTLS_SHA512_C", "MBEDTLS_SHA384_C", "PSA_WANT_ALG_SHA_384"},
    {Feature::aes, "AES", "MBEDTLS_AES_C", "MBEDTLS_AES_C", "PSA_WANT_KEY_TYPE_AES"},
    {Feature::gcm, "GCM", "MBEDTLS_GCM_C", "MBEDTLS_GCM_C", "PSA_WANT_ALG_GCM"},
    {Feature::ccm, "CCM", "MBEDTLS_CCM_C", "MBEDTLS_CCM_C", "PSA_WANT_ALG_CCM"},
    {Feature::chachapoly, "ChaCha20-Poly1305", "MBEDTLS_CHACHAPOLY_C", "MBEDTLS_CHACHAPOLY_C",
     "PSA_WANT_ALG_CHACHA20_POLY1305"},
    {Feature::cbc, "CBC", "MBEDTLS_CIPHER_MODE_CBC", "MBEDTLS_CIPHER_MODE_CBC", "PSA_WANT_ALG_CBC_NO_PADDING"},
    {Feature::kx_ecdhe_ecdsa, "the ECDHE-ECDSA key exchange", "MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED",
     "MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED", nullptr},
    {Feature::kx_ecdhe_rsa, "the ECDHE-RSA key exchange", "MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED",
     "MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED", nullptr},
    {Feature::ecdh, "ECDH", "MBEDTLS_ECDH_C", "MBEDTLS_ECDH_C", "PSA_WANT_ALG_ECDH"},
    {Feature::ecdsa, "ECDSA", "MBEDTLS_ECDSA_C", "MBEDTLS_ECDSA_C", "PSA_WANT_ALG_ECDSA"},
    {Feature::rsa, "RSA", "MBEDTLS_RSA_C", "MBEDTLS_RSA_C", "PSA_WANT_KEY_TYPE_RSA_PUBLIC_KEY"},
    {Feature::p256, "P-256", "MBEDTLS_ECP_DP_SECP256R1_ENABLED", "MBEDTLS_ECP_DP_SECP256R1_ENABLED",
     "PSA_WANT_ECC_SECP_R1_256"},
    {Feature::p384, "P-384", "MBEDTLS_ECP_DP_SECP384R1_ENABLED", "MBEDTLS_ECP_DP_SECP384R1_ENABLED",
     "PSA_WANT_ECC_SECP_R1_384"},
    {Feature::p521, "P-521", "MBEDTLS_ECP_DP_SECP521R1_ENABLED", "MBEDTLS_ECP_DP_SECP521R1_ENABLED",
     "PSA_WANT_ECC_SECP_R1_521"},
    {Feature::bp256, "brainpoolP256r1", "MBEDTLS_ECP_DP_BP256R1_ENABLED", "MBEDTLS_ECP_DP_BP256R1_ENABLED",
     "PSA_WANT_ECC_BRAINPOOL_P_R1_256"},
    {Feature::bp384, "brainpoolP384r1", "MBEDTLS_ECP_DP_BP384R1_ENABLED", "MBEDTLS_ECP_DP_BP384R1_ENABLED",
     "PSA_WANT_ECC_BRAINPOOL_P_R1_384"},
    {Feature::x25519, "X25519", "MBEDTLS_ECP_DP_CURVE25519_ENABLED", "MBEDTLS_ECP_DP_CURVE25519_ENABLED",
     "PSA_WANT_ECC_MONTGOMERY_255"},
};

const FeatureMacros& macros(Feature f) {
    for (const auto& m : kFeatures)
        if (m.feature == f) return m;
    return kFeatures[0];
}

bool v3(const MbedtlsConfig& c) { return c.style == ConfigStyle::mbedtls_3_6; }

bool enabled(const MbedtlsConfig& c, Feature f) {
    const auto& m = macros(f);
    if (!v3(c)) {
        if (f == Feature::sha384 && c.has("MBEDTLS_SHA512_NO_SHA384")) return false;
        return m.v2 != nullptr && c.has(m.v2);
    }
    return c.has(m.v3) || (m.psa != nullptr && c.has(m.psa));
}

/// The macro that turns `f` on in this configuration's style, as the fix says it.
std::string fix(const MbedtlsConfig& c, Feature f) {
    const auto& m = macros(f);
    if (!v3(c)) {
        if (m.v2 == nullptr)
            return std::string("Mbed TLS 2.28 has no ") + m.what + ": move to Mbed TLS 3.6 and define " + m.v3;
        if (f == Feature::sha384 && c.has("MBEDTLS_SHA512_NO_SHA384"))
            return "remove MBEDTLS_SHA512_NO_SHA384 (MBEDTLS_SHA512_C then covers SHA-384)";
        return std::string("define ") + m.v2;
    }
    std::string text = std::string("define ") + m.v3;
    if (m.psa != nullptr) text += std::string(" (or ") + m.psa + " with MBEDTLS_PSA_CRYPTO_CONFIG)";
    return text;
}

std::string macro_name(const MbedtlsConfig& c, Feature f) {
    const auto& m = macros(f);
    return v3(c) || m.v2 == nullptr ? m.v3 : m.v2;
}

std::vector<Feature> needs(const SuiteInfo& s) {
    std::vector<Feature> n;
    switch (s.kx) {
        case KeyExchange::ecdhe_ecdsa:
            n = {Feature::tls12, Feature::kx_ecdhe_ecdsa, Feature::ecdh, Feature::ecdsa};
            break;
        case KeyExchange::ecdhe_rsa: n = {Feature::tls12, Feature::kx_ecdhe_rsa, Feature::ecdh, Feature::rsa}; break;
        case KeyExchange::tls13: n = {Feature::tls13, Feature::tls13_ephemeral, Feature::psa, Feature::ecdh}; break;
    }
    switch (s.cipher) {
        case Cipher::aes_gcm: n.insert(n.end(), {Feature::aes, Feature::gcm}); break;
        case Cipher::aes_ccm:
        case Cipher::aes_ccm8: n.insert(n.end(), {Feature::aes, Feature::ccm}); break;
        case Cipher::chachapoly: n.push_back(Feature::chachapoly); break;
        case Cipher::aes_cbc: n.insert(n.end(), {Feature::aes, Feature::cbc}); break;
    }
    switch (s.hash) {
        case Hash::sha1: n.insert(n.end(), {Feature::sha1, Feature::sha256}); break;  // HMAC-SHA1, PRF SHA-256
        case Hash::sha256: n.push_back(Feature::sha256); break;
        case Hash::sha384: n.push_back(Feature::sha384); break;
    }
    return n;
}

std::optional<Feature> group_feature(std::uint16_t group) {
    switch (group) {
        case 0x0017: return Feature::p256;
        case 0x0018: return Feature::p384;
        case 0x0019: return Feature::p521;
        case 0x001A:
        case 0x001F: return Feature::bp256;
        case 0x001B:
        case 0x0020: return Feature::bp384;
        case 0x001D: return Feature::x25519;
        default: return std::nullopt;
    }
}

std::vector<Feature> missing(const MbedtlsConfig& c, const std::vector<Feature>& need) {
    std::vector<Feature> out;
    for (const Feature f : need)
        if (!enabled(c, f) && std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    return out;
}

/// "define MBEDTLS_SHA384_C; define MBEDTLS_GCM_C".
std::string fixes(const MbedtlsConfig& c, const std::vector<Feature>& lacking) {
    std::string text;
    for (const Feature f : lacking) text += (text.empty() ? "" : "; ") + fix(c, f);
    return text;
}

std::string joined(const std::vector<std::string>& items, const char* last = ", ") {
    std::string text;
    for (std::size_t i = 0; i < items.size(); ++i)
        text += (i == 0 ? "" : i + 1 == items.size() ? last : ", ") + items[i];
    return text;
}

/// Whether the configuration can use one of the version's suites and one of its groups; when not,
/// the findings that say why.
bool version_works(const VersionProbe& v, const char* version, const MbedtlsConfig& c, std::vector<Finding>& out) {
    const SuiteInfo* best = nullptr;
    std::vector<Feature> best_missing;
    for (const auto id : v.suites) {
        const SuiteInfo* s = suite_info(id);
        if (s == nullptr) continue;
        const auto m = missing(c, needs(*s));
        if (best == nullptr || m.size() < best_missing.size()) {
            best = s;
            best_missing = m;
        }
    }
    std::vector<std::string> groups;
    bool group_ok = v.groups.empty();  // none seen: nothing to hold against the configuration
    for (const auto g : v.groups) {
        groups.push_back(group_name(g));
        if (const auto f = group_feature(g); f && enabled(c, *f)) group_ok = true;
    }
    const bool suite_ok = best == nullptr || best_missing.empty();  // only unknown suites: no verdict
    if (suite_ok && group_ok) return true;
    if (!suite_ok && best != nullptr) {
        std::vector<std::string> names;
        for (const auto id : v.suites) names.push_back(suite_name(id));
        std::vector<std::string> what;
        for (const Feature f : best_missing) what.push_back(macros(f).what);
        const std::string lead = v.suites.size() == 1
                                     ? std::string("the server's only ") + version + " suite " + best->name
                                     : std::string("none of the server's ") + version + " suites (" + joined(names) +
                                           ") works with this configuration; the nearest, " + best->name + ",";
        out.push_back(
            {Finding::Level::gap, "suite", lead + " needs " + joined(what, " and ") + ": " + fixes(c, best_missing)});
    }
    if (!group_ok && !v.groups.empty()) {
        std::vector<Feature> lacking;
        for (const auto g : v.groups)
            if (const auto f = group_feature(g)) lacking.push_back(*f);
        std::vector<std::string> defines;
        for (const Feature f : lacking) defines.push_back(macro_name(c, f));
        out.push_back({Finding::Level::gap, "group",
                       std::string("the server's ") + version + " ECDHE groups (" + joined(groups) +
                           ") are all off in this configuration: define " + defines.front() +
                           (defines.size() > 1 ? " (or one of " + joined(defines) + ")" : std::string())});
    }
    return false;
}

Feature curve_feature(stsafe::Curve curve) {
    switch (curve) {
        case stsafe::Curve::p256: return Feature::p256;
        case stsafe::Curve::p384: return Feature::p384;
        case stsafe::Curve::brainpool_p256r1: return Feature::bp256;
        case stsafe::Curve::brainpool_p384r1: return Feature::bp384;
    }
    return Feature::p256;
}

}  // namespace

const char* curve_macro(stsafe::Curve curve) { return macros(curve_feature(curve)).v2; }

std::vector<Finding> diagnose(const ServerProbe& server, const ServerCertificate& certificate, const ChipSlot& chip,
                              const MbedtlsConfig& config, const std::string& ca_file, const std::string& host) {
    std::vector<Finding> out;
    const auto gap = [&](const char* code, std::string text) {
        out.push_back({Finding::Level::gap, code, std::move(text)});
    };
    const auto& c = config;

    // The protocol: a version both sides have, then a suite and a group in it.
    for (const Feature f : {Feature::ssl_client, Feature::x509})
        if (!enabled(c, f)) gap("config", std::string("the configuration lacks ") + macros(f).what + ": " + fix(c, f));
    const VersionProbe& v12 = server.tls12;
    const VersionProbe& v13 = server.tls13;
    if (!v12.accepted && !v13.accepted) {
        gap("tls_version", server.static_rsa_suite.empty()
                               ? "the server accepts none of the ECDHE suites a device offers (TLS 1.2 or 1.3)" +
                                     std::string(v12.alert ? " and answers " + tls::alert_name(*v12.alert) : "") +
                                     " — allow ECDHE-ECDSA or ECDHE-RSA suites on the server"
                               : "the server offers only RSA key exchange (" + server.static_rsa_suite +
                                     "): no forward secrecy, and the device does ECDHE only — enable ECDHE suites "
                                     "on the server");
    } else {
        const bool can12 = enabled(c, Feature::tls12);
        const bool can13 = enabled(c, Feature::tls13);
        if (!v12.accepted && !can13) {
            gap("tls_version", "the server accepts only TLS 1.3 and the configuration lacks " +
                                   macro_name(c, Feature::tls13) + ": " + fix(c, Feature::tls13));
        } else if (!v13.accepted && !can12) {
            gap("tls_version", "the server accepts only TLS 1.2 and the configuration lacks " +
                                   macro_name(c, Feature::tls12) + ": " + fix(c, Feature::tls12));
        } else if (!can12 && !can13) {
            gap("tls_version", "the server accepts TLS 1.2 and TLS 1.3 and the configuration enables neither: " +
                                   fix(c, Feature::tls12));
        } else {
            std::vector<Finding> why12, why13;
            const bool ok12 = can12 && v12.accepted && version_works(v12, "TLS 1.2", c, why12);
            const bool ok13 = can13 && v13.accepted && version_works(v13, "TLS 1.3", c, why13);
            if (!ok12 && !ok13) {
                out.insert(out.end(), why12.begin(), why12.end());
                out.insert(out.end(), why13.begin(), why13.end());
            }
        }
    }

    // The server's certificate (TLS 1.2 shows it; TLS 1.3 encrypts it).
    if (certificate.present) {
        if (!certificate.verifies)
            gap("server_untrusted", "the server's certificate (" + certificate.subject + ", issued by " +
                                        certificate.issuer + ") does not verify against --ca " + ca_file + " (" +
                                        certificate.verify_error + ") — pass the CA that issued it as --ca");
        if (!certificate.names_host)
            gap("server_hostname", "the server's certificate (" + certificate.subject + ") is not issued for '" + host +
                                       "' — connect by a DNS name in its subjectAltName (or an IP address it lists "
                                       "as iPAddress)");
        if (certificate.rsa && !enabled(c, Feature::rsa))
            gap("server_key", "the server's certificate has an " + certificate.key +
                                  " key and the configuration lacks RSA: " + fix(c, Feature::rsa));
        if (const auto f = group_feature(certificate.key_group); f && !enabled(c, *f))
            gap("server_key", "the server's certificate has an " + certificate.key + " key and " + macro_name(c, *f) +
                                  " is off: " + fix(c, *f));
        if (certificate.signed_sha384 && !enabled(c, Feature::sha384))
            gap("server_key", "the server's certificate chain is signed with SHA-384 and the configuration lacks it: " +
                                  fix(c, Feature::sha384));
    }

    // The chip's key in the configuration.
    if (chip.inspected && chip.curve) {
        const std::string slot = "slot " + std::to_string(chip.slot);
        const Feature f = curve_feature(*chip.curve);
        if (!enabled(c, f))
            gap("slot_curve", slot + " holds a " + stsafe::curve_info(*chip.curve).name + " key and " +
                                  macro_name(c, f) + " is off: " + fix(c, f));
        if (!enabled(c, Feature::ecdsa))
            gap("slot_curve", slot + " signs with ECDSA and the configuration lacks it: " + fix(c, Feature::ecdsa));
    }
    if (chip.inspected && !chip.problem.empty()) gap("slot", chip.problem);

    // What the server asks of the client (visible in TLS 1.2).
    const ServerFlight& f = v12.first;
    if (v12.accepted) {
        if (!f.certificate_request) {
            out.push_back({Finding::Level::warning, "no_client_certificate",
                           "the server does not ask for a client certificate: the handshake succeeds but the device "
                           "is not authenticated by its chip key — require one on the server (mosquitto: "
                           "require_certificate true; openssl s_server: -Verify 1)"});
        } else {
            if (std::find(f.certificate_types.begin(), f.certificate_types.end(), 64) == f.certificate_types.end())
                gap("client_certificate_type",
                    "the server accepts only non-ECDSA client certificates (certificate types without ecdsa_sign) — "
                    "the chip's key is ECDSA: allow ECDSA client certificates on the server");
            bool ecdsa_ok = false;
            std::vector<std::string> schemes;
            for (const auto s : f.client_signature_algorithms) {
                schemes.push_back(signature_name(s));
                if ((s == 0x0403 && enabled(c, Feature::sha256)) || (s == 0x0503 && enabled(c, Feature::sha384)))
                    ecdsa_ok = true;
            }
            if (!ecdsa_ok)
                gap("client_signature", "the server accepts client signatures only as " + joined(schemes) +
                                            " — the chip signs ECDSA with SHA-256 or SHA-384 (enable one of them in "
                                            "the configuration, and allow ecdsa_secp256r1_sha256 or "
                                            "ecdsa_secp384r1_sha384 on the server)");
            if (chip.inspected && !chip.issuer_der.empty() && !f.ca_names.empty() &&
                std::find(f.ca_names.begin(), f.ca_names.end(), chip.issuer_der) == f.ca_names.end()) {
                std::vector<std::string> names;
                for (const auto& n : f.ca_names) names.push_back("'" + dn_text(n) + "'");
                gap("client_ca", "the server asks for client certificates from CA " + joined(names) +
                                     " but the device certificate was issued by '" + chip.issuer +
                                     "' — add that CA to the server's client CA file (mosquitto: cafile; "
                                     "openssl s_server: -CAfile)");
            }
        }
    }
    return out;
}

}  // namespace sebind::doctor
