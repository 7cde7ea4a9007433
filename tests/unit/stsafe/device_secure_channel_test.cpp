// SPDX-License-Identifier: Apache-2.0
// Device and the host secure channel (§7) against a fake chip: the protocol doc's worked frames
// end to end, the MAC policies, counter tracking and re-synchronisation, R-MAC checking,
// response decryption.
#include <gtest/gtest.h>

#include "fake_chip.hpp"
#include "sebind/stsafe/crc.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using namespace sebind::test;

namespace {

void provision(Rig& rig, MacPolicy policy, std::uint32_t counter = 0x13) {
    FakeChip& chip = rig.bus.chip;
    chip.keys = example_host_keys();
    chip.counter = counter;
    chip.queries[0x24] = a110_command_table();
    chip.queries[0x12] = a110_partition();
    chip.queries[0x14] = key_table();
    chip.encryption = {{0x0E, 0x02}, {0x0F, 0x01}};  // as the A110 table says
    rig.device.set_host_keys(example_host_keys());
    rig.device.set_mac_policy(policy);
}

/// Damages one byte of the R-MAC of the frame a read returns, with a CRC that still matches (so
/// only the R-MAC check can notice).
void damage_rmac_keep_crc(Frame& f) {
    const std::size_t size = 3 + load_be16(&f[1]);
    f[size - 3] ^= 0x40;
    Crc16 crc;
    crc.update(f[0]);
    crc.update(Bytes(f).subspan(3, size - 5));
    store_be16(&f[size - 2], crc.value());
}

}  // namespace

TEST(DeviceSecureChannel, ReadOfAHostZoneIsTheDocFrame) {
    Rig rig;
    provision(rig, MacPolicy::as_required);
    rig.bus.chip.queries[0x12] = a110_partition(0x18);  // zone 1: read AC 1 (host), update CR
    // The §7.6 response, byte for byte.
    rig.bus.chip.handler = [](const SeenCommand&) {
        return Reply::raw_frame(hex("40 00 0A DE AD BE EF 9B C3 99 9D A9 F4"));
    };
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.read(1, 0, out).ok());
    EXPECT_EQ(to_hex(Bytes(out, 4)), "deadbeef");
    ASSERT_EQ(rig.bus.writes.size(), 4u);
    EXPECT_EQ(to_hex(rig.bus.writes[0]), "14249a90");  // what needs protection
    EXPECT_EQ(to_hex(rig.bus.writes[1]), "1412ce25");  // zone ACs
    EXPECT_EQ(to_hex(rig.bus.writes[2]), "14179988");  // counter (0x13)
    EXPECT_EQ(to_hex(rig.bus.writes[3]), "e5000100000004c90d2c677986");
    EXPECT_EQ(rig.bus.read_sizes.back(), 13u);  // one read: 4 data + R-MAC expected
}

TEST(DeviceSecureChannel, WrapIsTheDocFrame) {
    Rig rig;
    provision(rig, MacPolicy::as_required);
    Frame envelope_in;
    rig.bus.chip.handler = [&](const SeenCommand& c) {
        envelope_in = c.payload;
        return Reply{0, Frame(24, 0xE7)};
    };
    const Frame plain = hex("00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F");
    Frame env(24);
    auto n = rig.device.wrap(0, plain, env);
    ASSERT_TRUE(n) << to_string(n.status().code());
    EXPECT_EQ(env, Frame(24, 0xE7));
    EXPECT_EQ(to_hex(rig.bus.writes.back()),
              "ee"
              "3347811ff8d3b6ff9050bcbc21ffd386dd2c11babe293b357ba8fee89fcf9158"
              "c76fcdf7"
              "0354");
    EXPECT_EQ(to_hex(envelope_in), "00000102030405060708090a0b0c0d0e0f");  // the chip decrypted it
}

