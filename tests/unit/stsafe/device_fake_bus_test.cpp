// SPDX-License-Identifier: Apache-2.0
// Device transaction rules against a hand-written fake bus (§1.6): read sizing, NACK polling,
// re-reads instead of resends, resends after COMMUNICATION_ERROR, faults, garbage answers.
#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "fake_chip.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using namespace sebind::test;

TEST(DeviceTransport, KnownSizeIsReadInOneTransaction) {
    Rig rig;
    std::uint8_t out[16];
    ASSERT_TRUE(rig.device.generate_random(out).ok());
    // Status + 2 length bytes + 16 + CRC: exactly one read.
    ASSERT_EQ(rig.bus.read_sizes, (std::vector<std::size_t>{3 + 16 + 2}));
    EXPECT_EQ(to_hex(rig.bus.writes[0]).substr(0, 6), "020010");  // subject 0, 16 bytes (§4.4)
    EXPECT_EQ(rig.bus.last_address, kDefaultI2cAddress);
}

TEST(DeviceTransport, UnknownSizeReadsFiveThenTheWholeFrame) {
    Rig rig;
    std::vector<std::uint8_t> big(300, 0x5A);
    auto r = rig.device.transceive(Command::echo, big);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 300u);
    EXPECT_EQ(rig.bus.read_sizes, (std::vector<std::size_t>{5, 3 + 300 + 2}));
}

TEST(DeviceTransport, LongerAnswerThanExpectedIsReadAgainWhole) {
    Rig rig;
    // A counter zone answers with its counter first: 4 more bytes than a data-zone read.
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0, hex("00 00 00 07 AA BB")}; };
    std::uint8_t out[2];
    ASSERT_TRUE(rig.device.read(5, 0, out).ok());
    EXPECT_EQ(to_hex(Bytes(out, 2)), "aabb");
    EXPECT_EQ(rig.bus.read_sizes, (std::vector<std::size_t>{3 + 2 + 2, 3 + 6 + 2}));
}

TEST(DeviceTransport, ShortErrorAnswerNeedsNoSecondRead) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0x14, {}}; };
    std::uint8_t out[8];
    Status st = rig.device.read(1, 990, out);
    EXPECT_EQ(st.code(), Errc::out_of_range);
    EXPECT_EQ(st.device_status(), 0x14);
    EXPECT_EQ(rig.bus.read_sizes.size(), 1u);
}

TEST(DeviceTransport, DamagedResponseIsReReadNotResent) {
    Rig rig;
    rig.bus.read_damage.push_back(flip_last_byte);
    std::uint8_t out[4];
    auto n = rig.device.echo(hex("01 02 03 04"), out);
    ASSERT_TRUE(n) << to_string(n.status().code());
    EXPECT_EQ(rig.bus.writes.size(), 1u);
    EXPECT_EQ(rig.bus.read_sizes.size(), 2u);
    EXPECT_EQ(rig.device.stats().response_rereads, 1u);
    EXPECT_EQ(rig.device.stats().command_resends, 0u);
}

TEST(DeviceTransport, DamagedLengthFieldIsReReadToo) {
    Rig rig;
    rig.bus.read_damage.push_back([](Frame& b) { b[1] = 0x7F; });  // length 0x7Fxx: impossible
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.generate_random(out).ok());
    EXPECT_EQ(rig.bus.writes.size(), 1u);
    EXPECT_EQ(rig.device.stats().response_rereads, 1u);
}

class NeverResent : public ::testing::TestWithParam<int> {};

// Commands that consume chip state: a damaged answer must never make the driver run them twice.
TEST_P(NeverResent, StateChangingCommandOnDamagedAnswers) {
    Rig rig;
    rig.bus.chip.queries[0x14] = key_table();
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x04) return Reply{0, hex("00 00 00 09")};
        if (c.code == 0x16) {
            Frame rs = {0x00, 0x20};
            rs.insert(rs.end(), 32, 0x11);
            rs.insert(rs.end(), {0x00, 0x20});
            rs.insert(rs.end(), 32, 0x22);
            return Reply{0, rs};
        }
        return Reply{0, {}};
    };
    (void)rig.device.query_key_table();  // slot curve known before the faults start
    const std::size_t before = rig.bus.writes.size();
    for (int i = 0; i < 50; ++i) rig.bus.read_damage.push_back(flip_last_byte);
    Status st;
    std::uint8_t digest[32];
    std::fill(std::begin(digest), std::end(digest), 0x42);
    switch (GetParam()) {
        case 0: st = rig.device.update(1, 0, hex("AA BB")); break;
        case 1: st = rig.device.decrement(5, 0, 1).status(); break;
        case 2: st = rig.device.generate_signature(0, digest).status(); break;
        case 3: st = rig.device.generate_key_pair(1, Curve::p256).status(); break;
    }
    EXPECT_EQ(st.code(), Errc::integrity_failure);
    EXPECT_EQ(rig.bus.writes.size() - before, 1u) << "the command was sent again";
    EXPECT_EQ(rig.device.stats().response_rereads, rig.device.config().response_reread_attempts);
    EXPECT_EQ(rig.device.stats().command_resends, 0u);
    EXPECT_EQ(rig.device.stats().signatures, 0u);
}
INSTANTIATE_TEST_SUITE_P(UpdateDecrementSignKeygen, NeverResent, ::testing::Values(0, 1, 2, 3));

