// SPDX-License-Identifier: Apache-2.0
// Device transaction rules against a hand-written fake bus: polling, re-reads, resends, faults.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <vector>

#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/frame.hpp"
#include "test_util.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using sebind::test::hex;

namespace {

/// A scripted chip: every write is recorded; every response frame is produced by `respond` from
/// the last command. Reads restart at the first byte; `read_script` can damage or NACK reads.
class FakeBus final : public Bus {
public:
    std::function<std::vector<std::uint8_t>(const CommandFrame&)> respond;
    std::deque<BusResult> write_script;             ///< consumed first; ok when empty
    std::deque<std::function<void(std::vector<std::uint8_t>&)>> read_damage;  ///< per read
    std::deque<BusResult> read_script;
    std::vector<std::vector<std::uint8_t>> writes;

    BusResult write(std::uint8_t, Bytes data) noexcept override {
        if (!write_script.empty()) {
            BusResult r = write_script.front();
            write_script.pop_front();
            if (r != BusResult::ok) return r;
        }
        writes.emplace_back(data.begin(), data.end());
        auto cmd = decode_command(data);
        m_response = cmd ? respond(*cmd) : status_only(0x01);
        return BusResult::ok;
    }
    BusResult read(std::uint8_t, MutableBytes out) noexcept override {
        if (!read_script.empty()) {
            BusResult r = read_script.front();
            read_script.pop_front();
            if (r != BusResult::ok) return r;
        }
        std::vector<std::uint8_t> bytes = m_response;
        if (!read_damage.empty()) {
            read_damage.front()(bytes);
            read_damage.pop_front();
        }
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = i < bytes.size() ? bytes[i] : 0xFF;
        return BusResult::ok;
    }
    static std::vector<std::uint8_t> status_only(std::uint8_t status) { return frame(status, {}); }
    static std::vector<std::uint8_t> frame(std::uint8_t status, Bytes payload) {
        std::vector<std::uint8_t> out(kMaxResponseFrame);
        out.resize(*encode_response(status, payload, {}, out));
        return out;
    }

private:
    std::vector<std::uint8_t> m_response;
};

auto flip_last_byte = [](std::vector<std::uint8_t>& b) { b[b.size() - 1] ^= 0x01; };

struct Rig {
    FakeBus bus;
    ManualClock clock;
    Device device;
    explicit Rig(DeviceConfig config = [] { DeviceConfig c; c.wait_table_percent = 0; return c; }())
        : device(bus, clock, config) {
        bus.respond = [](const CommandFrame& cmd) {
            // Echo everything back with status OK.
            return FakeBus::frame(0x00, cmd.payload);
        };
    }
};

}  // namespace

TEST(DeviceTransport, DamagedResponseIsReReadNotResent) {
    Rig rig;
    rig.bus.read_damage.push_back(flip_last_byte);
    std::uint8_t out[4];
    auto n = rig.device.echo(hex("01 02 03 04"), out);
    ASSERT_TRUE(n) << to_string(n.status().code());
    EXPECT_EQ(rig.bus.writes.size(), 1u);
    EXPECT_EQ(rig.device.stats().response_rereads, 1u);
}

TEST(DeviceTransport, UpdateIsNeverSentTwiceOnResponseDamage) {
    Rig rig;
    for (int i = 0; i < 10; ++i) rig.bus.read_damage.push_back(flip_last_byte);
    rig.bus.respond = [](const CommandFrame&) { return FakeBus::status_only(0x00); };
    Status st = rig.device.update(1, 0, hex("AA BB"));
    EXPECT_EQ(st.code(), Errc::integrity_failure);
    EXPECT_EQ(rig.bus.writes.size(), 1u);
    EXPECT_EQ(rig.device.stats().response_rereads, rig.device.config().response_reread_attempts);
}

TEST(DeviceTransport, CommunicationErrorStatusMeansResend) {
    Rig rig;
    int calls = 0;
    rig.bus.respond = [&](const CommandFrame& cmd) {
        return ++calls == 1 ? FakeBus::status_only(0x01) : FakeBus::frame(0x00, cmd.payload);
    };
    std::uint8_t out[2];
    ASSERT_TRUE(rig.device.echo(hex("55 66"), out));
    EXPECT_EQ(rig.bus.writes.size(), 2u);
    EXPECT_EQ(rig.bus.writes[0], rig.bus.writes[1]);
    EXPECT_EQ(rig.device.stats().command_resends, 1u);
}

TEST(DeviceTransport, PersistentCommunicationErrorGivesUp) {
    Rig rig;
    rig.bus.respond = [](const CommandFrame&) { return FakeBus::status_only(0x01); };
    std::uint8_t out[1];
    auto r = rig.device.echo(hex("01"), out);
    EXPECT_EQ(r.status().code(), Errc::communication_failure);
    EXPECT_EQ(r.status().device_status(), 0x01);
    EXPECT_EQ(rig.bus.writes.size(), 1u + rig.device.config().command_resend_attempts);
}

