// SPDX-License-Identifier: Apache-2.0
#include "sebind/tls/tcp.hpp"

#include <cerrno>
#include <chrono>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sebind::tls {

TcpConnection tcp_connect(const std::string& host, std::uint16_t port, std::uint32_t timeout_ms, bool nonblocking) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    TcpConnection result;
    if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
        rc != 0 || list == nullptr) {
        if (list != nullptr) ::freeaddrinfo(list);
        result.error = TcpError::unknown_host;
        result.resolver_error = rc != 0 ? rc : EAI_NONAME;
        return result;
    }
    for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        int err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
        while (err == EINPROGRESS || err == EINTR) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            pollfd p{fd, POLLOUT, 0};
            const int r = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
            if (r == 0) {
                err = ETIMEDOUT;
            } else if (r > 0) {
                socklen_t len = sizeof err;
                if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
            } else if (errno != EINTR) {
                err = errno;
            }
        }
        if (err == 0) {
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (!nonblocking) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            result.fd = fd;
            result.error = TcpError::none;
            break;
        }
        ::close(fd);
        if (err == ETIMEDOUT) {
            result.error = TcpError::timeout;
            break;
        }
        if (err != ECONNREFUSED) result.error = TcpError::unreachable;
    }
    ::freeaddrinfo(list);
    return result;
}

namespace diagnoses {

void resolver_failure(Diagnosis& d, const std::string& host, int resolver_error) {
    switch (resolver_error) {
        case EAI_NONAME:
#ifdef EAI_NODATA
        case EAI_NODATA:
#endif
            set_diagnosis(d, Failure::unknown_host, "cannot resolve '" + host + "': no such host",
                          "check --host (a name the device's DNS or /etc/hosts knows, e.g. localhost)");
            return;
        case EAI_AGAIN:
            set_diagnosis(d, Failure::unknown_host, "cannot resolve '" + host + "': no DNS server answered",
                          "check the device's network and DNS servers (/etc/resolv.conf), or connect by IP address");
            return;
        case EAI_FAIL:
            set_diagnosis(d, Failure::unknown_host, "cannot resolve '" + host + "': the DNS server failed",
                          "check the device's DNS servers (/etc/resolv.conf)");
            return;
        default:
            set_diagnosis(
                d, Failure::unknown_host,
                "cannot resolve '" + host + "'" +
                    (resolver_error != 0 ? std::string(" (") + ::gai_strerror(resolver_error) + ")" : std::string()),
                "use a name the device can resolve (e.g. localhost)");
            return;
    }
}

void tcp_failure(Diagnosis& d, TcpError e, const std::string& host, const std::string& where, std::uint32_t timeout_ms,
                 int resolver_error) {
    switch (e) {
        case TcpError::unknown_host: resolver_failure(d, host, resolver_error); return;
        case TcpError::timeout:
            set_diagnosis(d, Failure::timeout,
                          "no TCP answer from " + where + " within " + std::to_string(timeout_ms) + " ms",
                          "check the broker's address, port and firewall");
            return;
        case TcpError::unreachable:
            set_diagnosis(d, Failure::not_listening, where + " is unreachable",
                          "check --host and the device's network");
            return;
        case TcpError::refused:
        case TcpError::none: refused(d, where); return;
    }
}

}  // namespace diagnoses

}  // namespace sebind::tls
