// SPDX-License-Identifier: Apache-2.0
// DaemonBus: a stsafe::Bus whose transactions travel to sebind-emud over a Unix socket.
#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sebind/port_linux/daemon.hpp"
#include "sebind/port_linux/daemon_protocol.hpp"

namespace sebind::port_linux {

using namespace emud;

namespace {

bool recv_exact(int fd, std::uint8_t* out, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = ::recv(fd, out + done, n - done, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        done += static_cast<std::size_t>(r);
    }
    return true;
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

Result<std::unique_ptr<DaemonBus>> DaemonBus::connect(const std::string& socket_path, const std::string& chip) {
    sockaddr_un addr{};
    if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) return Errc::invalid_argument;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Errc::communication_failure;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return Errc::communication_failure;
    }
    std::unique_ptr<DaemonBus> bus(new DaemonBus(fd));
    Request hello;
    hello.op = Op::hello;
    hello.version = kVersion;
    hello.chip = chip;
    auto reply = bus->call(encode_request(hello), static_cast<std::uint8_t>(Op::hello));
    if (!reply) return reply.status();
    if (reply->empty() || (*reply)[0] == 2) return Errc::not_supported;
    if ((*reply)[0] != 0) return Errc::does_not_exist;
    return bus;
}

DaemonBus::~DaemonBus() { ::close(m_fd); }

Result<std::vector<std::uint8_t>> DaemonBus::call(const std::vector<std::uint8_t>& message, std::uint8_t op) noexcept {
    if (!send_all(m_fd, message)) return Errc::communication_failure;
    std::uint8_t header[kHeaderSize];
    if (!recv_exact(m_fd, header, sizeof header)) return Errc::communication_failure;
    const std::size_t n = load_be16(&header[1]);
    if (n > kMaxBody) return Errc::invalid_response;
    std::vector<std::uint8_t> body(n);
    if (!recv_exact(m_fd, body.data(), n)) return Errc::communication_failure;
    if (header[0] == kErrorOp) return Errc::invalid_argument;
    if (header[0] != (op | kReplyBit)) return Errc::invalid_response;
    return body;
}

stsafe::BusResult DaemonBus::write(std::uint8_t address, Bytes data) noexcept {
    if (data.empty() || data.size() > kMaxBody - 1) return stsafe::BusResult::fault;
    Request req;
    req.op = Op::write;
    req.address = address;
    req.data.assign(data.begin(), data.end());
    auto reply = call(encode_request(req), static_cast<std::uint8_t>(Op::write));
    if (!reply || reply->size() != 1) return stsafe::BusResult::fault;
    return (*reply)[0] == 0 ? stsafe::BusResult::ok : (*reply)[0] == 1 ? stsafe::BusResult::nack : stsafe::BusResult::fault;
}

stsafe::BusResult DaemonBus::read(std::uint8_t address, MutableBytes out) noexcept {
    if (out.empty() || out.size() > kMaxBody - 1) return stsafe::BusResult::fault;
    Request req;
    req.op = Op::read;
    req.address = address;
    req.count = static_cast<std::uint16_t>(out.size());
    auto reply = call(encode_request(req), static_cast<std::uint8_t>(Op::read));
    if (!reply || reply->empty()) return stsafe::BusResult::fault;
    if ((*reply)[0] == 1) return stsafe::BusResult::nack;
    if ((*reply)[0] != 0 || reply->size() != out.size() + 1) return stsafe::BusResult::fault;
    std::memcpy(out.data(), reply->data() + 1, out.size());
    return stsafe::BusResult::ok;
}

namespace {
Status status_of_reply(const Result<std::vector<std::uint8_t>>& reply) {
    if (!reply) return reply.status();
    if (reply->size() != 1) return Status(Errc::invalid_response);
    return (*reply)[0] == 0 ? Status::success() : Status(static_cast<Errc>((*reply)[0]));
}
}  // namespace

Status DaemonBus::power_cycle() noexcept {
    Request req;
    req.op = Op::power_cycle;
    return status_of_reply(call(encode_request(req), static_cast<std::uint8_t>(req.op)));
}

Status DaemonBus::set_faults(const emu::FaultConfig& faults) noexcept {
    Request req;
    req.op = Op::set_faults;
    req.faults = faults;
    return status_of_reply(call(encode_request(req), static_cast<std::uint8_t>(req.op)));
}

Status DaemonBus::set_latency(emu::Latency latency) noexcept {
    Request req;
    req.op = Op::set_latency;
    req.latency = latency;
    return status_of_reply(call(encode_request(req), static_cast<std::uint8_t>(req.op)));
}

Result<emu::ChipStats> DaemonBus::stats() noexcept {
    Request req;
    req.op = Op::stats;
    auto reply = call(encode_request(req), static_cast<std::uint8_t>(req.op));
    if (!reply) return reply.status();
    if (reply->size() != 32) return Errc::invalid_response;
    auto u64 = [&](std::size_t at) { return (std::uint64_t{load_be32(reply->data() + at)} << 32) | load_be32(reply->data() + at + 4); };
    emu::ChipStats s;
    s.commands = u64(0);
    s.signatures = u64(8);
    s.key_establishments = u64(16);
    s.nvm_writes = u64(24);
    return s;
}

}  // namespace sebind::port_linux