TEST(DeviceTransport, NackWhileBusyIsPolledWithinBudget) {
    Rig rig;
    for (int i = 0; i < 5; ++i) rig.bus.write_script.push_back(BusResult::nack);
    for (int i = 0; i < 3; ++i) rig.bus.read_script.push_back(BusResult::nack);
    std::uint8_t out[1];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    EXPECT_EQ(rig.device.stats().nacks, 8u);
    EXPECT_EQ(rig.clock.waited_ms(), 8u * rig.device.config().poll_interval_ms);
}

TEST(DeviceTransport, EndlessNackIsBusyAfterTimeout) {
    Rig rig;
    for (int i = 0; i < 100000; ++i) rig.bus.write_script.push_back(BusResult::nack);
    std::uint8_t out[1];
    auto r = rig.device.echo(hex("01"), out);
    EXPECT_EQ(r.status().code(), Errc::busy);
    EXPECT_GE(rig.clock.now_ms(), rig.device.config().busy_timeout_ms);
    EXPECT_LT(rig.clock.now_ms(), rig.device.config().busy_timeout_ms + 10);
}

TEST(DeviceTransport, BusFaultIsCommunicationFailure) {
    Rig rig;
    rig.bus.write_script.push_back(BusResult::fault);
    std::uint8_t out[1];
    EXPECT_EQ(rig.device.echo(hex("01"), out).status().code(), Errc::communication_failure);
}

TEST(DeviceTransport, WaitTableDelaysFirstRead) {
    DeviceConfig c;  // real-chip defaults: 100 % of the wait table
    Rig rig(c);
    rig.bus.respond = [](const CommandFrame&) { return FakeBus::frame(0x00, hex("01020304")); };
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.generate_random(out));
    EXPECT_EQ(rig.clock.waited_ms(), a110_busy_time_ms(Command::generate_random));
}

TEST(DeviceTransport, DeviceStatusKeepsRawCode) {
    Rig rig;
    rig.bus.respond = [](const CommandFrame&) { return FakeBus::status_only(0x14); };
    std::uint8_t out[8];
    Status st = rig.device.read(1, 990, out);
    EXPECT_EQ(st.code(), Errc::out_of_range);
    EXPECT_EQ(st.device_status(), 0x14);
}

TEST(DeviceTransport, LongResponseIsReadAgainWhole) {
    Rig rig;
    std::vector<std::uint8_t> big(300, 0x5A);
    rig.bus.respond = [&](const CommandFrame&) { return FakeBus::frame(0x00, big); };
    // Unknown expected size through transceive: first read 5 bytes, then the whole frame.
    auto r = rig.device.transceive(Command::echo, big);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 300u);
}

TEST(DeviceTransport, WrongSizedAnswersAreRejected) {
    Rig rig;
    rig.bus.respond = [](const CommandFrame&) { return FakeBus::frame(0x00, hex("01 02 03")); };
    std::uint8_t out[4];
    EXPECT_EQ(rig.device.generate_random(out).code(), Errc::invalid_response);
    EXPECT_EQ(rig.device.read(1, 0, out).code(), Errc::invalid_response);
    EXPECT_EQ(rig.device.echo(hex("01 02 03 04"), out).status().code(), Errc::integrity_failure);
}

TEST(DeviceSecureChannel, RmacMismatchIsIntegrityFailure) {
    Rig rig;
    HostKeys keys;
    keys.mac_key.fill(0x11);
    keys.cipher_key.fill(0x22);
    rig.device.set_host_keys(keys);
    rig.device.set_mac_policy(MacPolicy::always);
    rig.bus.respond = [](const CommandFrame& cmd) {
        if (cmd.header == 0x14 && cmd.payload.size() == 1 && cmd.payload[0] == 0x17)
            return FakeBus::frame(0x00, hex("01 00 00 05"));
        if (cmd.header == 0x14 && cmd.payload.size() == 1 && cmd.payload[0] == 0x24)
            return FakeBus::frame(0x00, hex("00 00"));
        // A "success" carrying an R-MAC that is garbage.
        std::vector<std::uint8_t> out(64);
        const std::uint8_t rmac[4] = {1, 2, 3, 4};
        out.resize(*encode_response(0x40, cmd.payload.first(0), rmac, out));
        return out;
    };
    EXPECT_EQ(rig.device.reset().code(), Errc::integrity_failure);
}

TEST(DeviceKeys, AllZeroDigestIsRefusedBeforeTheChip) {
    Rig rig;
    rig.bus.respond = [](const CommandFrame&) {
        return FakeBus::frame(0x00, hex("01 00 00 00 00 01 00 04 00 08 2A 86 48 CE 3D 03 01 07"));
    };
    std::uint8_t zero[32] = {};
    auto sig = rig.device.generate_signature(0, zero);
    EXPECT_EQ(sig.status().code(), Errc::invalid_argument);
    for (const auto& w : rig.bus.writes) EXPECT_NE(w[0], 0x16);  // no Generate Signature sent
}