TEST(DeviceSecureChannel, UnwrapResponseIsDecrypted) {
    Rig rig;
    provision(rig, MacPolicy::as_required);
    const Frame secret = hex("0F 0E 0D 0C 0B 0A 09 08 07 06 05 04 03 02 01 00");
    rig.bus.chip.handler = [&](const SeenCommand&) { return Reply{0, secret}; };
    Frame plain(16);
    auto n = rig.device.unwrap(0, Frame(24, 0xE7), plain);
    ASSERT_TRUE(n) << to_string(n.status().code());
    EXPECT_EQ(plain, secret);
    EXPECT_EQ(rig.bus.writes.back()[0], 0xEF);  // C-MAC + R-MAC + host, Unwrap
    // On the wire: 32 bytes of ciphertext + R-MAC, not the plaintext.
    EXPECT_EQ(rig.bus.read_sizes.back(), 3u + 32 + 4 + 2);
}

TEST(DeviceSecureChannel, AsRequiredProtectsOnlyWhatTheChipRequires) {
    Rig rig;
    provision(rig, MacPolicy::as_required);
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x05) return Reply{0, Frame(load_be16(&c.payload[4]), 0x11)};
        return Reply{0, c.payload};
    };
    std::uint8_t out[8];
    ASSERT_TRUE(rig.device.echo(hex("01 02"), out));
    ASSERT_TRUE(rig.device.read(2, 0, out).ok());  // zone 2: read AC "always"
    for (const auto& w : rig.bus.writes) EXPECT_EQ(w[0] & 0x80, 0) << to_hex(w);
    EXPECT_EQ(rig.bus.count_query(0x17), 0u);  // the counter was never needed
    EXPECT_EQ(rig.bus.count_query(0x24), 1u);
    EXPECT_EQ(rig.bus.count_query(0x12), 1u);
    ASSERT_TRUE(rig.device.read(3, 0, out).ok());
    EXPECT_EQ(rig.bus.count_query(0x12), 1u);  // cached
}

TEST(DeviceSecureChannel, NoHostKeysMeansNoProtectionAndNoTableQueries) {
    Rig rig;
    rig.bus.chip.queries[0x24] = a110_command_table();
    rig.bus.chip.handler = [](const SeenCommand& c) {
        return Reply{static_cast<std::uint8_t>(c.code == 0x0E ? 0x11 : 0), {}};
    };
    Frame env(24);
    auto r = rig.device.wrap(0, Frame(16, 1), env);
    EXPECT_EQ(r.status().code(), Errc::not_permitted);
    EXPECT_EQ(r.status().device_status(), 0x11);
    ASSERT_EQ(rig.bus.writes.size(), 1u);
    EXPECT_EQ(rig.bus.writes[0][0], 0x0E);
}

TEST(DeviceSecureChannel, AlwaysProtectsEverythingButTheCounterQuery) {
    Rig rig;
    provision(rig, MacPolicy::always);
    std::uint8_t out[8];
    ASSERT_TRUE(rig.device.echo(hex("01 02"), out));
    ASSERT_TRUE(rig.device.reset().ok());
    const auto& seen = rig.bus.chip.seen;
    ASSERT_GE(seen.size(), 4u);
    EXPECT_EQ(seen[0].header, 0x14);  // Query 0x17: the counter, plain
    EXPECT_EQ(seen[1].header, 0xF4);  // Query 0x24: protected under "always"
    EXPECT_EQ(seen[2].header, 0xE0);  // Echo
    EXPECT_EQ(seen[3].header, 0xE1);  // Reset
    EXPECT_EQ(seen[1].counter, 0x13u);
    EXPECT_EQ(seen[2].counter, 0x14u);
    EXPECT_EQ(seen[3].counter, 0x15u);
}

TEST(DeviceSecureChannel, CounterIsTrackedLocallyAfterOneSync) {
    Rig rig;
    provision(rig, MacPolicy::always, 0x1000);
    std::uint8_t out[4];
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(rig.device.echo(hex("0A 0B"), out));
    EXPECT_EQ(rig.bus.count_query(0x17), 1u);
    EXPECT_EQ(rig.device.stats().counter_syncs, 1u);
    EXPECT_EQ(rig.bus.chip.counter, 0x1000u + 6);  // table query + 5 echoes
    // A chip error other than 0x16 / 0x01 still consumed a counter value.
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply{0x14, {}}; };
    EXPECT_EQ(rig.device.read(1, 0, out).code(), Errc::out_of_range);
    rig.bus.chip.handler = [](const SeenCommand& c) { return Reply{0, c.payload}; };
    ASSERT_TRUE(rig.device.echo(hex("0C"), out));
    EXPECT_EQ(rig.bus.count_query(0x17), 1u);
}

