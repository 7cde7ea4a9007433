// SPDX-License-Identifier: Apache-2.0
// The host-name rule as a table of (certificate names, host, verdict): run against the matcher
// itself (tests/unit/tls/host_name_test.cpp) and against both TLS stacks through `sebind
// connect` with openssl s_server presenting a certificate with exactly these names
// (tests/interop/connect_cli_test.cpp, HostNameRule).
#pragma once

#include <ostream>
#include <vector>

namespace sebind::test {

struct HostNameCase {
    const char* name;  ///< test name
    const char* san;   ///< subjectAltName as openssl writes it ("DNS:a,IP:1.2.3.4"); "" = no such extension
    const char* cn;    ///< the subject's CN
    const char* host;  ///< what the client is asked to reach (--host)
    bool accept;
};

// gtest prints the parameters of failed cases: the name says which row.
inline void PrintTo(const HostNameCase& c, std::ostream* os) { *os << c.name; }

inline const std::vector<HostNameCase>& host_name_cases() {
    static const std::vector<HostNameCase> cases = {
        {"DnsExact", "DNS:broker.example.com", "broker", "broker.example.com", true},
        {"DnsIgnoresCase", "DNS:Broker.EXAMPLE.com", "broker", "broker.example.COM", true},
        {"DnsSecondOfSeveral", "DNS:a.example.net,DNS:broker.example.com", "broker", "broker.example.com", true},
        {"DnsOtherName", "DNS:elsewhere.example", "broker", "broker.example.com", false},
        {"DnsLocalhost", "DNS:localhost", "broker", "localhost", true},
        {"DnsOtherNameForLocalhost", "DNS:elsewhere.example", "localhost", "localhost", false},
        {"DnsParentOnly", "DNS:example.com", "broker", "broker.example.com", false},
        {"WildcardLeftLabel", "DNS:*.example.com", "broker", "broker.example.com", true},
        {"WildcardIgnoresCase", "DNS:*.EXAMPLE.com", "broker", "Broker.example.com", true},
        {"WildcardTwoLabels", "DNS:*.example.com", "broker", "a.broker.example.com", false},
        {"WildcardNotTheParent", "DNS:*.example.com", "broker", "example.com", false},
        {"WildcardAloneLocalhost", "DNS:*", "broker", "localhost", false},
        {"WildcardAloneName", "DNS:*", "broker", "broker.example.com", false},
        {"WildcardPartialHost", "DNS:*host", "broker", "localhost", false},
        {"WildcardPartialInner", "DNS:f*o.example.com", "broker", "foo.example.com", false},
        {"WildcardPartialPrefix", "DNS:b*.example.com", "broker", "broker.example.com", false},
        {"WildcardPartialSuffix", "DNS:*r.example.com", "broker", "broker.example.com", false},
        {"WildcardNotLeftMost", "DNS:broker.*.com", "broker", "broker.example.com", false},
        {"WildcardOverOneLabel", "DNS:*.com", "broker", "example.com", false},
        {"WildcardNeverForIp", "DNS:*.0.0.1", "broker", "127.0.0.1", false},
        {"Ipv4San", "IP:127.0.0.1", "broker", "127.0.0.1", true},
        {"Ipv4AmongNames", "DNS:localhost,IP:127.0.0.1", "broker", "127.0.0.1", true},
        {"Ipv4OtherAddress", "IP:127.0.0.2", "broker", "127.0.0.1", false},
        {"Ipv4AsDnsNameOnly", "DNS:127.0.0.1", "broker", "127.0.0.1", false},
        {"Ipv6San", "IP:::1", "broker", "::1", true},
        {"Ipv6WrittenOut", "IP:0:0:0:0:0:0:0:1", "broker", "::1", true},
        {"Ipv6OtherAddress", "IP:::2", "broker", "::1", false},
        {"Ipv4MappedIsNotIpv4", "IP:127.0.0.1", "broker", "::ffff:127.0.0.1", false},
        {"IpSanOnlyForAName", "IP:127.0.0.1", "localhost", "localhost", false},
        {"CnOnly", "", "broker.example.com", "broker.example.com", true},
        {"CnOnlyIgnoresCase", "", "BROKER.example.com", "broker.example.com", true},
        {"CnOnlyOtherName", "", "elsewhere.example", "broker.example.com", false},
        {"CnOnlyWildcard", "", "*.example.com", "broker.example.com", true},
        {"CnOnlyWildcardAlone", "", "*", "localhost", false},
        {"CnIgnoredBesideDnsSan", "DNS:elsewhere.example", "broker.example.com", "broker.example.com", false},
        {"CnNeverForIp", "", "127.0.0.1", "127.0.0.1", false},
    };
    return cases;
}

}  // namespace sebind::test
