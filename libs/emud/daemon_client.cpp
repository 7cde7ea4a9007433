// SPDX-License-Identifier: Apache-2.0
// The client side of sebind-emud: DaemonLink (connect + HELLO + request/reply), DaemonBus and
// DaemonControl on top of it.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_link.hpp"
#include "posix_io.hpp"
#include "sebind/core/log.hpp"
#include "sebind/emud/daemon.hpp"

namespace sebind::port_linux {

using namespace emud;

namespace {

Status failure(Errc code, std::string* detail, std::string text) {
    if (detail) *detail = std::move(text);
    return Status(code);
}

std::string start_hint(const std::string& path) { return " — start it with `sebind-emud --socket " + path + " DIR`"; }

/// The daemon is running but its socket file (or a directory above it) does not let us in.
std::string permission_denied(const std::string& path) {
    std::string who = "the socket";
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        who = "the socket (owner uid " + std::to_string(st.st_uid) + ", group gid " + std::to_string(st.st_gid) +
              ", mode " + mode + ")";
    }
    return "cannot connect to sebind-emud at " + path + ": permission denied — " + who + " does not let uid " +
           std::to_string(::geteuid()) +
           " in: run as its owner, or start sebind-emud with --socket-group GROUP --socket-mode 0660 and add "
           "this user to GROUP (and check the directories above it can be searched)";
}

}  // namespace

