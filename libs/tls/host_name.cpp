// SPDX-License-Identifier: Apache-2.0
#include "sebind/tls/host_name.hpp"

#include <cstring>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace sebind::tls {

std::vector<std::uint8_t> ip_literal(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    if (::inet_pton(AF_INET, host.c_str(), buf) == 1) return {buf, buf + 4};
    if (::inet_pton(AF_INET6, host.c_str(), buf) == 1) return {buf, buf + 16};
    return {};
}

bool is_ip_literal(const std::string& host) { return !ip_literal(host).empty(); }

namespace {

bool same_ascii_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

/// One presented DNS identifier against a host name: equal ignoring ASCII case, or a wildcard
/// that is the whole left-most label ("*.example.com") standing for exactly one non-empty label,
/// followed by at least two labels. Every other use of '*' ("*", "*host", "f*o.example.com",
/// "www.*.com", "*.com") matches nothing.
bool dns_id_matches(std::string_view pattern, std::string_view host) {
    if (pattern.empty() || host.empty() || host.find('*') != std::string_view::npos) return false;
    if (pattern.find('*') == std::string_view::npos) return same_ascii_ignoring_case(pattern, host);
    if (pattern.size() < 3 || pattern[0] != '*' || pattern[1] != '.') return false;
    const std::string_view rest = pattern.substr(2);
    if (rest.find('*') != std::string_view::npos || rest.find('.') == std::string_view::npos || rest.front() == '.' ||
        rest.back() == '.' || rest.find("..") != std::string_view::npos)
        return false;
    const std::size_t dot = host.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    return same_ascii_ignoring_case(host.substr(dot + 1), rest);
}

}  // namespace

bool certificate_names_host(const CertificateNames& names, const std::string& host) {
    if (host.empty() || host.size() != std::strlen(host.c_str())) return false;
    if (const auto ip = ip_literal(host); !ip.empty()) {
        for (const auto& presented : names.ips)
            if (presented == ip) return true;
        return false;
    }
    for (const auto& presented : names.dns)
        if (dns_id_matches(presented, host)) return true;
    if (!names.dns.empty() || !names.ips.empty()) return false;
    for (const auto& cn : names.common_names)
        if (dns_id_matches(cn, host)) return true;
    return false;
}

namespace diagnoses {

void hostname_mismatch(Diagnosis& d, const std::string& host) {
    set_diagnosis(d, Failure::hostname_mismatch, "the server's certificate is not issued for '" + host + "'",
                  "connect by a DNS name in its subjectAltName (or an IP address it lists as iPAddress)");
}

}  // namespace diagnoses

}  // namespace sebind::tls
