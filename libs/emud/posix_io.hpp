// SPDX-License-Identifier: Apache-2.0
// Small POSIX helpers shared by the daemon's server and client side (internal).
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/types.h>

namespace sebind::port_linux::posix {

/// strerror without the shared static buffer (GNU strerror_r returns the text).
inline std::string errno_text(int error) {
    char buf[128];
    return ::strerror_r(error, buf, sizeof buf);
}

/// Sends everything on a blocking socket; false on error or timeout (never raises SIGPIPE).
inline bool send_all(int fd, const std::uint8_t* data, std::size_t size) noexcept {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

/// Receives exactly `size` bytes on a blocking socket; false on error, timeout or end of stream.
inline bool recv_exact(int fd, std::uint8_t* out, std::size_t size) noexcept {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::recv(fd, out + done, size - done, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace sebind::port_linux::posix
