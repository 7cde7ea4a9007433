// SPDX-License-Identifier: Apache-2.0
// The one rule by which both TLS stacks (mbedTLS, wolfSSL) decide whether the server's
// certificate names the host the client was asked to reach (RFC 6125 §6, RFC 5280 §4.2.1.6).
// Each stack extracts the certificate's names in its certificate-verify callback and asks
// certificate_names_host; the stacks' own name checks are not used. Header-only, like the rest
// of the stack-neutral part of include/sebind/tls/.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "sebind/tls/report.hpp"

namespace sebind::tls {

/// The identities a certificate presents.
struct CertificateNames {
    std::vector<std::string> dns;                ///< subjectAltName dNSName entries
    std::vector<std::vector<std::uint8_t>> ips;  ///< subjectAltName iPAddress entries (4 or 16 bytes)
    std::vector<std::string> common_names;       ///< the subject's CN attributes
};

/// The address of an IP literal (4 bytes for IPv4, 16 for IPv6); empty when `host` is a name.
inline std::vector<std::uint8_t> ip_literal(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    if (::inet_pton(AF_INET, host.c_str(), buf) == 1) return {buf, buf + 4};
    if (::inet_pton(AF_INET6, host.c_str(), buf) == 1) return {buf, buf + 16};
    return {};
}

inline bool is_ip_literal(const std::string& host) { return !ip_literal(host).empty(); }

namespace host_name_detail {

inline bool same_ascii_ignoring_case(std::string_view a, std::string_view b) {
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
inline bool dns_id_matches(std::string_view pattern, std::string_view host) {
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

}  // namespace host_name_detail

/// Whether a certificate presenting `names` is issued for `host`:
/// - an IP literal host (IPv4 or IPv6) matches only an iPAddress subjectAltName with the same
///   address bytes: never a dNSName, never a CN, never a wildcard;
/// - a DNS host matches a dNSName subjectAltName (see dns_id_matches);
/// - the subject's CN is consulted only when the certificate has no dNSName and no iPAddress
///   subjectAltName at all (older broker certificates carry only a CN), with the same rule.
inline bool certificate_names_host(const CertificateNames& names, const std::string& host) {
    if (host.empty() || host.size() != std::strlen(host.c_str())) return false;
    if (const auto ip = ip_literal(host); !ip.empty()) {
        for (const auto& presented : names.ips)
            if (presented == ip) return true;
        return false;
    }
    for (const auto& presented : names.dns)
        if (host_name_detail::dns_id_matches(presented, host)) return true;
    if (!names.dns.empty() || !names.ips.empty()) return false;
    for (const auto& cn : names.common_names)
        if (host_name_detail::dns_id_matches(cn, host)) return true;
    return false;
}

namespace diagnoses {

/// The certificate verified but does not name `host` (certificate_names_host said no).
inline void hostname_mismatch(Diagnosis& d, const std::string& host) {
    set_diagnosis(d, Failure::hostname_mismatch, "the server's certificate is not issued for '" + host + "'",
                  "connect by a DNS name in its subjectAltName (or an IP address it lists as iPAddress)");
}

}  // namespace diagnoses

}  // namespace sebind::tls
