// SPDX-License-Identifier: Apache-2.0
// The host-name rule both TLS stacks apply: the shared table, and the inputs a certificate or a
// caller can smuggle in that no real certificate in the table carries.
#include <gtest/gtest.h>

#include <string>

#include "host_name_cases.hpp"
#include "sebind/tls/host_name.hpp"

using namespace sebind;

namespace {

/// The names a certificate built from the row carries, as a stack's callback extracts them.
tls::CertificateNames names_of(const test::HostNameCase& c) {
    tls::CertificateNames names;
    std::string san = c.san;
    while (!san.empty()) {
        const std::size_t comma = san.find(',');
        const std::string entry = san.substr(0, comma);
        san = comma == std::string::npos ? "" : san.substr(comma + 1);
        if (entry.rfind("DNS:", 0) == 0) {
            names.dns.push_back(entry.substr(4));
        } else if (entry.rfind("IP:", 0) == 0) {
            const auto ip = tls::ip_literal(entry.substr(3));
            EXPECT_FALSE(ip.empty()) << entry;
            names.ips.push_back(ip);
        } else {
            ADD_FAILURE() << "unknown subjectAltName entry " << entry;
        }
    }
    names.common_names.emplace_back(c.cn);
    return names;
}

class HostNameRule : public ::testing::TestWithParam<test::HostNameCase> {};

TEST_P(HostNameRule, MatcherGivesTheTablesVerdict) {
    const auto& c = GetParam();
    EXPECT_EQ(tls::certificate_names_host(names_of(c), c.host), c.accept)
        << c.san << " / CN=" << c.cn << " for " << c.host;
}

INSTANTIATE_TEST_SUITE_P(Table, HostNameRule, ::testing::ValuesIn(test::host_name_cases()),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(HostName, IpLiteralsAreRecognisedAndOnlyThem) {
    EXPECT_EQ(tls::ip_literal("127.0.0.1"), (std::vector<std::uint8_t>{127, 0, 0, 1}));
    EXPECT_EQ(tls::ip_literal("::1").size(), 16u);
    EXPECT_TRUE(tls::ip_literal("localhost").empty());
    EXPECT_TRUE(tls::ip_literal("127.1").empty());  // inet_pton takes only the dotted quad: a name
    EXPECT_TRUE(tls::ip_literal("[::1]").empty());
    EXPECT_TRUE(tls::is_ip_literal("2001:db8::7"));
}

TEST(HostName, HostileInputsMatchNothing) {
    tls::CertificateNames any;
    any.dns = {"*.example.com", "broker.example.com"};
    EXPECT_FALSE(tls::certificate_names_host(any, ""));
    EXPECT_FALSE(tls::certificate_names_host(any, "*.example.com"));  // a pattern is not a host
    EXPECT_FALSE(tls::certificate_names_host(any, ".example.com"));   // empty left-most label
    EXPECT_FALSE(tls::certificate_names_host(any, std::string("broker.example.com\0.evil", 24)));
    tls::CertificateNames nul;
    nul.dns = {std::string("broker.example.com\0.evil.net", 28)};  // a NUL inside a dNSName
    EXPECT_FALSE(tls::certificate_names_host(nul, "broker.example.com"));
    tls::CertificateNames empty_labels;
    empty_labels.dns = {"*..com", "*.example.com.", ""};
    EXPECT_FALSE(tls::certificate_names_host(empty_labels, "a..com"));
    EXPECT_FALSE(tls::certificate_names_host(empty_labels, "a.example.com."));
    EXPECT_FALSE(tls::certificate_names_host(tls::CertificateNames{}, "localhost"));  // no names at all
}

TEST(HostName, TheMismatchDiagnosisIsOneLineNamingTheHost) {
    tls::Diagnosis d;
    tls::diagnoses::hostname_mismatch(d, "broker.example.com");
    EXPECT_EQ(d.failure, tls::Failure::hostname_mismatch);
    EXPECT_EQ(d.cause, "the server's certificate is not issued for 'broker.example.com'");
    EXPECT_EQ(d.cause.find('\n'), std::string::npos);
    EXPECT_NE(d.fix.find("subjectAltName"), std::string::npos);
}

}  // namespace
