// SPDX-License-Identifier: Apache-2.0
// sebind-emud message codec. Every length is bounded before anything is allocated.
#include "sebind/port_linux/daemon_protocol.hpp"

#include "sebind/core/reader.hpp"

namespace sebind::port_linux::emud {

namespace {
constexpr double kPpb = 1e9;

std::uint64_t read_be64(ByteReader& r, bool& ok) {
    std::uint32_t hi = 0, lo = 0;
    ok = ok && r.be32(hi) && r.be32(lo);
    return (std::uint64_t{hi} << 32) | lo;
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    std::uint8_t b[4];
    store_be32(b, v);
    out.insert(out.end(), b, b + 4);
}
void put_be64(std::vector<std::uint8_t>& out, std::uint64_t v) {
    put_be32(out, static_cast<std::uint32_t>(v >> 32));
    put_be32(out, static_cast<std::uint32_t>(v));
}
std::uint32_t to_ppb(double rate) {
    if (rate <= 0) return 0;
    if (rate >= 1) return static_cast<std::uint32_t>(kPpb);
    return static_cast<std::uint32_t>(rate * kPpb);
}
}  // namespace

Result<std::size_t> message_size(Bytes buffer) noexcept {
    if (buffer.size() < kHeaderSize) return std::size_t{0};
    const std::size_t body = load_be16(&buffer[1]);
    if (body > kMaxBody) return Errc::invalid_argument;
    return buffer.size() >= kHeaderSize + body ? kHeaderSize + body : 0;
}

Result<Request> parse_request(Bytes message) {
    auto size = message_size(message);
    if (!size || *size == 0 || *size != message.size()) return Errc::invalid_argument;
    ByteReader r(message.subspan(kHeaderSize));
    Request req;
    req.op = static_cast<Op>(message[0]);
    bool ok = true;
    switch (req.op) {
        case Op::hello: {
            Bytes name;
            ok = r.u8(req.version) && r.take(r.remaining(), name) && name.size() <= 255;
            req.chip.assign(name.begin(), name.end());
            break;
        }
        case Op::write: {
            Bytes data;
            ok = r.u8(req.address) && r.take(r.remaining(), data) && !data.empty();
            req.data.assign(data.begin(), data.end());
            break;
        }
        case Op::read:
            ok = r.u8(req.address) && r.be16(req.count) && req.count > 0 && req.count <= kMaxBody - 1;
            break;
        case Op::power_cycle:
        case Op::stats: break;
        case Op::set_faults: {
            std::uint32_t rsp = 0, cmd = 0, nack = 0;
            req.faults.seed = read_be64(r, ok);
            ok = ok && r.be32(rsp) && r.be32(cmd) && r.be32(nack) && r.be32(req.faults.nack_burst_length);
            req.faults.power_loss_at_write = read_be64(r, ok);
            ok = ok && rsp <= kPpb && cmd <= kPpb && nack <= kPpb && req.faults.nack_burst_length <= 1000;
            req.faults.response_corruption_rate = rsp / kPpb;
            req.faults.command_corruption_rate = cmd / kPpb;
            req.faults.nack_burst_rate = nack / kPpb;
            break;
        }
        case Op::set_latency: {
            std::uint8_t v = 0;
            ok = r.u8(v) && v <= 1;
            req.latency = v ? emu::Latency::realistic : emu::Latency::zero;
            break;
        }
        default: return Errc::invalid_argument;
    }
    if (!ok || !r.at_end()) return Errc::invalid_argument;
    return req;
}

std::vector<std::uint8_t> encode_message(std::uint8_t op, Bytes body) {
    std::vector<std::uint8_t> out = {op, static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

std::vector<std::uint8_t> encode_request(const Request& req) {
    std::vector<std::uint8_t> body;
    switch (req.op) {
        case Op::hello:
            body.push_back(req.version);
            body.insert(body.end(), req.chip.begin(), req.chip.end());
            break;
        case Op::write:
            body.push_back(req.address);
            body.insert(body.end(), req.data.begin(), req.data.end());
            break;
        case Op::read:
            body = {req.address, static_cast<std::uint8_t>(req.count >> 8), static_cast<std::uint8_t>(req.count)};
            break;
        case Op::power_cycle:
        case Op::stats: break;
        case Op::set_faults:
            put_be64(body, req.faults.seed);
            put_be32(body, to_ppb(req.faults.response_corruption_rate));
            put_be32(body, to_ppb(req.faults.command_corruption_rate));
            put_be32(body, to_ppb(req.faults.nack_burst_rate));
            put_be32(body, req.faults.nack_burst_length);
            put_be64(body, req.faults.power_loss_at_write);
            break;
        case Op::set_latency: body.push_back(req.latency == emu::Latency::realistic ? 1 : 0); break;
    }
    return encode_message(static_cast<std::uint8_t>(req.op), body);
}

}  // namespace sebind::port_linux::emud
