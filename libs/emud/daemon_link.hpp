// SPDX-License-Identifier: Apache-2.0
// DaemonLink (internal): one client connection to sebind-emud after a successful HELLO; the
// request/reply exchange shared by DaemonBus and DaemonControl.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sebind/core/result.hpp"
#include "sebind/emud/daemon_protocol.hpp"

namespace sebind::port_linux {

class DaemonLink {
public:
    /// Connects, sets the reply timeout and says HELLO. Errors and `detail`: see DaemonBus::connect.
    static Result<std::unique_ptr<DaemonLink>> connect(const std::string& socket_path, const std::string& chip,
                                                       std::string* detail);
    ~DaemonLink();
    DaemonLink(const DaemonLink&) = delete;
    DaemonLink& operator=(const DaemonLink&) = delete;

    /// Sends `request` and returns the body of its reply. Errors: communication_failure (send or
    /// receive failed, timed out, or the daemon replied with an error and closed),
    /// invalid_response (reply op or length wrong). Any error breaks the link: the byte stream
    /// can no longer be trusted to be in step, so later calls fail at once.
    Result<std::vector<std::uint8_t>> call(const emud::Request& request) noexcept;

    const std::string& chip() const noexcept { return m_chip; }
    /// An error broke the link (or the daemon closed it): every call fails until a new connect.
    bool broken() const noexcept { return m_fd < 0; }
    /// The explanation of the daemon's error reply, if it sent one before closing.
    const std::string& refusal() const noexcept { return m_refusal; }

private:
    explicit DaemonLink(int fd) noexcept : m_fd(fd) {}
    void do_break() noexcept;
    int m_fd;
    std::string m_chip;
    std::string m_refusal;  ///< text of the daemon's last error reply
};

}  // namespace sebind::port_linux
