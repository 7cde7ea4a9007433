// SPDX-License-Identifier: Apache-2.0
// Reading a user's Mbed TLS configuration header, and the configuration this program was built with.
#include "sebind/doctor/mbedtls_config.hpp"

#include <mbedtls/version.h>  // includes the build's configuration (config.h in 2.x, build_info.h in 3.x)

namespace sebind::doctor {

namespace {

bool name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view trim_left(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}

/// "NAME..." -> NAME (empty when the text does not start with a name).
std::string_view leading_name(std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && name_char(s[n])) ++n;
    return s.substr(0, n);
}

/// "# define" and "#define" alike: the directive after '#', or "".
std::string_view directive(std::string_view line, std::string_view& rest) {
    line = trim_left(line);
    if (line.empty() || line.front() != '#') return {};
    line = trim_left(line.substr(1));
    const std::string_view word = leading_name(line);
    rest = trim_left(line.substr(word.size()));
    return word;
}

// Names only Mbed TLS 3.x configurations carry.
constexpr std::string_view kOnly3[] = {"MBEDTLS_SHA384_C", "MBEDTLS_SSL_PROTO_TLS1_3", "MBEDTLS_CONFIG_VERSION",
                                       "MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED",
                                       "MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE"};

}  // namespace

const char* style_name(ConfigStyle style) {
    return style == ConfigStyle::mbedtls_3_6 ? "Mbed TLS 3.6" : "Mbed TLS 2.28";
}

MbedtlsConfig parse_mbedtls_config(std::string_view text, std::string source) {
    MbedtlsConfig c;
    c.source = std::move(source);
    if (text.size() > kMaxConfigBytes) text = text.substr(0, kMaxConfigBytes);
    bool in_block_comment = false;
    while (!text.empty()) {
        const std::size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        // Drop /* ... */ comments (they may span lines); what is left of the line is code.
        std::string code;
        for (std::size_t i = 0; i < line.size(); ++i) {
            const std::string_view two = line.substr(i, 2);
            if (in_block_comment && two == "*/") {
                in_block_comment = false;
                ++i;
            } else if (!in_block_comment && two == "/*") {
                in_block_comment = true;
                ++i;
            } else if (!in_block_comment) {
                code.push_back(line[i]);
            }
        }
        std::string_view s = trim_left(code);
        bool commented = false;
        if (s.substr(0, 2) == "//") {  // "//#define NAME": the way a header shows an option that is off
            commented = true;
            s = trim_left(s.substr(2));
        } else if (const std::size_t cut = s.find("//"); cut != std::string_view::npos) {
            s = s.substr(0, cut);
        }
        std::string_view rest;
        const std::string_view word = directive(s, rest);
        if (word != "define" && word != "undef") continue;
        const std::string_view name = leading_name(rest);
        if (name.empty()) continue;
        c.mentioned.emplace(name);
        if (commented) continue;
        if (word == "define")
            c.defined.emplace(name);
        else
            c.defined.erase(std::string(name));
    }
    for (const std::string_view n : kOnly3)
        if (c.mentioned.count(n) > 0) c.style = ConfigStyle::mbedtls_3_6;
    for (const auto& n : c.mentioned)
        if (n.rfind("PSA_WANT_", 0) == 0) c.style = ConfigStyle::mbedtls_3_6;
    return c;
}