TEST(DeviceSecureChannel, InvalidCmacResynchronisesAndFails) {
    Rig rig;
    provision(rig, MacPolicy::always);
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    rig.bus.chip.counter = 0x50;  // another host used the channel
    auto stale = rig.device.echo(hex("02"), out);
    EXPECT_EQ(stale.status().code(), Errc::integrity_failure);
    EXPECT_EQ(stale.status().device_status(), 0x16);
    EXPECT_EQ(rig.bus.count_query(0x17), 2u);  // re-synchronised at once
    EXPECT_EQ(rig.bus.count_code(0x00), 2u);   // and the failed echo was not re-sent
    ASSERT_TRUE(rig.device.echo(hex("03"), out));
    EXPECT_EQ(rig.bus.chip.seen.back().counter, 0x50u);
    EXPECT_EQ(rig.device.stats().counter_syncs, 2u);
}

TEST(DeviceSecureChannel, ResendAfterCommunicationErrorKeepsTheCounter) {
    Rig rig;
    provision(rig, MacPolicy::always);
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    // The next command arrives damaged once: the chip answers 0x01 without checking its C-MAC.
    bool damaged = true;
    rig.bus.respond = [&](const CommandFrame& c) {
        if (damaged) {
            damaged = false;
            return response_frame(0x01, {});
        }
        return rig.bus.chip.process(c);
    };
    ASSERT_TRUE(rig.device.echo(hex("02"), out));  // the chip would say 0x16 to a moved counter
    EXPECT_EQ(rig.device.stats().command_resends, 1u);
    EXPECT_EQ(rig.bus.count_query(0x17), 1u);
}

TEST(DeviceSecureChannel, DamagedRmacIsReReadThenAccepted) {
    Rig rig;
    provision(rig, MacPolicy::always);
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    rig.bus.read_damage.push_back(damage_rmac_keep_crc);
    ASSERT_TRUE(rig.device.echo(hex("02 03"), out));
    EXPECT_EQ(rig.device.stats().response_rereads, 1u);
    EXPECT_EQ(rig.bus.count_code(0x00), 2u);
}

TEST(DeviceSecureChannel, WrongRmacIsIntegrityFailureAndNeverResent) {
    Rig rig;
    provision(rig, MacPolicy::always);
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    rig.bus.chip.rmac_damage = [](Mac& m) { m[0] ^= 1; };
    auto r = rig.device.echo(hex("01"), out);
    EXPECT_EQ(r.status().code(), Errc::integrity_failure);
    EXPECT_EQ(r.status().device_status(), 0);
    EXPECT_EQ(rig.bus.count_code(0x00), 2u);
    EXPECT_EQ(rig.device.stats().response_rereads, rig.device.config().response_reread_attempts);
    // The chip accepted the C-MAC, so the driver's counter moved with it: no re-sync needed.
    rig.bus.chip.rmac_damage = nullptr;
    ASSERT_TRUE(rig.device.echo(hex("02"), out));
    EXPECT_EQ(rig.bus.count_query(0x17), 1u);
}

TEST(DeviceSecureChannel, MissingRmacOnSuccessIsIntegrityFailure) {
    Rig rig;
    provision(rig, MacPolicy::always);
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    rig.bus.chip.handler = [](const SeenCommand&) { return Reply::raw_frame(response_frame(0x00, {})); };
    EXPECT_EQ(rig.device.reset().code(), Errc::integrity_failure);
    // Enough bytes for an R-MAC, but they are none.
    rig.bus.chip.handler = [](const SeenCommand&) {
        return Reply::raw_frame(response_frame(0x00, hex("01 02 03 04 05")));
    };
    EXPECT_EQ(rig.device.echo(hex("01"), out).status().code(), Errc::integrity_failure);
}

