// SPDX-License-Identifier: Apache-2.0
// Reading Mbed TLS configuration headers: which options are on, the 2.28 / 3.6 style, comments,
// #undef, and the gaps the diagnosis draws from them with a probe result set by hand.
#include <gtest/gtest.h>

#include "sebind/doctor/diagnose.hpp"
#include "sebind/doctor/mbedtls_config.hpp"

using namespace sebind::doctor;

TEST(DoctorConfig, DefinesCommentedDefinesAndUndef) {
    const auto c = parse_mbedtls_config(R"(
/* A block comment with #define MBEDTLS_IN_COMMENT inside
   #define MBEDTLS_ALSO_IN_COMMENT
*/
#define MBEDTLS_SSL_CLI_C
  #  define   MBEDTLS_GCM_C   // trailing comment
//#define MBEDTLS_SHA512_C
// #define MBEDTLS_CCM_C
#define MBEDTLS_AES_C /* inline */
#define MBEDTLS_SSL_MAX_CONTENT_LEN 4096
#define MBEDTLS_CHACHAPOLY_C
#undef MBEDTLS_CHACHAPOLY_C
#ifdef SOMETHING
#endif
)",
                                        "test.h");
    EXPECT_TRUE(c.has("MBEDTLS_SSL_CLI_C"));
    EXPECT_TRUE(c.has("MBEDTLS_GCM_C"));
    EXPECT_TRUE(c.has("MBEDTLS_AES_C"));
    EXPECT_TRUE(c.has("MBEDTLS_SSL_MAX_CONTENT_LEN"));
    EXPECT_FALSE(c.has("MBEDTLS_SHA512_C"));
    EXPECT_FALSE(c.has("MBEDTLS_CCM_C"));
    EXPECT_FALSE(c.has("MBEDTLS_CHACHAPOLY_C"));
    EXPECT_FALSE(c.has("MBEDTLS_IN_COMMENT"));
    EXPECT_FALSE(c.has("MBEDTLS_ALSO_IN_COMMENT"));
    EXPECT_EQ(c.mentioned.count("MBEDTLS_SHA512_C"), 1u);
    EXPECT_EQ(c.style, ConfigStyle::mbedtls_2_28);
    EXPECT_EQ(c.source, "test.h");
}

TEST(DoctorConfig, StyleFromTheNamesPresent) {
    EXPECT_EQ(
        parse_mbedtls_config("#define MBEDTLS_SHA512_C\n//#define MBEDTLS_SSL_PROTO_TLS1_3_EXPERIMENTAL\n", "").style,
        ConfigStyle::mbedtls_2_28);
    EXPECT_EQ(parse_mbedtls_config("//#define MBEDTLS_SSL_PROTO_TLS1_3\n", "").style, ConfigStyle::mbedtls_3_6);
    EXPECT_EQ(parse_mbedtls_config("#define MBEDTLS_SHA384_C\n", "").style, ConfigStyle::mbedtls_3_6);
    EXPECT_EQ(parse_mbedtls_config("#define PSA_WANT_ALG_SHA_384 1\n", "").style, ConfigStyle::mbedtls_3_6);
}

TEST(DoctorConfig, BuildConfigurationIsTheCompiledOne) {
    const auto c = build_mbedtls_config();
    // Debian's mbedTLS 2.28 and the project's own 3.6 build both have the TLS 1.2 client.
    EXPECT_TRUE(c.has("MBEDTLS_SSL_CLI_C"));
    EXPECT_TRUE(c.has("MBEDTLS_SSL_PROTO_TLS1_2"));
    EXPECT_NE(c.source.find("this sebind is built with"), std::string::npos);
}

TEST(DoctorConfig, ArbitraryBytesDoNotBreakTheReader) {
    std::string junk;
    for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 131) % 256));
    junk += "\n#define MBEDTLS_AES_C\n/* unterminated";
    const auto c = parse_mbedtls_config(junk, "junk");
    EXPECT_TRUE(c.has("MBEDTLS_AES_C"));
    EXPECT_EQ(parse_mbedtls_config(std::string(kMaxConfigBytes + 100, '#'), "big").defined.size(), 0u);
}

namespace {

/// A TLS 1.2-only server whose only suite is ECDHE-ECDSA-AES256-GCM-SHA384 on P-256.
ServerProbe sha384_only_server() {
    ServerProbe p;
    p.tls12.accepted = true;
    p.tls12.suites = {0xC02C};
    p.tls12.groups = {0x0017};
    p.tls12.first.server_hello = true;
    p.tls12.first.certificate_request = true;
    p.tls12.first.certificate_types = {64};
    p.tls12.first.client_signature_algorithms = {0x0403, 0x0503};
    return p;
}

const char* kFull36 = R"(#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_AES_C
#define MBEDTLS_GCM_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
)";

std::string without(std::string text, const std::string& name) {
    const auto at = text.find("#define " + name + "\n");
    if (at != std::string::npos) text.insert(at, "//");
    return text;
}

}  // namespace

