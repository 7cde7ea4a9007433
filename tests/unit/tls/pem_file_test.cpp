// SPDX-License-Identifier: Apache-2.0
// tls::read_pem_certificates: the CERTIFICATE blocks of a bundle in order, other blocks and text
// skipped, base64 with any line breaks and padding, and each refusal with its reason.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sebind/tls/pem_file.hpp"

using namespace sebind;

namespace {

class PemFile : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sebind-pem-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    std::string put(const std::string& name, const std::string& text) {
        const std::string path = dir + "/" + name;
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }
    std::string dir;
};

std::string block(const std::string& label, const std::string& body) {
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
}

}  // namespace

TEST_F(PemFile, BundleInOrderOtherBlocksAndTextSkipped) {
    // "AAECAw==" = 00 01 02 03; "/+7dzLuq" = ff ee dd cc bb aa; "YWI=" = "ab" (one pad).
    const std::string text = "Subject: first\n" + block("CERTIFICATE", "AAEC\r\nAw==") + block("PRIVATE KEY", "AAAA") +
                             "comment\n" + block("CERTIFICATE", "/+7d\nzLuq") + block("CERTIFICATE", "YWI=");
    const auto r = tls::read_pem_certificates(put("bundle.pem", text));
    ASSERT_EQ(r.failure, tls::Failure::none) << r.reason;
    ASSERT_EQ(r.der.size(), 3u);
    EXPECT_EQ(r.der[0], (std::vector<std::uint8_t>{0, 1, 2, 3}));
    EXPECT_EQ(r.der[1], (std::vector<std::uint8_t>{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa}));
    EXPECT_EQ(r.der[2], (std::vector<std::uint8_t>{'a', 'b'}));
}

TEST_F(PemFile, EachRefusalNamesItsReason) {
    struct Case {
        std::string path;
        tls::Failure failure;
        std::string reason;
    };
    std::filesystem::create_directory(dir + "/sub");
    const Case cases[] = {
        {dir + "/missing.pem", tls::Failure::file_not_found, "no such file"},
        {dir + "/missing-dir/ca.pem", tls::Failure::file_not_found, "no such file"},
        {dir + "/sub", tls::Failure::file_invalid, "it is a directory"},
        {"/dev/null", tls::Failure::file_invalid, "it is not a regular file"},
        {put("empty.pem", ""), tls::Failure::file_invalid, "not PEM"},
        {put("der.pem", std::string("\x30\x82\x01\x00", 4)), tls::Failure::file_invalid, "not PEM"},
        {put("key.pem", block("EC PRIVATE KEY", "AAAA")), tls::Failure::file_invalid, "no certificate in it"},
        {put("bad64.pem", block("CERTIFICATE", "AA*A")), tls::Failure::file_invalid, "certificate 1 in it is damaged"},
        {put("pad.pem", block("CERTIFICATE", "AAA=AAAA")), tls::Failure::file_invalid,
         "certificate 1 in it is damaged"},
        {put("short.pem", block("CERTIFICATE", "AAECA")), tls::Failure::file_invalid, "certificate 1 in it is damaged"},
        {put("noend.pem", block("CERTIFICATE", "AAECAw==") + "-----BEGIN CERTIFICATE-----\nAAECAw==\n"),
         tls::Failure::file_invalid, "certificate 2 in it is damaged"},
        {put("big.pem", block("CERTIFICATE", "AAECAw==") + std::string(tls::kMaxPemFileBytes, '#')),
         tls::Failure::file_invalid, "larger than 1 MiB"},
    };
    for (const auto& c : cases) {
        const auto r = tls::read_pem_certificates(c.path);
        EXPECT_EQ(r.failure, c.failure) << c.path << ": " << r.reason;
        EXPECT_EQ(r.reason.rfind(c.reason, 0), 0u) << c.path << ": " << r.reason;
        EXPECT_FALSE(r.fix.empty()) << c.path;
        EXPECT_TRUE(r.der.empty()) << c.path;
    }
}