TEST(DeviceTransport, CommunicationErrorStatusMeansResend) {
    Rig rig;
    int calls = 0;
    rig.bus.chip.handler = [&](const SeenCommand& c) { return ++calls == 1 ? Reply{0x01, {}} : Reply{0, c.payload}; };
    std::uint8_t out[2];
    ASSERT_TRUE(rig.device.echo(hex("55 66"), out));
    ASSERT_EQ(rig.bus.writes.size(), 2u);
    EXPECT_EQ(rig.bus.writes[0], rig.bus.writes[1]);
    EXPECT_EQ(rig.device.stats().command_resends, 1u);
    EXPECT_EQ(rig.device.stats().commands, 2u);
}

TEST(DeviceTransport, CommandCorruptedOnTheWireIsResent) {
    Rig rig;
    // The first write reaches the chip with a flipped bit: its CRC check answers 0x01 (§2.1).
    bool corrupt = true;
    rig.bus.respond = [&](const CommandFrame& cmd) {
        if (corrupt) {
            corrupt = false;
            return response_frame(0x01, {});
        }
        return rig.bus.chip.process(cmd);
    };
    ASSERT_TRUE(rig.device.put_life_cycle(LifeCycle::operational).ok());
    EXPECT_EQ(rig.device.stats().command_resends, 1u);
    EXPECT_EQ(rig.bus.chip.seen.size(), 1u);
}

TEST(DeviceTransport, PersistentCommunicationErrorGivesUp) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0x01, {}}; };
    std::uint8_t out[1];
    auto r = rig.device.echo(hex("01"), out);
    EXPECT_EQ(r.status().code(), Errc::communication_failure);
    EXPECT_EQ(r.status().device_status(), 0x01);
    EXPECT_EQ(rig.bus.writes.size(), 1u + rig.device.config().command_resend_attempts);
}

TEST(DeviceTransport, OtherErrorStatusesAreNeverResent) {
    for (int c : {0x02, 0x05, 0x0B, 0x11, 0x14, 0x16}) {
        const auto code = static_cast<std::uint8_t>(c);
        Rig rig;
        rig.bus.chip.handler = [code](const SeenCommand&) { return Reply{code, {}}; };
        Status st = rig.device.update(1, 0, hex("01"));
        EXPECT_EQ(st.device_status(), code);
        EXPECT_EQ(rig.bus.writes.size(), 1u) << int(code);
    }
}

TEST(DeviceTransport, NackWhileBusyIsPolledWithinBudget) {
    Rig rig;
    for (int i = 0; i < 5; ++i) rig.bus.write_script.push_back(BusResult::nack);
    for (int i = 0; i < 3; ++i) rig.bus.read_script.push_back(BusResult::nack);
    std::uint8_t out[1];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    EXPECT_EQ(rig.device.stats().nacks, 8u);
    EXPECT_EQ(rig.clock.waited_ms(), 8u * rig.device.config().poll_interval_ms);
    EXPECT_EQ(rig.bus.writes.size(), 1u);
}

TEST(DeviceTransport, EndlessWriteNackIsBusyAfterTimeout) {
    Rig rig;
    for (int i = 0; i < 100000; ++i) rig.bus.write_script.push_back(BusResult::nack);
    std::uint8_t out[1];
    auto r = rig.device.echo(hex("01"), out);
    EXPECT_EQ(r.status().code(), Errc::busy);
    EXPECT_GE(rig.clock.now_ms(), rig.device.config().busy_timeout_ms);
    EXPECT_LE(rig.clock.now_ms(), rig.device.config().busy_timeout_ms + rig.device.config().poll_interval_ms);
    EXPECT_TRUE(rig.bus.writes.empty());
}

TEST(DeviceTransport, EndlessReadNackIsBusyAfterTimeout) {
    DeviceConfig c = emulator_like_config();
    c.busy_timeout_ms = 300;
    c.poll_interval_ms = 10;
    Rig rig(c);
    for (int i = 0; i < 100000; ++i) rig.bus.read_script.push_back(BusResult::nack);
    std::uint8_t out[1];
    EXPECT_EQ(rig.device.echo(hex("01"), out).status().code(), Errc::busy);
    EXPECT_EQ(rig.clock.now_ms(), 300u);
    EXPECT_EQ(rig.device.stats().nacks, 31u);  // at 0, 10, ..., 300 ms
    EXPECT_EQ(rig.bus.writes.size(), 1u);      // and never re-sent
}

