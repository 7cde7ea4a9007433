// SPDX-License-Identifier: Apache-2.0
// The resolver failures both TLS stacks report alike (exit 21 in `sebind connect`): each getaddrinfo
// error class gets its own cause and fix, on one line.
#include <gtest/gtest.h>

#include <netdb.h>

#include "sebind/tls/tcp.hpp"

using namespace sebind;

namespace {

tls::Diagnosis resolver(int eai) {
    tls::Diagnosis d;
    tls::diagnoses::tcp_failure(d, tls::TcpError::unknown_host, "broker.lan", "broker.lan:8883", 1000, eai);
    return d;
}

TEST(ResolverFailure, EachErrorClassIsNamedAndIsUnknownHost) {
    const auto none = resolver(EAI_NONAME);
    EXPECT_EQ(none.cause, "cannot resolve 'broker.lan': no such host");
    const auto again = resolver(EAI_AGAIN);  // no resolver reachable (e.g. no network at all)
    EXPECT_EQ(again.cause, "cannot resolve 'broker.lan': no DNS server answered");
    EXPECT_NE(again.fix.find("/etc/resolv.conf"), std::string::npos) << again.fix;
    const auto failed = resolver(EAI_FAIL);
    EXPECT_EQ(failed.cause, "cannot resolve 'broker.lan': the DNS server failed");
    const auto other = resolver(EAI_SERVICE);
    EXPECT_EQ(other.cause, std::string("cannot resolve 'broker.lan' (") + ::gai_strerror(EAI_SERVICE) + ")");
    for (const auto& d : {none, again, failed, other}) {
        EXPECT_EQ(d.failure, tls::Failure::unknown_host) << d.cause;
        EXPECT_FALSE(d.fix.empty()) << d.cause;
        EXPECT_EQ((d.cause + d.fix).find('\n'), std::string::npos) << d.cause;
    }
}

}  // namespace
