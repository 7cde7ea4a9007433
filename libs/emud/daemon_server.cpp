// SPDX-License-Identifier: Apache-2.0
// sebind-emud's serving loop: poll() over a listening Unix socket and non-blocking clients; each
// client selects one chip with HELLO and then drives it with I2C transactions. Nothing a client
// sends can make the daemon allocate more than a bounded amount or block on that client.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "posix_io.hpp"
#include "sebind/emud/daemon.hpp"
#include "sebind/emud/daemon_protocol.hpp"
#include "sebind/port_linux/se_connection.hpp"

namespace sebind::port_linux {

using namespace emud;

namespace {

/// Bytes kept from a client before its requests are parsed: one maximal message plus one recv.
constexpr std::size_t kRecvChunk = 4096;
constexpr std::size_t kMaxPendingInput = kHeaderSize + kMaxBody + kRecvChunk;

struct Client {
    int fd = -1;
    int chip = -1;  ///< selected chip, -1 before a successful HELLO
    std::vector<std::uint8_t> in;
    std::vector<std::uint8_t> out;
    std::size_t out_sent = 0;
    bool eof = false;      ///< the client finished sending: answer what it sent, then close
    bool closing = false;  ///< no more requests are handled: flush the replies, then close
    bool dead = false;     ///< close now

    std::size_t pending() const noexcept { return out.size() - out_sent; }
    bool wants_input() const noexcept {
        return !eof && !closing && pending() < kMaxDaemonPendingReply && in.size() < kMaxPendingInput;
    }
};

/// A chip's name: the base name of its directory, after making the path absolute so that "."
/// or "chips/a/" name the directory itself.
std::string chip_name(const std::string& dir) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::absolute(dir, ec).lexically_normal();
    if (ec) p = std::filesystem::path(dir).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    return p.filename().string();
}

Status failure(Errc code, std::string* detail, std::string text) {
    if (detail) *detail = std::move(text);
    return Status(code);
}

}  // namespace

struct EmuDaemon::Impl {
    std::vector<std::unique_ptr<emu::Chip>> chips;
    std::vector<std::string> names;
    int listen_fd = -1;
    int wake_pipe[2] = {-1, -1};
    std::string socket_path;
    dev_t socket_dev = 0;
    ino_t socket_ino = 0;
    std::vector<std::unique_ptr<Client>> clients;
    SystemClock clock;

    void reply(Client& c, Op op, Bytes body) {
        const auto message = encode_message(static_cast<std::uint8_t>(static_cast<std::uint8_t>(op) | kReplyBit), body);
        c.out.insert(c.out.end(), message.begin(), message.end());
    }

    /// Sends an error reply, then the connection ends (docs/emud-protocol.md, "Errors").
    void refuse(Client& c, ErrorCode code, std::string_view text) {
        const auto message = encode_error(code, text);
        c.out.insert(c.out.end(), message.begin(), message.end());
        c.in.clear();
        c.closing = true;
    }

    void hello(Client& c, const Request& req) {
        HelloStatus status = HelloStatus::ok;
        int selected = -1;
        if (req.version != kVersion) {
            status = HelloStatus::unsupported_version;
        } else if (req.chip.empty()) {
            selected = 0;
        } else {
            const auto it = std::find(names.begin(), names.end(), req.chip);
            if (it == names.end())
                status = HelloStatus::no_such_chip;
            else
                selected = static_cast<int>(it - names.begin());
        }
        std::vector<std::uint8_t> body = {static_cast<std::uint8_t>(status), kVersion};
        if (status == HelloStatus::ok) {
            c.chip = selected;
            const std::string& name = names[static_cast<std::size_t>(selected)];
            body.insert(body.end(), name.begin(), name.end());
        } else {
            c.closing = true;  // a failed HELLO ends the connection
            c.in.clear();
        }
        reply(c, Op::hello, body);
    }

