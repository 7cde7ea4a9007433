// SPDX-License-Identifier: Apache-2.0
// Hand-written fakes at the Bus seam for the driver's unit tests: FakeBus records every I2C
// transaction and can NACK, fault or damage them; FakeChip is a scripted chip behind it that
// answers queries from tables, runs the host secure channel (with the library's primitives, which
// secure_channel_test checks against the protocol doc's vectors) and hands other commands to a
// test-supplied handler.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sebind/core/clock.hpp"
#include "sebind/stsafe/bus.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/secure_channel.hpp"
#include "test_util.hpp"

namespace sebind::test {

using Frame = std::vector<std::uint8_t>;

inline Frame response_frame(std::uint8_t status, Bytes payload, Bytes rmac = {}) {
    Frame out(payload.size() + rmac.size() + 8);
    auto n = stsafe::encode_response(status, payload, rmac, out);
    if (!n) throw std::runtime_error("test response does not encode");
    out.resize(*n);
    return out;
}

/// What the chip saw of one command, after C-MAC check and decryption.
struct SeenCommand {
    std::uint8_t header = 0;
    std::uint8_t code = 0;
    Frame payload;                         ///< plaintext
    std::optional<std::uint32_t> counter;  ///< C used for the C-MAC, when MAC'd
};

/// A reply from a test handler: status and plaintext payload. `raw` bypasses everything.
struct Reply {
    Reply() = default;
    Reply(std::uint8_t status_code, Frame plain) : status(status_code), payload(std::move(plain)) {}
    /// A complete response frame sent as is.
    static Reply raw_frame(Frame frame) {
        Reply r;
        r.raw = std::move(frame);
        return r;
    }
    std::uint8_t status = 0;
    Frame payload;
    std::optional<Frame> raw;
};

class FakeChip {
public:
    std::optional<stsafe::HostKeys> keys;
    std::uint32_t counter = 0;  ///< the chip's C-MAC sequence counter
    /// Payload of Query answers by tag (tag 0x17 is generated from keys/counter).
    std::map<std::uint8_t, Frame> queries;
    /// Command code -> encryption flags (bit 1 command, bit 0 response), as in the 0x24 table.
    std::map<std::uint8_t, std::uint8_t> encryption;
    /// Anything that is not a Query. Default: Echo echoes, Generate Random returns the count asked
    /// for (bytes 0xA5), everything else succeeds with an empty payload.
    std::function<Reply(const SeenCommand&)> handler = [](const SeenCommand& c) {
        if (c.code == 0x00) return Reply{0, c.payload};
        if (c.code == 0x02 && c.payload.size() == 2) return Reply{0, Frame(c.payload[1], 0xA5)};
        return Reply{0, {}};
    };
    /// Test hook to damage a MAC'd answer's R-MAC (applied before the CRC is computed).
    std::function<void(stsafe::Mac&)> rmac_damage;
    /// Append the R-MAC without setting status bit 6 (STSELib-style device [I]).
    bool unflagged_rmac = false;
    std::vector<SeenCommand> seen;

    Frame process(const stsafe::CommandFrame& f) {
        SeenCommand cmd;
        cmd.header = f.header;
        cmd.code = f.header & 0x1F;
        std::uint32_t used = counter;
        if (f.header & 0x80) {
            if (!keys) return response_frame(0x11, {});
            // A used-up 24-bit counter cannot MAC anything more (§7.1 [I], as the emulator does).
            if (counter >= stsafe::kMaxSequenceCounter) return response_frame(0x09, {});
            auto mac = stsafe::compute_cmac(*keys, counter, f.header, f.payload);
            if (!mac || !std::equal(mac->begin(), mac->end(), f.cmac.begin())) return response_frame(0x16, {});
            cmd.counter = used;
            ++counter;
        }
        const std::uint8_t flags = encryption.count(cmd.code) ? encryption.at(cmd.code) : 0;
        if ((flags & 0x02) && (f.header & 0x80)) {
            Frame plain(f.payload.size());
            auto n = stsafe::decrypt_payload(*keys, used, stsafe::Direction::command, f.payload, plain);
            if (!n) return response_frame(0x18, {});
            plain.resize(*n);
            cmd.payload = plain;
        } else {
            cmd.payload.assign(f.payload.begin(), f.payload.end());
        }
        seen.push_back(cmd);
        Reply reply;
        if (cmd.code == 0x14 && cmd.payload.size() == 1 && cmd.payload[0] == 0x17) {
            reply.payload = {static_cast<std::uint8_t>(keys ? 1 : 0), static_cast<std::uint8_t>(counter >> 16),
                             static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)};
        } else if (cmd.code == 0x14 && cmd.payload.size() == 1 && queries.count(cmd.payload[0])) {
            reply.payload = queries.at(cmd.payload[0]);
        } else {
            reply = handler(cmd);
        }
        if (reply.raw) return *reply.raw;
        if (reply.status != 0) return response_frame(reply.status, {});
        Frame wire = reply.payload;
        if ((flags & 0x01) && (f.header & 0x80) && !wire.empty()) {
            Frame enc(wire.size() + 16);
            enc.resize(*stsafe::encrypt_payload(*keys, used, stsafe::Direction::response, reply.payload, enc));
            wire = enc;
        }
        if ((f.header & 0x40) && (f.header & 0x80)) {
            const std::uint8_t status = unflagged_rmac ? 0x00 : 0x40;
            auto rmac = *stsafe::compute_rmac(*keys, used, f.header, f.payload, status, wire);
            if (rmac_damage) rmac_damage(rmac);
            if (unflagged_rmac) {
                Frame body = wire;
                body.insert(body.end(), rmac.begin(), rmac.end());
                return response_frame(0x00, body);
            }
            return response_frame(0x40, wire, rmac);
        }
        return response_frame(0x00, wire);
    }
};

