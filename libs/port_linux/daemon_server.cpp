// SPDX-License-Identifier: Apache-2.0
// sebind-emud's serving loop: poll() over a listening Unix socket and its clients; each client
// selects one chip with HELLO and then drives it with I2C transactions.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sebind/port_linux/daemon.hpp"
#include "sebind/port_linux/daemon_protocol.hpp"
#include "sebind/port_linux/se_uri.hpp"

namespace sebind::port_linux {

using namespace emud;

namespace {
struct Client {
    int fd = -1;
    int chip = -1;  ///< selected chip, -1 before HELLO
    std::vector<std::uint8_t> in;
};

std::string base_name(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    const auto slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool send_all(int fd, const std::vector<std::uint8_t>& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}
}  // namespace

struct EmuDaemon::Impl {
    std::vector<std::unique_ptr<emu::Chip>> chips;
    std::vector<std::string> names;
    int listen_fd = -1;
    int wake_pipe[2] = {-1, -1};
    std::string socket_path;
    std::vector<Client> clients;
    SystemClock clock;

    /// Handles one request; false closes the connection.
    bool handle(Client& c, const Request& req) {
        const auto reply_op = static_cast<std::uint8_t>(static_cast<std::uint8_t>(req.op) | kReplyBit);
        if (req.op == Op::hello) {
            std::uint8_t status = 0;
            if (req.version != kVersion) {
                status = 2;
            } else if (req.chip.empty()) {
                c.chip = 0;
            } else {
                status = 1;
                for (std::size_t i = 0; i < names.size(); ++i)
                    if (names[i] == req.chip) { c.chip = static_cast<int>(i); status = 0; }
            }
            std::vector<std::uint8_t> body = {status};
            if (status == 0) body.insert(body.end(), names[static_cast<std::size_t>(c.chip)].begin(), names[static_cast<std::size_t>(c.chip)].end());
            return send_all(c.fd, encode_message(reply_op, body)) && status == 0;
        }
        if (c.chip < 0) return false;  // HELLO first
        emu::Chip& chip = *chips[static_cast<std::size_t>(c.chip)];
        auto ack = [](stsafe::BusResult r) {
            return static_cast<std::uint8_t>(r == stsafe::BusResult::ok ? Ack::ack : r == stsafe::BusResult::nack ? Ack::nack : Ack::fault);
        };
        std::vector<std::uint8_t> body;
        switch (req.op) {
            case Op::write:
                body.push_back(ack(chip.i2c_write(req.address, req.data, clock.now_ms())));
                break;
            case Op::read: {
                std::vector<std::uint8_t> data(req.count);
                const auto r = chip.i2c_read(req.address, data, clock.now_ms());
                body.push_back(ack(r));
                if (r == stsafe::BusResult::ok) body.insert(body.end(), data.begin(), data.end());
                break;
            }
            case Op::power_cycle: body.push_back(static_cast<std::uint8_t>(chip.power_cycle().code())); break;
            case Op::set_faults:
                chip.set_faults(req.faults);
                body.push_back(0);
                break;
            case Op::set_latency:
                chip.set_latency(req.latency);
                body.push_back(0);
                break;
            case Op::stats: {
                const emu::ChipStats& s = chip.stats();
                for (std::uint64_t v : {s.commands, s.signatures, s.key_establishments, s.nvm_writes})
                    for (int shift = 56; shift >= 0; shift -= 8) body.push_back(static_cast<std::uint8_t>(v >> shift));
                break;
            }
            case Op::hello: break;
        }
        return send_all(c.fd, encode_message(reply_op, body));
    }

    /// Reads what is available; handles every complete message. False closes the client.
    bool service(Client& c) {
        std::uint8_t buf[2048];
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
        if (n <= 0) return false;
        c.in.insert(c.in.end(), buf, buf + n);
        for (;;) {
            auto size = message_size(c.in);
            if (!size) {
                const char* msg = "message too long";
                send_all(c.fd, encode_message(kErrorOp, Bytes(reinterpret_cast<const std::uint8_t*>(msg), std::strlen(msg))));
                return false;
            }
            if (*size == 0) return true;
            auto req = parse_request(Bytes(c.in.data(), *size));
            if (!req) {
                const char* msg = "malformed request";
                send_all(c.fd, encode_message(kErrorOp, Bytes(reinterpret_cast<const std::uint8_t*>(msg), std::strlen(msg))));
                return false;
            }
            if (!handle(c, *req)) return false;
            c.in.erase(c.in.begin(), c.in.begin() + static_cast<long>(*size));
        }
    }
};

Result<std::unique_ptr<EmuDaemon>> EmuDaemon::create(const std::vector<std::string>& chip_dirs,
                                                     const emu::OpenOptions& options) {
    if (chip_dirs.empty()) return Errc::invalid_argument;
    std::unique_ptr<EmuDaemon> d(new EmuDaemon());
    d->m_impl = std::make_unique<Impl>();
    for (const std::string& dir : chip_dirs) {
        auto chip = emu::Chip::open(dir, options);
        if (!chip) return chip.status();
        d->m_impl->chips.push_back(std::move(*chip));
        d->m_impl->names.push_back(base_name(dir));
    }
    if (::pipe2(d->m_impl->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return Errc::storage_failure;
    return d;
}

EmuDaemon::~EmuDaemon() {
    if (!m_impl) return;
    for (Client& c : m_impl->clients) ::close(c.fd);
    if (m_impl->listen_fd >= 0) {
        ::close(m_impl->listen_fd);
        ::unlink(m_impl->socket_path.c_str());
    }
    for (int fd : m_impl->wake_pipe)
        if (fd >= 0) ::close(fd);
}

std::size_t EmuDaemon::chip_count() const noexcept { return m_impl->chips.size(); }

Status EmuDaemon::listen(const std::string& socket_path) {
    sockaddr_un addr{};
    if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) return Status(Errc::invalid_argument);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status(Errc::communication_failure);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    ::unlink(socket_path.c_str());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
        ::close(fd);
        return Status(Errc::communication_failure);
    }
    m_impl->listen_fd = fd;
    m_impl->socket_path = socket_path;
    return Status::success();
}

void EmuDaemon::stop() noexcept {
    const char b = 1;
    [[maybe_unused]] auto n = ::write(m_impl->wake_pipe[1], &b, 1);
}

Status EmuDaemon::run() {
    Impl& s = *m_impl;
    if (s.listen_fd < 0) return Status(Errc::invalid_argument);
    for (;;) {
        std::vector<pollfd> fds = {{s.wake_pipe[0], POLLIN, 0}, {s.listen_fd, POLLIN, 0}};
        for (const Client& c : s.clients) fds.push_back({c.fd, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return Status(Errc::communication_failure);
        }
        if (fds[0].revents) return Status::success();
        if (fds[1].revents & POLLIN) {
            const int fd = ::accept4(s.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) s.clients.push_back(Client{fd, -1, {}});
        }
        // Service clients that were polled (new ones wait for the next round).
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if (!fds[i].revents) continue;
            auto it = std::find_if(s.clients.begin(), s.clients.end(), [&](const Client& c) { return c.fd == fds[i].fd; });
            if (it == s.clients.end()) continue;
            if (!s.service(*it)) {
                ::close(it->fd);
                s.clients.erase(it);
            }
        }
    }
}

}  // namespace sebind::port_linux