TEST(DeviceTransport, ZeroPollIntervalStillAdvances) {
    DeviceConfig c = emulator_like_config();
    c.poll_interval_ms = 0;
    c.busy_timeout_ms = 20;
    Rig rig(c);
    for (int i = 0; i < 1000; ++i) rig.bus.write_script.push_back(BusResult::nack);
    std::uint8_t out[1];
    EXPECT_EQ(rig.device.echo(hex("01"), out).status().code(), Errc::busy);
}

TEST(DeviceTransport, BusFaultIsCommunicationFailure) {
    {
        Rig rig;
        rig.bus.write_script.push_back(BusResult::fault);
        std::uint8_t out[1];
        EXPECT_EQ(rig.device.echo(hex("01"), out).status().code(), Errc::communication_failure);
        EXPECT_TRUE(rig.bus.writes.empty());
    }
    {
        Rig rig;
        rig.bus.read_script.push_back(BusResult::fault);
        std::uint8_t out[1];
        EXPECT_EQ(rig.device.echo(hex("01"), out).status().code(), Errc::communication_failure);
        EXPECT_EQ(rig.bus.writes.size(), 1u);
    }
}

TEST(DeviceTransport, WaitTableDelaysFirstRead) {
    DeviceConfig c;  // real-chip defaults: 100 % of the wait table
    Rig rig(c);
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.generate_random(out));
    EXPECT_EQ(rig.clock.waited_ms(), 15u);  // Generate Random, A110 column of §8.1
    c.wait_table_percent = 50;
    Rig half(c);
    half.bus.chip.queries[0x14] = key_table();
    half.bus.chip.handler = [](const SeenCommand&) {
        Frame rs = {0x00, 0x20};
        rs.insert(rs.end(), 32, 0x11);
        rs.insert(rs.end(), {0x00, 0x20});
        rs.insert(rs.end(), 32, 0x22);
        return Reply{0, rs};
    };
    std::uint8_t digest[32];
    std::fill(std::begin(digest), std::end(digest), 1);
    ASSERT_TRUE(half.device.generate_signature(0, digest));
    // Half of Query's 1 ms rounds to 0; half of Generate Signature's 80 ms is 40.
    EXPECT_EQ(half.clock.waited_ms(), 40u);
}

TEST(DeviceTransport, DeviceStatusKeepsRawCode) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0x1E, {}}; };
    std::uint8_t out[8];
    Status st = rig.device.generate_random(out);
    EXPECT_EQ(st.code(), Errc::not_permitted);
    EXPECT_EQ(st.device_status(), 0x1E);
}

TEST(DeviceTransport, WrongSizedAnswersAreRejected) {
    Rig rig;
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0, hex("01 02 03")}; };
    std::uint8_t out[4];
    EXPECT_EQ(rig.device.generate_random(out).code(), Errc::invalid_response);
    EXPECT_EQ(rig.device.read(1, 0, out).code(), Errc::invalid_response);
    EXPECT_EQ(rig.device.echo(hex("01 02 03 04"), out).status().code(), Errc::integrity_failure);
    EXPECT_EQ(rig.device.reset().code(), Errc::invalid_response);
    EXPECT_EQ(rig.device.decrement(5, 0, 1).status().code(), Errc::invalid_response);
    EXPECT_EQ(rig.device.verify_password(Bytes(out, 4)).status().code(), Errc::invalid_argument);
}

TEST(DeviceTransport, StatsCountCommandsAndSignatures) {
    Rig rig;
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    ASSERT_TRUE(rig.device.generate_random(out).ok());
    EXPECT_EQ(rig.device.stats().commands, 2u);
    rig.device.reset_stats();
    EXPECT_EQ(rig.device.stats().commands, 0u);
}

TEST(DeviceTransport, ConfiguredAddressIsUsed) {
    DeviceConfig c = emulator_like_config();
    c.address = 0x21;
    Rig rig(c);
    ASSERT_TRUE(rig.device.reset().ok());
    EXPECT_EQ(rig.bus.last_address, 0x21);
}