/// Records every transaction; `chip` (or `respond`) produces the response of each write. Reads
/// restart at the response's first byte and clock 0xFF past its end, as the chip does (§1.6).
class FakeBus final : public stsafe::Bus {
public:
    FakeChip chip;
    /// Overrides `chip` when set.
    std::function<Frame(const stsafe::CommandFrame&)> respond;
    std::deque<stsafe::BusResult> write_script;  ///< consumed per write attempt; ok when empty
    std::deque<stsafe::BusResult> read_script;   ///< consumed per read attempt; ok when empty
    /// Consumed per successful read: damages the bytes that read returns (not the response).
    std::deque<std::function<void(Frame&)>> read_damage;
    std::vector<Frame> writes;            ///< command frames the chip accepted
    std::vector<std::size_t> read_sizes;  ///< sizes of the successful reads
    std::uint8_t last_address = 0;

    stsafe::BusResult write(std::uint8_t address, Bytes data) noexcept override {
        last_address = address;
        if (!write_script.empty()) {
            const auto r = write_script.front();
            write_script.pop_front();
            if (r != stsafe::BusResult::ok) return r;
        }
        writes.emplace_back(data.begin(), data.end());
        auto cmd = stsafe::decode_command(data);
        // A command with a bad CRC is answered 0x01 and not executed (§2.1).
        m_response = !cmd ? response_frame(0x01, {}) : respond ? respond(*cmd) : chip.process(*cmd);
        return stsafe::BusResult::ok;
    }

    stsafe::BusResult read(std::uint8_t address, MutableBytes out) noexcept override {
        last_address = address;
        if (!read_script.empty()) {
            const auto r = read_script.front();
            read_script.pop_front();
            if (r != stsafe::BusResult::ok) return r;
        }
        Frame bytes = m_response;
        if (!read_damage.empty()) {
            read_damage.front()(bytes);
            read_damage.pop_front();
        }
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = i < bytes.size() ? bytes[i] : 0xFF;
        read_sizes.push_back(out.size());
        return stsafe::BusResult::ok;
    }

    /// Frames whose command code (low 5 bits of the header) is `code`.
    std::size_t count_code(std::uint8_t code) const {
        std::size_t n = 0;
        for (const auto& w : writes) n += (w[0] & 0x1F) == code ? 1 : 0;
        return n;
    }
    std::size_t count_query(std::uint8_t tag) const {
        std::size_t n = 0;
        for (const auto& s : chip.seen) n += s.code == 0x14 && s.payload.size() == 1 && s.payload[0] == tag ? 1 : 0;
        return n;
    }

private:
    Frame m_response;
};

inline void flip_last_byte(Frame& b) { b.back() ^= 0x01; }

inline stsafe::DeviceConfig emulator_like_config() {
    stsafe::DeviceConfig c;
    c.wait_table_percent = 0;
    return c;
}

/// A FakeBus, a ManualClock and a Device on them.
struct Rig {
    FakeBus bus;
    ManualClock clock;
    stsafe::Device device;
    explicit Rig(stsafe::DeviceConfig config = emulator_like_config()) : device(bus, clock, config) {}
};

/// Query 0x12 payload: the A110 layout of protocol doc §6.2 with `zone1_ac` as zone 1's AC byte.
inline Frame a110_partition(std::uint8_t zone1_ac = 0x08) {
    Frame p = hex(
        "08 00 00 07 03 E8 01 00 08 02 BC 02 00 08 02 58 03 00 08 02 58 04 00 08 06 A0"
        " 05 01 08 00 40 00 00 00 10 06 01 08 00 40 00 00 00 20 07 00 08 06 2A");
    p[1 + 5 + 2] = zone1_ac;
    return p;
}

/// Query 0x24 payload of the real A110 (§4.14).
inline Frame a110_command_table() {
    return hex("00 09 08 00 00 09 00 00 0A 00 00 0E 03 02 0F 03 01 16 01 00 18 01 00 1B 00 00 1C 00 00");
}

/// Query 0x14 payload: slot 0 P-256, slot 1 with `slot1` (OID bytes, empty = no key), 0xFF empty.
inline Frame key_table(const Frame& slot1_oid = {}, std::uint16_t slot1_mode = 0x800D) {
    Frame t = hex("03 00 FF FF 00 01 00 04 00 08 2A 86 48 CE 3D 03 01 07");
    t.push_back(0x01);
    t.push_back(slot1_oid.empty() ? 0 : 1);
    t.push_back(static_cast<std::uint8_t>(slot1_mode >> 8));
    t.push_back(static_cast<std::uint8_t>(slot1_mode));
    if (!slot1_oid.empty()) {
        t.push_back(0);
        t.push_back(static_cast<std::uint8_t>(slot1_oid.size()));
        t.insert(t.end(), slot1_oid.begin(), slot1_oid.end());
    }
    t.insert(t.end(), {std::uint8_t{0xFF}, std::uint8_t{0x00}, std::uint8_t{0x00}, std::uint8_t{0x00}});
    return t;
}

inline const Frame kOidP256 = hex("2A 86 48 CE 3D 03 01 07");
inline const Frame kOidP384 = hex("2B 81 04 00 22");

/// ST's published example host keys (§7.6).
inline stsafe::HostKeys example_host_keys() {
    stsafe::HostKeys k;
    const auto km = hex("00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF");
    const auto kc = hex("11 11 22 22 33 33 44 44 55 55 66 66 77 77 88 88");
    std::copy(km.begin(), km.end(), k.mac_key.begin());
    std::copy(kc.begin(), kc.end(), k.cipher_key.begin());
    return k;
}

}  // namespace sebind::test