TEST(DeviceSecureChannel, UnflaggedRmacIsAcceptedWhenItVerifies) {
    Rig rig;
    provision(rig, MacPolicy::always);
    rig.bus.chip.unflagged_rmac = true;
    std::uint8_t out[4];
    auto n = rig.device.echo(hex("0A 0B 0C"), out);
    ASSERT_TRUE(n) << to_string(n.status().code());
    EXPECT_EQ(*n, 3u);
    EXPECT_EQ(to_hex(Bytes(out, 3)), "0a0b0c");
}

TEST(DeviceSecureChannel, Slot1GenerateKeyAcRequiresTheMac) {
    Rig rig;
    provision(rig, MacPolicy::as_required);
    rig.bus.chip.handler = [](const SeenCommand&) {
        Frame p = {0x04, 0x00, 0x20};
        p.insert(p.end(), 32, 1);
        p.insert(p.end(), {0x00, 0x20});
        p.insert(p.end(), 32, 2);
        return Reply{0, p};
    };
    rig.bus.chip.queries[0x14] = key_table(kOidP256, 0x801D);  // generate-key AC bits 5..4 = 01
    ASSERT_TRUE(rig.device.generate_key_pair(kSlotUser, Curve::p256));
    EXPECT_EQ(rig.bus.chip.seen.back().header, 0xF1);
    rig.bus.chip.queries[0x14] = key_table(kOidP256, 0x800D);
    ASSERT_TRUE(rig.device.generate_key_pair(kSlotUser, Curve::p256));
    EXPECT_EQ(rig.bus.chip.seen.back().header, 0x11);
    ASSERT_TRUE(rig.device.generate_key_pair(kSlotEphemeral, Curve::p256));
    EXPECT_EQ(rig.bus.chip.seen.back().header, 0x11);
}

TEST(DeviceSecureChannel, LostAnswerMakesTheDriverLearnTheCounterAgain) {
    Rig rig;
    provision(rig, MacPolicy::always);
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    rig.bus.read_script.push_back(BusResult::fault);  // the chip ran it, we never saw the answer
    EXPECT_EQ(rig.device.echo(hex("02"), out).status().code(), Errc::communication_failure);
    ASSERT_TRUE(rig.device.echo(hex("03"), out));
    EXPECT_EQ(rig.bus.count_query(0x17), 2u);
}

TEST(DeviceSecureChannel, HostKeySlotQueryIsNeverProtected) {
    Rig rig;
    provision(rig, MacPolicy::always, 0x42);
    auto slot = rig.device.query_host_key_slot();
    ASSERT_TRUE(slot);
    EXPECT_EQ(slot->counter, 0x42u);
    EXPECT_EQ(rig.bus.writes.size(), 1u);
    EXPECT_EQ(rig.bus.writes[0][0], 0x14);
    // It also served as the sync: the next protected command needs no other Query 0x17.
    std::uint8_t out[1];
    ASSERT_TRUE(rig.device.echo(hex("01"), out));
    EXPECT_EQ(rig.bus.count_query(0x17), 1u);
}

TEST(DeviceSecureChannel, ProtectedChunksAreSmaller) {
    Rig rig;
    provision(rig, MacPolicy::always);
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x05) return Reply{0, Frame(load_be16(&c.payload[4]), 0x11)};
        return Reply{0, {}};
    };
    Frame buf(1000);
    ASSERT_TRUE(rig.device.read(4, 0, buf).ok());
    ASSERT_TRUE(rig.device.update(4, 0, buf).ok());
    std::vector<std::size_t> reads, updates;
    for (const auto& s : rig.bus.chip.seen) {
        if (s.code == 0x05) reads.push_back(load_be16(&s.payload[4]));
        if (s.code == 0x06) updates.push_back(s.payload.size() - 4);
    }
    EXPECT_EQ(reads, (std::vector<std::size_t>{496, 496, 8}));
    EXPECT_EQ(updates, (std::vector<std::size_t>{496, 496, 8}));
    for (const auto& w : rig.bus.writes) EXPECT_LE(w.size(), kIoBufferSize);
    std::uint8_t out[504];
    EXPECT_EQ(rig.device.echo(Frame(501, 1), out).status().code(), Errc::invalid_argument);
}