// Whatever a broken or hostile bus returns, every command ends in a Status (run under ASan/UBSan
// in the sanitizer preset to catch out-of-bounds reads), and never in a wrong value: an answer
// that is not a valid frame fails every command, an error status fails it with that status, and
// a success frame's bytes come back unchanged or not at all.
TEST(DeviceTransport, GarbageAnswersNeverCrash) {
    std::mt19937 rng(1234);
    int unframed = 0, damaged = 0, refused = 0, accepted = 0;
    for (int round = 0; round < 400; ++round) {
        SCOPED_TRACE(round);
        Rig rig;
        Frame junk(rng() % 80);
        for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
        // The oracle, built here rather than read back with the driver's own decoder: a valid
        // frame's status and payload, or none (random bytes, or a frame whose CRC was damaged).
        struct Built {
            std::uint8_t status;
            Frame payload;
        };
        std::optional<Built> frame;
        if (junk.size() >= 3 && round % 2 == 0) {
            // Half the time a plausible length field and a correct CRC around random content.
            Frame payload(junk.begin() + 3, junk.end());
            const auto status = static_cast<std::uint8_t>(round % 3 == 0 ? 0x00 : junk[0] & 0x5F);
            if (round % 8 == 4) {
                // Now and then an answer Generate Random would take, but one bit of its CRC wrong:
                // no frame at all.
                payload.resize(16);
                junk = response_frame(0x00, payload);
                junk.back() ^= 0x01;
                ++damaged;
            } else {
                junk = response_frame(status, payload);
                frame = Built{status, payload};
            }
        }
        rig.bus.respond = [&](const CommandFrame&) { return junk; };
        // What every command must come to: fail (no frame, an error status or an R-MAC the driver
        // did not ask for), or, on a plain success frame, return these very bytes.
        const bool plain_success = frame && frame->status == 0x00;
        if (!frame)
            ++unframed;
        else if (plain_success)
            ++accepted;
        else
            ++refused;
        auto check = [&](const Status& st, const char* what) {
            if (!frame) {
                EXPECT_FALSE(st.ok()) << what << " accepted a response that is not a frame";
            } else if (!plain_success) {
                EXPECT_FALSE(st.ok()) << what << " accepted status " << int(frame->status);
                if ((frame->status & 0x40) == 0 && frame->status != 0x01 && st.device_status() != 0) {
                    EXPECT_EQ(st.device_status(), frame->status) << what;
                }
            }
        };
        std::uint8_t buf[64];
        std::uint8_t digest[32];
        std::fill(std::begin(digest), std::end(digest), 7);
        check(rig.device.query_product_data().status(), "query_product_data");
        check(rig.device.query_partition().status(), "query_partition");
        check(rig.device.query_key_table().status(), "query_key_table");
        check(rig.device.query_host_key_slot().status(), "query_host_key_slot");
        check(rig.device.query_life_cycle().status(), "query_life_cycle");
        check(rig.device.query_i2c_parameters().status(), "query_i2c_parameters");
        check(rig.device.query_command_authorization().status(), "query_command_authorization");
        check(rig.device.query_local_envelope_keys().status(), "query_local_envelope_keys");
        std::fill(std::begin(buf), std::end(buf), 0);
        const Status read = rig.device.read(1, 0, buf);
        check(read, "read");
        if (read.ok()) {
            // 64 bytes, or a counter and 64 bytes: the data is the payload's last 64 bytes.
            ASSERT_TRUE(frame->payload.size() == 64 || frame->payload.size() == 68);
            EXPECT_TRUE(std::equal(std::begin(buf), std::end(buf), frame->payload.end() - 64));
        }
        std::uint8_t random[16] = {};
        const Status rnd = rig.device.generate_random(random);
        check(rnd, "generate_random");
        if (rnd.ok()) {
            EXPECT_TRUE(frame->payload.size() == 16 &&
                        std::equal(std::begin(random), std::end(random), frame->payload.begin()));
        }
        const std::uint8_t ping[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        auto echoed = rig.device.echo(ping, buf);
        check(echoed.status(), "echo");
        if (echoed) {
            EXPECT_TRUE(frame->payload.size() == 8 && std::equal(std::begin(ping), std::end(ping), buf));
        }
        check(
            rig.device.read_counter_zone(5, 0, Bytes(buf, 8).empty() ? MutableBytes() : MutableBytes(buf, 8)).status(),
            "read_counter_zone");
        check(rig.device.generate_signature(0, digest).status(), "generate_signature");
        check(rig.device.generate_key_pair(1, Curve::p384).status(), "generate_key_pair");
        check(rig.device.decrement(5, 0, 1).status(), "decrement");
        check(rig.device.verify_password(Bytes(digest, 16)).status(), "verify_password");
        PublicKey peer;
        peer.x.resize(32);
        peer.y.resize(32);
        check(rig.device.establish_key(0, peer).status(), "establish_key");
        Signature sig0;
        sig0.r.resize(32);
        sig0.s.resize(32);
        check(rig.device.verify_signature(peer, sig0, digest).status(), "verify_signature");
        check(rig.device.unwrap(0, Bytes(buf, 24), buf).status(), "unwrap");
    }
    // Each kind of garbage came up often enough to mean something.
    EXPECT_GE(unframed, 150);
    EXPECT_GE(damaged, 20);
    EXPECT_GE(refused, 50);
    EXPECT_GE(accepted, 30);
}