    void handle(Client& c, const Request& req) {
        if (req.op == Op::hello) return hello(c, req);
        if (c.chip < 0) return refuse(c, ErrorCode::hello_required, "send HELLO first");
        emu::Chip& chip = *chips[static_cast<std::size_t>(c.chip)];
        auto ack = [](stsafe::BusResult r) {
            return static_cast<std::uint8_t>(r == stsafe::BusResult::ok             ? Ack::ack
                                             : r == stsafe::BusResult::nack         ? Ack::nack
                                             : r == stsafe::BusResult::host_storage ? Ack::host_storage
                                                                                    : Ack::fault);
        };
        // The chip's timing model compares these timestamps: busy time passes in real time.
        switch (req.op) {
            case Op::write: {
                const std::uint8_t result = ack(chip.i2c_write(req.address, req.data, clock.now_ms()));
                return reply(c, req.op, Bytes(&result, 1));
            }
            case Op::read: {
                std::vector<std::uint8_t> body(std::size_t{1} + req.count);
                const auto r = chip.i2c_read(req.address, MutableBytes(body).subspan(1), clock.now_ms());
                body[0] = ack(r);
                if (r != stsafe::BusResult::ok) body.resize(1);
                return reply(c, req.op, body);
            }
            case Op::power_cycle: {
                const auto code = static_cast<std::uint8_t>(chip.power_cycle().code());
                return reply(c, req.op, Bytes(&code, 1));
            }
            case Op::set_faults: chip.set_faults(req.faults); break;
            case Op::set_latency: chip.set_latency(req.latency); break;
            case Op::stats: return reply(c, req.op, encode_stats(chip.stats()));
            case Op::hello: break;
        }
        const std::uint8_t zero = 0;
        reply(c, req.op, Bytes(&zero, 1));
    }

    /// Handles the complete requests buffered for `c` while its unread replies stay bounded.
    void process_input(Client& c) {
        std::size_t used = 0;
        bool drained = false;  ///< no complete message left
        while (!c.closing && c.pending() < kMaxDaemonPendingReply) {
            const Bytes rest = Bytes(c.in).subspan(used);
            auto size = message_size(rest);
            if (!size) return refuse(c, ErrorCode::too_long, "message body longer than 1024 bytes");
            if (*size == 0) {
                drained = true;
                break;
            }
            if (!is_request_op(rest[0])) return refuse(c, ErrorCode::unknown_op, "unknown op");
            auto req = parse_request(rest.first(*size));
            if (!req) return refuse(c, ErrorCode::malformed, "malformed request body");
            used += *size;
            handle(c, *req);
        }
        if (c.closing) return;
        c.in.erase(c.in.begin(), c.in.begin() + static_cast<long>(used));
        if (c.eof && drained) c.closing = true;  // a trailing partial message is dropped
    }

    /// Answers buffered requests and sends the replies, for as long as the client keeps up:
    /// requests held back by a full reply buffer must not wait for input that may never come.
    void serve(Client& c) {
        while (!c.dead) {
            process_input(c);
            flush(c);
            if (c.closing || c.pending() >= kMaxDaemonPendingReply) return;
            auto next = message_size(c.in);
            if (next && *next == 0) return;  // nothing complete left (a too-long header: refused next pass)
        }
    }

    void receive(Client& c) {
        std::uint8_t buf[kRecvChunk];
        const ssize_t n = ::recv(c.fd, buf, std::min(sizeof buf, kMaxPendingInput - c.in.size()), 0);
        if (n < 0) {
            if (errno != EINTR && errno != EAGAIN) c.dead = true;
            return;
        }
        if (n == 0)
            c.eof = true;
        else
            c.in.insert(c.in.end(), buf, buf + n);
    }