MbedtlsConfig build_mbedtls_config() {
    MbedtlsConfig c;
    c.source = "the configuration of the Mbed TLS " MBEDTLS_VERSION_STRING " this sebind is built with";
#if MBEDTLS_VERSION_MAJOR >= 3
    c.style = ConfigStyle::mbedtls_3_6;
#endif
#ifdef MBEDTLS_SSL_CLI_C
    c.defined.insert("MBEDTLS_SSL_CLI_C");
#endif
#ifdef MBEDTLS_SSL_TLS_C
    c.defined.insert("MBEDTLS_SSL_TLS_C");
#endif
#ifdef MBEDTLS_SSL_PROTO_TLS1_2
    c.defined.insert("MBEDTLS_SSL_PROTO_TLS1_2");
#endif
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
    c.defined.insert("MBEDTLS_SSL_PROTO_TLS1_3");
#endif
#ifdef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
    c.defined.insert("MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED");
#endif
#ifdef MBEDTLS_X509_CRT_PARSE_C
    c.defined.insert("MBEDTLS_X509_CRT_PARSE_C");
#endif
#ifdef MBEDTLS_ECDSA_C
    c.defined.insert("MBEDTLS_ECDSA_C");
#endif
#ifdef MBEDTLS_ECDH_C
    c.defined.insert("MBEDTLS_ECDH_C");
#endif
#ifdef MBEDTLS_ECP_C
    c.defined.insert("MBEDTLS_ECP_C");
#endif
#ifdef MBEDTLS_RSA_C
    c.defined.insert("MBEDTLS_RSA_C");
#endif
#ifdef MBEDTLS_SHA1_C
    c.defined.insert("MBEDTLS_SHA1_C");
#endif
#ifdef MBEDTLS_SHA256_C
    c.defined.insert("MBEDTLS_SHA256_C");
#endif
#ifdef MBEDTLS_SHA384_C
    c.defined.insert("MBEDTLS_SHA384_C");
#endif
#ifdef MBEDTLS_SHA512_C
    c.defined.insert("MBEDTLS_SHA512_C");
#endif
#ifdef MBEDTLS_SHA512_NO_SHA384
    c.defined.insert("MBEDTLS_SHA512_NO_SHA384");
#endif
#ifdef MBEDTLS_AES_C
    c.defined.insert("MBEDTLS_AES_C");
#endif
#ifdef MBEDTLS_GCM_C
    c.defined.insert("MBEDTLS_GCM_C");
#endif
#ifdef MBEDTLS_CCM_C
    c.defined.insert("MBEDTLS_CCM_C");
#endif
#ifdef MBEDTLS_CHACHAPOLY_C
    c.defined.insert("MBEDTLS_CHACHAPOLY_C");
#endif
#ifdef MBEDTLS_CIPHER_MODE_CBC
    c.defined.insert("MBEDTLS_CIPHER_MODE_CBC");
#endif
#ifdef MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
    c.defined.insert("MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED");
#endif
#ifdef MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
    c.defined.insert("MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED");
#endif
#ifdef MBEDTLS_ECP_DP_SECP256R1_ENABLED
    c.defined.insert("MBEDTLS_ECP_DP_SECP256R1_ENABLED");
#endif
#ifdef MBEDTLS_ECP_DP_SECP384R1_ENABLED
    c.defined.insert("MBEDTLS_ECP_DP_SECP384R1_ENABLED");
#endif
#ifdef MBEDTLS_ECP_DP_SECP521R1_ENABLED
    c.defined.insert("MBEDTLS_ECP_DP_SECP521R1_ENABLED");
#endif
#ifdef MBEDTLS_ECP_DP_BP256R1_ENABLED
    c.defined.insert("MBEDTLS_ECP_DP_BP256R1_ENABLED");
#endif
#ifdef MBEDTLS_ECP_DP_BP384R1_ENABLED
    c.defined.insert("MBEDTLS_ECP_DP_BP384R1_ENABLED");
#endif
#ifdef MBEDTLS_ECP_DP_CURVE25519_ENABLED
    c.defined.insert("MBEDTLS_ECP_DP_CURVE25519_ENABLED");
#endif
#ifdef MBEDTLS_USE_PSA_CRYPTO
    c.defined.insert("MBEDTLS_USE_PSA_CRYPTO");
#endif
#ifdef MBEDTLS_PSA_CRYPTO_C
    c.defined.insert("MBEDTLS_PSA_CRYPTO_C");
#endif
#ifdef MBEDTLS_PSA_CRYPTO_CONFIG
    c.defined.insert("MBEDTLS_PSA_CRYPTO_CONFIG");
#endif
#ifdef PSA_WANT_ALG_SHA_1
    c.defined.insert("PSA_WANT_ALG_SHA_1");
#endif
#ifdef PSA_WANT_ALG_SHA_256
    c.defined.insert("PSA_WANT_ALG_SHA_256");
#endif
#ifdef PSA_WANT_ALG_SHA_384
    c.defined.insert("PSA_WANT_ALG_SHA_384");
#endif
#ifdef PSA_WANT_ECC_SECP_R1_256
    c.defined.insert("PSA_WANT_ECC_SECP_R1_256");
#endif
#ifdef PSA_WANT_ECC_SECP_R1_384
    c.defined.insert("PSA_WANT_ECC_SECP_R1_384");
#endif
#ifdef PSA_WANT_ECC_SECP_R1_521
    c.defined.insert("PSA_WANT_ECC_SECP_R1_521");
#endif
#ifdef PSA_WANT_ECC_BRAINPOOL_P_R1_256
    c.defined.insert("PSA_WANT_ECC_BRAINPOOL_P_R1_256");
#endif
#ifdef PSA_WANT_ECC_BRAINPOOL_P_R1_384
    c.defined.insert("PSA_WANT_ECC_BRAINPOOL_P_R1_384");
#endif
#ifdef PSA_WANT_ECC_MONTGOMERY_255
    c.defined.insert("PSA_WANT_ECC_MONTGOMERY_255");
#endif
#ifdef PSA_WANT_ALG_ECDSA
    c.defined.insert("PSA_WANT_ALG_ECDSA");
#endif
#ifdef PSA_WANT_ALG_ECDH
    c.defined.insert("PSA_WANT_ALG_ECDH");
#endif
#ifdef PSA_WANT_KEY_TYPE_AES
    c.defined.insert("PSA_WANT_KEY_TYPE_AES");
#endif
#ifdef PSA_WANT_ALG_GCM
    c.defined.insert("PSA_WANT_ALG_GCM");
#endif
#ifdef PSA_WANT_ALG_CCM
    c.defined.insert("PSA_WANT_ALG_CCM");
#endif
#ifdef PSA_WANT_ALG_CHACHA20_POLY1305
    c.defined.insert("PSA_WANT_ALG_CHACHA20_POLY1305");
#endif
#ifdef PSA_WANT_ALG_CBC_NO_PADDING
    c.defined.insert("PSA_WANT_ALG_CBC_NO_PADDING");
#endif
#ifdef PSA_WANT_KEY_TYPE_RSA_PUBLIC_KEY
    c.defined.insert("PSA_WANT_KEY_TYPE_RSA_PUBLIC_KEY");
#endif
    c.mentioned.insert(c.defined.begin(), c.defined.end());
    return c;
}

}  // namespace sebind::doctor