TEST(DoctorConfig, GapsNameTheMacroOfTheStyle) {
    const ChipSlot no_chip;
    const ServerCertificate no_cert;
    EXPECT_TRUE(
        diagnose(sha384_only_server(), no_cert, no_chip, parse_mbedtls_config(kFull36, "f"), "ca", "h").empty());

    const auto v3 = diagnose(sha384_only_server(), no_cert, no_chip,
                             parse_mbedtls_config(without(kFull36, "MBEDTLS_SHA384_C"), "f"), "ca", "h");
    ASSERT_EQ(v3.size(), 1u);
    EXPECT_EQ(v3[0].code, "suite");
    EXPECT_NE(v3[0].text.find("the server's only TLS 1.2 suite ECDHE-ECDSA-AES256-GCM-SHA384 needs SHA-384"),
              std::string::npos)
        << v3[0].text;
    EXPECT_NE(v3[0].text.find("define MBEDTLS_SHA384_C"), std::string::npos) << v3[0].text;

    // The same gap in a 2.28 configuration names MBEDTLS_SHA512_C; MBEDTLS_SHA512_NO_SHA384 takes SHA-384 away.
    const std::string v2 =
        "#define MBEDTLS_SSL_CLI_C\n#define MBEDTLS_X509_CRT_PARSE_C\n#define MBEDTLS_SSL_PROTO_TLS1_2\n"
        "#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED\n#define MBEDTLS_ECDH_C\n#define "
        "MBEDTLS_ECDSA_C\n#define MBEDTLS_AES_C\n#define MBEDTLS_GCM_C\n#define MBEDTLS_SHA256_C\n"
        "#define MBEDTLS_ECP_DP_SECP256R1_ENABLED\n";
    const auto g2 = diagnose(sha384_only_server(), no_cert, no_chip, parse_mbedtls_config(v2, "f"), "ca", "h");
    ASSERT_EQ(g2.size(), 1u);
    EXPECT_NE(g2[0].text.find("define MBEDTLS_SHA512_C"), std::string::npos) << g2[0].text;
    EXPECT_TRUE(diagnose(sha384_only_server(), no_cert, no_chip,
                         parse_mbedtls_config(v2 + "#define MBEDTLS_SHA512_C\n", "f"), "ca", "h")
                    .empty());
    const auto no384 = diagnose(
        sha384_only_server(), no_cert, no_chip,
        parse_mbedtls_config(v2 + "#define MBEDTLS_SHA512_C\n#define MBEDTLS_SHA512_NO_SHA384\n", "f"), "ca", "h");
    ASSERT_EQ(no384.size(), 1u);
    EXPECT_NE(no384[0].text.find("remove MBEDTLS_SHA512_NO_SHA384"), std::string::npos) << no384[0].text;
}

TEST(DoctorConfig, GroupsSlotCurveAndTls13Gaps) {
    const ServerCertificate no_cert;
    ChipSlot chip;
    chip.inspected = true;
    chip.curve = sebind::stsafe::Curve::p384;
    auto p = sha384_only_server();
    p.tls12.groups = {0x0018};
    const auto g = diagnose(p, no_cert, chip,
                            parse_mbedtls_config(without(kFull36, "MBEDTLS_ECP_DP_SECP384R1_ENABLED"), "f"), "ca", "h");
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].code, "group");
    EXPECT_NE(g[0].text.find("define MBEDTLS_ECP_DP_SECP384R1_ENABLED"), std::string::npos) << g[0].text;
    EXPECT_EQ(g[1].code, "slot_curve");
    EXPECT_NE(g[1].text.find("slot 1 holds a P-384 key and MBEDTLS_ECP_DP_SECP384R1_ENABLED is off"), std::string::npos)
        << g[1].text;

    ServerProbe only13;
    only13.tls13.accepted = true;
    only13.tls13.suites = {0x1301};
    only13.tls13.groups = {0x0017};
    EXPECT_TRUE(diagnose(only13, no_cert, ChipSlot{}, parse_mbedtls_config(kFull36, "f"), "ca", "h").empty());
    const auto t = diagnose(only13, no_cert, ChipSlot{},
                            parse_mbedtls_config(without(kFull36, "MBEDTLS_SSL_PROTO_TLS1_3"), "f"), "ca", "h");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].code, "tls_version");
    EXPECT_NE(t[0].text.find("accepts only TLS 1.3 and the configuration lacks MBEDTLS_SSL_PROTO_TLS1_3"),
              std::string::npos)
        << t[0].text;
}

TEST(DoctorConfig, NoTlsVersionInTheConfigurationIsAGap) {
    ServerProbe both = sha384_only_server();
    both.tls13.accepted = true;
    both.tls13.suites = {0x1301};
    both.tls13.groups = {0x0017};
    std::string text = without(without(kFull36, "MBEDTLS_SSL_PROTO_TLS1_2"), "MBEDTLS_SSL_PROTO_TLS1_3");
    const auto g = diagnose(both, ServerCertificate{}, ChipSlot{}, parse_mbedtls_config(text, "f"), "ca", "h");
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].code, "tls_version");
    EXPECT_NE(g[0].text.find("enables neither: define MBEDTLS_SSL_PROTO_TLS1_2"), std::string::npos) << g[0].text;
}