Result<std::unique_ptr<DaemonLink>> DaemonLink::connect(const std::string& path, const std::string& chip,
                                                        std::string* detail) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return failure(Errc::invalid_argument, detail,
                       "the socket path '" + path + "' is " + std::to_string(path.size()) +
                           " bytes; a Unix socket path (sun_path) holds 1 to " +
                           std::to_string(sizeof addr.sun_path - 1) +
                           " — use a shorter path (e.g. under /run or /tmp)");
    if (chip.size() > kMaxChipName)
        return failure(Errc::invalid_argument, detail,
                       "the chip name is longer than " + std::to_string(kMaxChipName) +
                           " bytes — use the base name of the chip's directory");
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return failure(Errc::communication_failure, detail, "cannot create a Unix socket: " + posix::errno_text(errno));
    std::unique_ptr<DaemonLink> link(new DaemonLink(fd));
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EACCES) return failure(Errc::not_permitted, detail, permission_denied(path));
        return failure(Errc::communication_failure, detail,
                       "cannot connect to sebind-emud at " + path + ": " + posix::errno_text(errno) + start_hint(path));
    }
    // A hung daemon must surface as a bus fault, not as a driver blocked forever.
    const timeval tv{kDaemonReplyTimeoutMs / 1000, (kDaemonReplyTimeoutMs % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    Request hello;
    hello.op = Op::hello;
    hello.version = kVersion;
    hello.chip = chip;
    auto reply = link->call(hello);
    if (!reply)
        return failure(
            Errc::communication_failure, detail,
            "sebind-emud at " + path + " closed the connection during HELLO" +
                (link->refusal().empty() ? std::string(" (is it a sebind-emud socket?)") : ": " + link->refusal()));
    if (reply->size() < 2)
        return failure(Errc::invalid_response, detail, "sebind-emud at " + path + " sent a malformed HELLO reply");
    const auto status = static_cast<HelloStatus>((*reply)[0]);
    const unsigned version = (*reply)[1];
    switch (status) {
        case HelloStatus::ok: link->m_chip.assign(reply->begin() + 2, reply->end()); return link;
        case HelloStatus::no_such_chip:
            return failure(Errc::does_not_exist, detail,
                           "sebind-emud at " + path + " has no chip named '" + chip +
                               "' — a chip's name is the base name of its directory");
        case HelloStatus::unsupported_version:
            return failure(Errc::not_supported, detail,
                           "sebind-emud at " + path + " speaks protocol version " + std::to_string(version) +
                               ", this client version " + std::to_string(kVersion) + " — use matching sebind builds");
    }
    return failure(Errc::invalid_response, detail, "sebind-emud at " + path + " sent an unknown HELLO status");
}

DaemonLink::~DaemonLink() { do_break(); }

void DaemonLink::do_break() noexcept {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

Result<std::vector<std::uint8_t>> DaemonLink::call(const Request& request) noexcept {
    if (m_fd < 0) return Errc::communication_failure;
    const auto message = encode_request(request);
    std::uint8_t header[kHeaderSize];
    // A refusing daemon (too many clients) writes its error and closes at once, so the send may
    // fail with EPIPE while the explanation already waits in the receive queue: read it anyway.
    const bool sent = posix::send_all(m_fd, message.data(), message.size());
    if (!posix::recv_exact(m_fd, header, sizeof header) || (!sent && header[0] != kErrorOp)) {
        do_break();
        return Errc::communication_failure;
    }
    const std::size_t length = load_be16(&header[1]);
    if (length > kMaxBody) {
        do_break();
        return Errc::invalid_response;
    }
    std::vector<std::uint8_t> body(length);
    if (!posix::recv_exact(m_fd, body.data(), length)) {
        do_break();
        return Errc::communication_failure;
    }
    if (header[0] == kErrorOp) {
        // The daemon closes after an error; keep its explanation for connect()'s message.
        if (!body.empty()) m_refusal.assign(body.begin() + 1, body.end());
        do_break();
        return Errc::communication_failure;
    }
    if (header[0] != (static_cast<std::uint8_t>(request.op) | kReplyBit)) {
        do_break();
        return Errc::invalid_response;
    }
    return body;
}

// --- DaemonBus ---------------------------------------------------------------------------------

DaemonBus::DaemonBus(std::unique_ptr<DaemonLink> link, std::string socket_path) noexcept
    : m_link(std::move(link)), m_socket_path(std::move(socket_path)), m_chip(m_link->chip()) {}
DaemonBus::~DaemonBus() = default;

Result<std::unique_ptr<DaemonBus>> DaemonBus::connect(const std::string& socket_path, const std::string& chip,
                                                      std::string* detail) {
    auto link = DaemonLink::connect(socket_path, chip, detail);
    if (!link) return link.status();
    return std::unique_ptr<DaemonBus>(new DaemonBus(std::move(*link), socket_path));
}

const std::string& DaemonBus::chip() const noexcept { return m_chip; }

DaemonLink* DaemonBus::link() noexcept {
    if (m_link->broken()) {
        // The same chip by name: a restarted daemon may list its chips in another order.
        auto again = DaemonLink::connect(m_socket_path, m_chip, nullptr);
        if (!again) return nullptr;
        m_link = std::move(*again);
        log(LogLevel::info, "emud: connected again to %s (chip %s)", m_socket_path.c_str(), m_chip.c_str());
    }
    return m_link.get();
}

namespace {
/// The result byte of a WRITE/READ reply; anything unexpected is a fault.
stsafe::BusResult to_bus_result(std::uint8_t ack) noexcept {
    switch (static_cast<Ack>(ack)) {
        case Ack::ack: return stsafe::BusResult::ok;
        case Ack::nack: return stsafe::BusResult::nack;
        case Ack::fault: return stsafe::BusResult::fault;
        case Ack::host_storage: return stsafe::BusResult::host_storage;
    }
    return stsafe::BusResult::fault;
}
}  // namespace

stsafe::BusResult DaemonBus::write(std::uint8_t address, Bytes data) noexcept {
    if (data.empty() || data.size() > kMaxTransfer) return stsafe::BusResult::fault;
    Request req;
    req.op = Op::write;
    req.address = address;
    req.data.assign(data.begin(), data.end());
    DaemonLink* l = link();
    if (l == nullptr) return stsafe::BusResult::fault;
    auto reply = l->call(req);
    if (!reply || reply->size() != 1) return stsafe::BusResult::fault;
    return to_bus_result((*reply)[0]);
}

stsafe::BusResult DaemonBus::read(std::uint8_t address, MutableBytes out) noexcept {
    if (out.empty() || out.size() > kMaxTransfer) return stsafe::BusResult::fault;
    Request req;
    req.op = Op::read;
    req.address = address;
    req.count = static_cast<std::uint16_t>(out.size());
    DaemonLink* l = link();
    if (l == nullptr) return stsafe::BusResult::fault;
    auto reply = l->call(req);
    if (!reply || reply->empty()) return stsafe::BusResult::fault;
    const auto result = to_bus_result((*reply)[0]);
    if (result != stsafe::BusResult::ok) return reply->size() == 1 ? result : stsafe::BusResult::fault;
    if (reply->size() != out.size() + 1) return stsafe::BusResult::fault;
    std::memcpy(out.data(), reply->data() + 1, out.size());
    return stsafe::BusResult::ok;
}

// --- DaemonControl -----------------------------------------------------------------------------

DaemonControl::DaemonControl(std::unique_ptr<DaemonLink> link) noexcept : m_link(std::move(link)) {}
DaemonControl::~DaemonControl() = default;

Result<std::unique_ptr<DaemonControl>> DaemonControl::connect(const std::string& socket_path, const std::string& chip,
                                                              std::string* detail) {
    auto link = DaemonLink::connect(socket_path, chip, detail);
    if (!link) return link.status();
    return std::unique_ptr<DaemonControl>(new DaemonControl(std::move(*link)));
}

const std::string& DaemonControl::chip() const noexcept { return m_link->chip(); }

namespace {
/// Control replies carry one byte: 0, or the sebind Errc the chip returned.
Status status_of(const Result<std::vector<std::uint8_t>>& reply) noexcept {
    if (!reply) return reply.status();
    if (reply->size() != 1 || (*reply)[0] > static_cast<std::uint8_t>(Errc::expired))
        return Status(Errc::invalid_response);
    return Status(static_cast<Errc>((*reply)[0]));
}
}  // namespace

Status DaemonControl::power_cycle() noexcept {
    Request req;
    req.op = Op::power_cycle;
    return status_of(m_link->call(req));
}

Status DaemonControl::set_faults(const emu::FaultConfig& faults) noexcept {
    if (faults.nack_burst_length > kMaxNackBurst) return Status(Errc::invalid_argument);
    Request req;
    req.op = Op::set_faults;
    req.faults = faults;
    return status_of(m_link->call(req));
}

Status DaemonControl::set_latency(emu::Latency latency) noexcept {
    Request req;
    req.op = Op::set_latency;
    req.latency = latency;
    return status_of(m_link->call(req));
}

Result<emu::ChipStats> DaemonControl::stats() noexcept {
    Request req;
    req.op = Op::stats;
    auto reply = m_link->call(req);
    if (!reply) return reply.status();
    return decode_stats(*reply);
}

}  // namespace sebind::port_linux
