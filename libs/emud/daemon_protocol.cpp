// SPDX-License-Identifier: Apache-2.0
// sebind-emud message codec. Every length is bounded before anything is allocated.
#include "sebind/emud/daemon_protocol.hpp"

#include <cmath>

#include "sebind/core/reader.hpp"

namespace sebind::port_linux::emud {

namespace {

constexpr std::uint32_t kPpb = 1'000'000'000;

bool read_be64(ByteReader& r, std::uint64_t& out) {
    std::uint32_t hi = 0, lo = 0;
    if (!r.be32(hi) || !r.be32(lo)) return false;
    out = (std::uint64_t{hi} << 32) | lo;
    return true;
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

/// Rounds (not truncates) so that ppb -> double -> ppb is the identity for every valid value.
std::uint32_t to_ppb(double rate) {
    if (!(rate > 0)) return 0;  // also NaN
    if (rate >= 1) return kPpb;
    return static_cast<std::uint32_t>(std::llround(rate * kPpb));
}

double from_ppb(std::uint32_t ppb) { return static_cast<double>(ppb) / kPpb; }

}  // namespace

bool is_request_op(std::uint8_t op) noexcept {
    switch (static_cast<Op>(op)) {
        case Op::hello:
        case Op::write:
        case Op::read:
        case Op::power_cycle:
        case Op::set_faults:
        case Op::set_latency:
        case Op::stats: return true;
    }
    return false;
}

Result<std::size_t> message_size(Bytes buffer) noexcept {
    if (buffer.size() < kHeaderSize) return std::size_t{0};
    const std::size_t body = load_be16(&buffer[1]);
    if (body > kMaxBody) return Errc::out_of_range;
    return buffer.size() >= kHeaderSize + body ? kHeaderSize + body : std::size_t{0};
}

Result<Request> parse_request(Bytes message) {
    auto size = message_size(message);
    if (!size) return size.status();
    if (*size == 0 || *size != message.size()) return Errc::invalid_argument;
    if (!is_request_op(message[0])) return Errc::invalid_argument;
    ByteReader r(message.subspan(kHeaderSize));
    Request req;
    req.op = static_cast<Op>(message[0]);
    bool ok = true;
    switch (req.op) {
        case Op::hello: {
            Bytes name;
            ok = r.u8(req.version) && r.take(r.remaining(), name) && name.size() <= kMaxChipName;
            if (ok) req.chip.assign(name.begin(), name.end());
            break;
        }
        case Op::write: {
            Bytes data;
            // message_size bounds the body, so data.size() <= kMaxTransfer here.
            ok = r.u8(req.address) && r.take(r.remaining(), data) && !data.empty();
            if (ok) req.data.assign(data.begin(), data.end());
            break;
        }
        case Op::read: ok = r.u8(req.address) && r.be16(req.count) && req.count > 0 && req.count <= kMaxTransfer; break;
        case Op::power_cycle:
        case Op::stats: break;
        case Op::set_faults: {
            std::uint32_t rsp = 0, cmd = 0, nack = 0;
            emu::FaultConfig& f = req.faults;
            ok = read_be64(r, f.seed) && r.be32(rsp) && r.be32(cmd) && r.be32(nack) && r.be32(f.nack_burst_length) &&
                 read_be64(r, f.power_loss_at_write) && rsp <= kPpb && cmd <= kPpb && nack <= kPpb &&
                 f.nack_burst_length <= kMaxNackBurst;
            f.response_corruption_rate = from_ppb(rsp);
            f.command_corruption_rate = from_ppb(cmd);
            f.nack_burst_rate = from_ppb(nack);
            break;
        }
        case Op::set_latency: {
            std::uint8_t v = 0;
            ok = r.u8(v) && v <= 1;
            req.latency = v ? emu::Latency::realistic : emu::Latency::zero;
            break;
        }
    }
    if (!ok || !r.at_end()) return Errc::invalid_argument;
    return req;
}

std::vector<std::uint8_t> encode_message(std::uint8_t op, Bytes body) {
    SEBIND_EXPECTS(body.size() <= kMaxBody);
    std::vector<std::uint8_t> out;
    out.reserve(kHeaderSize + body.size());
    out.push_back(op);
    out.push_back(static_cast<std::uint8_t>(body.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

std::vector<std::uint8_t> encode_error(ErrorCode code, std::string_view text) {
    std::vector<std::uint8_t> body = {static_cast<std::uint8_t>(code)};
    body.insert(body.end(), text.begin(), text.begin() + static_cast<long>(std::min(text.size(), kMaxBody - 1)));
    return encode_message(kErrorOp, body);
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

std::vector<std::uint8_t> encode_stats(const emu::ChipStats& s) {
    std::vector<std::uint8_t> body;
    body.reserve(kStatsBodySize);
    for (std::uint64_t v : {s.commands, s.signatures, s.key_establishments, s.nvm_writes}) put_be64(body, v);
    return body;
}

Result<emu::ChipStats> decode_stats(Bytes body) noexcept {
    ByteReader r(body);
    emu::ChipStats s;
    if (!read_be64(r, s.commands) || !read_be64(r, s.signatures) || !read_be64(r, s.key_establishments) ||
        !read_be64(r, s.nvm_writes) || !r.at_end())
        return Errc::invalid_response;
    return s;
}

}  // namespace sebind::port_linux::emud
