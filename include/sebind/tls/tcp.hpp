// SPDX-License-Identifier: Apache-2.0
// The TCP connection under either TLS stack (mbedTLS, wolfSSL): resolve, connect within the
// client's timeout, TCP_NODELAY (POSIX sockets; libs/tls/tcp.cpp). Part of sebind::tls, the
// stack-neutral target both TLS stacks link.
#pragma once

#include <cstdint>
#include <string>

#include "sebind/tls/report.hpp"

namespace sebind::tls {

enum class TcpError : std::uint8_t { none, unknown_host, refused, unreachable, timeout };

struct TcpConnection {
    int fd = -1;  ///< the connected socket (the caller closes it), or -1
    TcpError error = TcpError::refused;
    int resolver_error = 0;  ///< getaddrinfo's EAI_* code when error is unknown_host
};

/// Connects to `host`:`port`, trying each address it resolves to until one accepts, all within
/// `timeout_ms`: a blocking connect() would wait for the kernel's SYN retries (about two minutes)
/// when packets to the broker are dropped. The socket is close-on-exec, has TCP_NODELAY (Nagle
/// would hold back the client's second flight, ~40 ms a handshake) and stays non-blocking when
/// `nonblocking`.
TcpConnection tcp_connect(const std::string& host, std::uint16_t port, std::uint32_t timeout_ms, bool nonblocking);

namespace diagnoses {

/// getaddrinfo failed for `host` with `resolver_error` (EAI_*): exit class unknown_host, and
/// whether the name is unknown or no resolver answered.
void resolver_failure(Diagnosis& d, const std::string& host, int resolver_error);

/// Why tcp_connect failed; `where` is "host:port", `resolver_error` getaddrinfo's code.
void tcp_failure(Diagnosis& d, TcpError e, const std::string& host, const std::string& where, std::uint32_t timeout_ms,
                 int resolver_error = 0);

}  // namespace diagnoses

}  // namespace sebind::tls
