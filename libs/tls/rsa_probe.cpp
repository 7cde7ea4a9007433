// SPDX-License-Identifier: Apache-2.0
#include "sebind/tls/rsa_probe.hpp"

#include <chrono>
#include <random>
#include <vector>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sebind/tls/tcp.hpp"

namespace sebind::tls {

namespace {

struct Suite {
    std::uint16_t id;
    const char* name;
};
// RFC 5246 and RFC 5288 code points.
constexpr Suite kStaticRsa[] = {
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"}, {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"}, {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"}};

void put16(std::vector<std::uint8_t>& b, std::size_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}

/// The ClientHello record: TLS 1.2, the static RSA suites, SNI for a host name, RSA signature
/// algorithms.
std::vector<std::uint8_t> client_hello(const std::string& host) {
    std::vector<std::uint8_t> ext;
    unsigned char ip[16];
    const bool literal = ::inet_pton(AF_INET, host.c_str(), ip) == 1 || ::inet_pton(AF_INET6, host.c_str(), ip) == 1;
    if (!literal && !host.empty() && host.size() < 256) {
        put16(ext, 0x0000);  // server_name (RFC 6066 §3)
        put16(ext, host.size() + 5);
        put16(ext, host.size() + 3);
        ext.push_back(0);  // host_name
        put16(ext, host.size());
        ext.insert(ext.end(), host.begin(), host.end());
    }
    const std::uint16_t sigalgs[] = {0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806};  // RSA PKCS#1 and PSS, SHA-2
    put16(ext, 0x000D);
    put16(ext, 2 + sizeof sigalgs);
    put16(ext, sizeof sigalgs);
    for (const auto s : sigalgs) put16(ext, s);

    std::vector<std::uint8_t> body = {0x03, 0x03};
    std::random_device rd;
    for (int i = 0; i < 32; ++i) body.push_back(static_cast<std::uint8_t>(rd()));
    body.push_back(0);  // no session id
    put16(body, 2 * std::size(kStaticRsa));
    for (const auto& s : kStaticRsa) put16(body, s.id);
    body.insert(body.end(), {0x01, 0x00});  // null compression only
    put16(body, ext.size());
    body.insert(body.end(), ext.begin(), ext.end());

    std::vector<std::uint8_t> rec = {0x16, 0x03, 0x01};
    put16(rec, body.size() + 4);
    rec.insert(rec.end(), {0x01, 0x00});  // client_hello, 24-bit length
    put16(rec, body.size());
    rec.insert(rec.end(), body.begin(), body.end());
    return rec;
}

}  // namespace

std::string static_rsa_choice(const std::string& host, std::uint16_t port, std::uint32_t timeout_ms) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    const TcpConnection tcp = tcp_connect(host, port, timeout_ms, false);
    if (tcp.error != TcpError::none) return "";
    const std::vector<std::uint8_t> hello = client_hello(host);
    std::string chosen;
    if (::send(tcp.fd, hello.data(), hello.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(hello.size())) {
        // Record header (5), handshake header (4), version (2), random (32), session id (1 + up
        // to 32), suite (2): at most 78 bytes decide.
        std::uint8_t in[80];
        std::size_t have = 0;
        while (have < sizeof in) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            pollfd p{tcp.fd, POLLIN, 0};
            if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
            const ssize_t n = ::recv(tcp.fd, in + have, sizeof in - have, 0);
            if (n <= 0) break;
            have += static_cast<std::size_t>(n);
            if (in[0] != 0x16) break;  // an alert: refused
            if (have >= 44 && have >= 44u + in[43] + 2u) break;
        }
        if (have >= 44 && in[0] == 0x16 && in[5] == 0x02 && have >= 44u + in[43] + 2u) {
            const std::size_t at = 44u + in[43];
            const std::uint16_t id = static_cast<std::uint16_t>(in[at] << 8 | in[at + 1]);
            for (const auto& s : kStaticRsa)
                if (s.id == id) chosen = s.name;
        }
    }
    ::close(tcp.fd);
    return chosen;
}

}  // namespace sebind::tls
