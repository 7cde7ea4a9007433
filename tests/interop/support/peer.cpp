// SPDX-License-Identifier: Apache-2.0
// Child-process peers with output-based readiness.
#include "peer.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <regex>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.hpp"

namespace sebind::test {

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

Peer::Peer(const std::vector<std::string>& argv) {
    int fds[2], in[2];
    if (::pipe2(fds, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) return;
    m_pid = ::fork();
    if (m_pid == 0) {
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        // stdin stays open until stop(): some servers (openssl s_server) exit at EOF on stdin.
        ::dup2(in[0], 0);
        std::vector<std::string> copy = argv;
        std::vector<char*> args;
        for (auto& a : copy) args.push_back(a.data());
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    ::close(in[0]);
    m_fd = fds[0];
    m_stdin = in[1];
}

Peer::~Peer() {
    stop();
    if (m_fd >= 0) ::close(m_fd);
    if (m_stdin >= 0) ::close(m_stdin);
}

bool Peer::write_input(const std::string& bytes) {
    std::size_t done = 0;
    while (m_stdin >= 0 && done < bytes.size()) {
        const ssize_t n = ::write(m_stdin, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return done == bytes.size();
}

void Peer::drain(int timeout_ms) {
    if (m_fd < 0) return;
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    char buf[4096];
    const ssize_t n = ::read(m_fd, buf, sizeof buf);
    if (n > 0) {
        m_output.append(buf, static_cast<std::size_t>(n));
    } else {
        ::close(m_fd);
        m_fd = -1;
    }
}

bool Peer::wait_for(const std::string& token, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (m_output.find(token) == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0 || m_fd < 0) return m_output.find(token) != std::string::npos;
        drain(static_cast<int>(left));
    }
    return true;
}

const std::string& Peer::output() {
    while (m_fd >= 0) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        drain(0);
    }
    return m_output;
}

std::size_t Peer::count_lines(const std::string& token) {
    const std::string& text = output();
    std::size_t n = 0, at = 0;
    while ((at = text.find(token, at)) != std::string::npos) {
        ++n;
        at = text.find('\n', at);
        if (at == std::string::npos) break;
    }
    return n;
}

int Peer::wait_exit(int timeout_ms) {
    if (m_pid <= 0) return m_status;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_pid = -1;
            m_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            output();
            return m_status;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return -1;
        // Collect output meanwhile; this also paces the loop without a blind sleep.
        drain(static_cast<int>(std::min<long long>(left, 50)));
    }
}

void Peer::stop() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGTERM);
    // Keep reading its output while it exits: a peer blocked writing into a full pipe would
    // otherwise never see its SIGTERM through. One that still has not gone gets SIGKILL.
    if (wait_exit(5000) == -1 && m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
    }
}

namespace {

/// A listening socket on 127.0.0.1 at a port the kernel picks (in `addr`), or -1.
int listen_on_loopback(int backlog, sockaddr_in& addr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr = sockaddr_in{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, backlog) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        return fd;
    if (fd >= 0) ::close(fd);
    return -1;
}

}  // namespace

UnansweredPort::UnansweredPort() {
    sockaddr_in addr{};
    m_listener = listen_on_loopback(0, addr);
    if (m_listener < 0) return;
    // The one connection the queue holds; nobody accepts it.
    m_filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_filler >= 0 && ::connect(m_filler, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
        m_port = ntohs(addr.sin_port);
}

UnansweredPort::~UnansweredPort() {
    if (m_filler >= 0) ::close(m_filler);
    if (m_listener >= 0) ::close(m_listener);
}

DribblingServer::DribblingServer(int interval_ms, int close_after_ms)
    : m_interval_ms(interval_ms), m_close_after_ms(close_after_ms) {
    sockaddr_in addr{};
    m_listener = listen_on_loopback(16, addr);
    if (m_listener < 0 || ::pipe2(m_stop, O_CLOEXEC) != 0) return;
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
}

DribblingServer::~DribblingServer() {
    if (m_thread.joinable()) {
        (void)!::write(m_stop[1], "x", 1);
        m_thread.join();
    }
    for (const int fd : {m_listener, m_stop[0], m_stop[1]})
        if (fd >= 0) ::close(fd);
}

void DribblingServer::serve() {
    // A handshake record (0x16), TLS 1.2, 16,384 bytes announced; then the body, never complete.
    static const unsigned char kRecordStart[] = {0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00, 0x3F, 0xFC, 0x03, 0x03};
    struct Client {
        int fd;
        std::size_t sent;
        std::chrono::steady_clock::time_point since;
    };
    std::vector<Client> clients;
    auto next_byte = std::chrono::steady_clock::now();
    for (;;) {
        const auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(next_byte - std::chrono::steady_clock::now()).count();
        pollfd p[2] = {{m_stop[0], POLLIN, 0}, {m_listener, POLLIN, 0}};
        if (::poll(p, 2, static_cast<int>(std::max<long long>(wait, 0))) < 0 && errno != EINTR) break;
        if (p[0].revents != 0) break;
        if (p[1].revents & POLLIN) {
            const int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                clients.push_back({fd, 0, std::chrono::steady_clock::now()});
                ++m_accepted;
            }
        }
        if (std::chrono::steady_clock::now() < next_byte) continue;
        next_byte += std::chrono::milliseconds(m_interval_ms);
        for (auto it = clients.begin(); it != clients.end();) {
            const unsigned char b = it->sent < sizeof kRecordStart ? kRecordStart[it->sent] : 0x00;
            const bool expired = std::chrono::steady_clock::now() - it->since >=
                                 std::chrono::milliseconds(m_close_after_ms);
            if (!expired && ::send(it->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
                ++it->sent;
                ++it;
            } else {
                ::close(it->fd);  // the client gave up, or its time is over
                it = clients.erase(it);
            }
        }
    }
    for (const Client& c : clients) ::close(c.fd);
}

bool start_mosquitto(const std::string& conf, int& port, std::unique_ptr<Peer>& broker) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        broker = std::make_unique<Peer>(std::vector<std::string>{"mosquitto", "-c", conf});
        if (broker->wait_for(" running")) return true;
        if (broker->output().find("Address already in use") == std::string::npos) return false;
        port = free_port();
        write_file(conf, std::regex_replace(read_text(conf), std::regex("\nlistener [0-9]+ "),
                                            "\nlistener " + std::to_string(port) + " "));
    }
    return false;
}

}  // namespace sebind::test