TEST(DeviceSecureChannel, ZoneUpdateAcGovernsUpdateAndDecrement) {
    Rig rig;
    provision(rig, MacPolicy::as_required);
    rig.bus.chip.queries[0x12] = a110_partition(0x01);  // zone 1: read AC 0, update AC 1 (host)
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x05) return Reply{0, Frame(load_be16(&c.payload[4]), 0x11)};
        if (c.code == 0x04) return Reply{0, hex("00 00 00 01")};
        return Reply{0, {}};
    };
    std::uint8_t out[4];
    ASSERT_TRUE(rig.device.read(1, 0, out).ok());
    EXPECT_EQ(rig.bus.chip.seen.back().header, 0x05);
    ASSERT_TRUE(rig.device.update(1, 0, hex("01")).ok());
    EXPECT_EQ(rig.bus.chip.seen.back().header, 0xE6);
    ASSERT_TRUE(rig.device.decrement(1, 0, 1));
    EXPECT_EQ(rig.bus.chip.seen.back().header, 0xE4);
}

TEST(DeviceSecureChannel, CounterAtItsLimit) {
    Rig rig;
    provision(rig, MacPolicy::always, kMaxSequenceCounter - 1);
    // The chip refuses once its counter is used up (§7.1 [I]); the driver passes its code on.
    std::uint8_t out[4];
    auto r = rig.device.echo(hex("01"), out);  // the table query took the last value
    EXPECT_EQ(r.status().code(), Errc::out_of_range);
    EXPECT_EQ(r.status().device_status(), 0x09);
    // The refusal did not consume a value [I]: the next command is still the chip's to refuse.
    EXPECT_EQ(rig.device.echo(hex("02"), out).status().device_status(), 0x09);
    EXPECT_EQ(rig.bus.count_code(0x00), 2u);
    EXPECT_EQ(rig.bus.count_query(0x17), 1u);
    // Command encryption would need C + 1 beyond 24 bits: refused before the command is sent.
    rig.device.set_mac_policy(MacPolicy::as_required);
    rig.device.invalidate_caches();
    const std::size_t writes = rig.bus.writes.size();
    Frame env(24);
    auto w = rig.device.wrap(0, Frame(16, 1), env);
    EXPECT_EQ(w.status().code(), Errc::out_of_range);
    EXPECT_EQ(w.status().device_status(), 0);
    EXPECT_EQ(rig.bus.count_code(0x0E), 0u);
    EXPECT_EQ(rig.bus.writes.size(), writes + 2);  // the table and counter queries only
}

TEST(DeviceSecureChannel, ChipWithoutCommandTableTreatsCommandsAsFree) {
    Rig rig;
    provision(rig, MacPolicy::as_required);
    rig.bus.chip.queries.erase(0x24);
    rig.bus.chip.handler = [](const SeenCommand& c) {
        if (c.code == 0x14) return Reply{0x10, {}};  // ENTRY_NOT_FOUND for the table query
        return Reply{0, c.payload};
    };
    // Other refusals of the table query are not "no table".
    Rig refused;
    provision(refused, MacPolicy::as_required);
    refused.bus.chip.queries.erase(0x24);
    refused.bus.chip.handler = [](const SeenCommand& c) {
        return Reply{static_cast<std::uint8_t>(c.code == 0x14 ? 0x05 : 0), {}};
    };
    EXPECT_EQ(refused.device.reset().device_status(), 0x05);
    std::uint8_t out[2];
    ASSERT_TRUE(rig.device.echo(hex("01 02"), out));
    EXPECT_EQ(rig.bus.chip.seen.back().header, 0x00);
    ASSERT_TRUE(rig.device.echo(hex("01 02"), out));
    EXPECT_EQ(rig.bus.count_query(0x24), 1u);  // not asked again
    // A garbled table is not "no table": the command fails.
    Rig garbled;
    provision(garbled, MacPolicy::as_required);
    garbled.bus.chip.queries[0x24] = hex("00 05 0E");
    EXPECT_EQ(garbled.device.echo(hex("01"), out).status().code(), Errc::invalid_response);
}