    void flush(Client& c) {
        while (c.pending() > 0) {
            const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) {                  // POLLOUT will tell us when to go on
                if (c.out_sent >= kMaxDaemonPendingReply) {  // keep the buffer bounded
                    c.out.erase(c.out.begin(), c.out.begin() + static_cast<long>(c.out_sent));
                    c.out_sent = 0;
                }
                return;
            }
            if (n <= 0) {
                c.dead = true;
                return;
            }
            c.out_sent += static_cast<std::size_t>(n);
        }
        c.out.clear();
        c.out_sent = 0;
    }

    void accept_clients() {
        for (;;) {
            const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) return;  // EAGAIN: no more; other errors: the peer already left
            if (clients.size() >= kMaxDaemonClients) {
                const auto message = encode_error(ErrorCode::too_many_clients, "too many clients");
                [[maybe_unused]] auto n = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                ::close(fd);
                continue;
            }
            auto c = std::make_unique<Client>();
            c->fd = fd;
            clients.push_back(std::move(c));
        }
    }
};

Result<std::unique_ptr<EmuDaemon>> EmuDaemon::create(const std::vector<std::string>& chip_dirs,
                                                     const emu::OpenOptions& options, std::string* detail) {
    if (chip_dirs.empty()) return failure(Errc::invalid_argument, detail, "no chip directory given");
    std::unique_ptr<EmuDaemon> d(new EmuDaemon());
    d->m_impl = std::make_unique<Impl>();
    Impl& s = *d->m_impl;
    for (const std::string& dir : chip_dirs) {
        std::string name = chip_name(dir);
        if (name.empty() || name.size() > kMaxChipName)
            return failure(Errc::invalid_argument, detail, "cannot name a chip after '" + dir + "'");
        if (std::find(s.names.begin(), s.names.end(), name) != s.names.end())
            return failure(Errc::invalid_argument, detail,
                           "two chip directories are named '" + name + "' — chips are selected by base name");
        auto chip = emu::Chip::open(dir, options);
        if (!chip) {
            const Errc e = chip.status().code();
            return failure(
                e, detail,
                "cannot open the chip in " + dir + " (" + to_string(e) + ") — " +
                    (e == Errc::corrupted_data ? "its state file is damaged: recreate it with `sebind emu init`"
                                               : "create it with `sebind emu init " + dir + "`"));
        }
        s.chips.push_back(std::move(*chip));
        s.names.push_back(std::move(name));
    }
    if (::pipe2(s.wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return failure(Errc::communication_failure, detail, "pipe2: " + posix::errno_text(errno));
    return d;
}

EmuDaemon::~EmuDaemon() {
    if (!m_impl) return;
    for (const auto& c : m_impl->clients) ::close(c->fd);
    if (m_impl->listen_fd >= 0) {
        ::close(m_impl->listen_fd);
        // Remove the socket only if it is still ours (not replaced by a newer daemon).
        struct stat st {};
        if (::lstat(m_impl->socket_path.c_str(), &st) == 0 && st.st_dev == m_impl->socket_dev &&
            st.st_ino == m_impl->socket_ino)
            ::unlink(m_impl->socket_path.c_str());
    }
    for (int fd : m_impl->wake_pipe)
        if (fd >= 0) ::close(fd);
}

std::size_t EmuDaemon::chip_count() const noexcept { return m_impl->chips.size(); }
const std::vector<std::string>& EmuDaemon::chip_names() const noexcept { return m_impl->names; }

Status EmuDaemon::listen(const std::string& path, std::string* detail) { return listen(path, SocketAccess{}, detail); }

Status EmuDaemon::listen(const std::string& path, const SocketAccess& access, std::string* detail) {
    Impl& s = *m_impl;
    sockaddr_un addr{};
    if (s.listen_fd >= 0) return failure(Errc::invalid_argument, detail, "already listening on " + s.socket_path);
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return failure(Errc::invalid_argument, detail,
                       "socket path '" + path + "' is empty or longer than " +
                           std::to_string(sizeof addr.sun_path - 1) + " bytes");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const auto* sa = reinterpret_cast<const sockaddr*>(&addr);

    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return failure(Errc::already_exists, detail, path + " exists and is not a socket — refusing to replace it");
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const bool live = probe >= 0 && ::connect(probe, sa, sizeof addr) == 0;
        const int probe_errno = errno;
        if (probe >= 0) ::close(probe);
        if (live)
            return failure(Errc::already_exists, detail,
                           "another process is serving on " + path + " — stop it or pick another --socket path");
        if (probe_errno != ECONNREFUSED)
            return failure(Errc::communication_failure, detail,
                           "cannot probe " + path + ": " + posix::errno_text(probe_errno));
        ::unlink(path.c_str());  // stale: its daemon is gone
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return failure(Errc::communication_failure, detail, "socket: " + posix::errno_text(errno));
    if (::bind(fd, sa, sizeof addr) != 0) {
        const int e = errno;
        ::close(fd);
        return failure(
            Errc::communication_failure, detail,
            "cannot bind " + path + ": " + posix::errno_text(e) + " — check the directory exists and is writable");
    }
    // Only the owner (by default) may drive the chips (connect() needs write permission on the
    // socket file); nobody can connect before listen(), so there is no window with other permissions.
    if (access.group >= 0 && ::chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(access.group)) != 0) {
        const int e = errno;
        ::close(fd);
        ::unlink(path.c_str());
        return failure(Errc::communication_failure, detail,
                       "cannot give " + path + " the group " + std::to_string(access.group) + ": " +
                           posix::errno_text(e) + " — the daemon must be a member of that group (or root)");
    }
    if (::chmod(path.c_str(), access.mode & 0777) != 0 || ::lstat(path.c_str(), &st) != 0 || ::listen(fd, 64) != 0) {
        const int e = errno;
        ::close(fd);
        ::unlink(path.c_str());
        return failure(Errc::communication_failure, detail, "cannot listen on " + path + ": " + posix::errno_text(e));
    }
    s.listen_fd = fd;
    s.socket_path = path;
    s.socket_dev = st.st_dev;
    s.socket_ino = st.st_ino;
    return Status::success();
}

void EmuDaemon::stop() noexcept {
    const char b = 1;
    [[maybe_unused]] auto n = ::write(m_impl->wake_pipe[1], &b, 1);
}

Status EmuDaemon::run() {
    Impl& s = *m_impl;
    if (s.listen_fd < 0) return Status(Errc::invalid_argument);
    std::vector<pollfd> fds;
    std::vector<Client*> polled;
    for (;;) {
        fds.assign({{s.wake_pipe[0], POLLIN, 0}, {s.listen_fd, POLLIN, 0}});
        polled.clear();
        for (const auto& c : s.clients) {
            const short events = static_cast<short>((c->wants_input() ? POLLIN : 0) | (c->pending() ? POLLOUT : 0));
            fds.push_back({c->fd, events, 0});
            polled.push_back(c.get());
        }
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return Status(Errc::communication_failure);
        }
        if (fds[0].revents) {
            char drain[16];
            while (::read(s.wake_pipe[0], drain, sizeof drain) > 0) {}
            return Status::success();
        }
        for (std::size_t i = 0; i < polled.size(); ++i) {
            const short revents = fds[i + 2].revents;
            if (!revents) continue;
            Client& c = *polled[i];
            if (revents & POLLIN)
                s.receive(c);
            else if (revents & (POLLERR | POLLHUP | POLLNVAL))
                c.dead = true;                               // gone: nobody to answer
            if (!c.dead && (revents & POLLOUT)) s.flush(c);  // room for replies held back
            s.serve(c);
        }
        std::erase_if(s.clients, [](const std::unique_ptr<Client>& c) {
            if (!(c->dead || (c->closing && c->pending() == 0))) return false;
            ::close(c->fd);
            return true;
        });
        // After the erase, so slots freed this round count; new clients are polled next round.
        if (fds[1].revents & POLLIN) s.accept_clients();
    }
}

}  // namespace sebind::port_linux
