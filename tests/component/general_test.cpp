// SPDX-License-Identifier: Apache-2.0
// Driver against the emulated chip: general commands and every Query tag.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "harness.hpp"
#include "sebind/stsafe/responses.hpp"

using namespace sebind;
using namespace sebind::stsafe;

class General : public ::testing::Test {
protected:
    std::unique_ptr<test::TestChip> chip = test::make_test_chip();
    Device& se = chip->device();
};

TEST_F(General, EchoReturnsTheSameBytesAtEverySize) {
    for (std::size_t n : {std::size_t{1}, std::size_t{100}, kMaxReadChunk}) {
        std::vector<std::uint8_t> data(n), out(n);
        for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 7 + n);
        auto r = se.echo(data, out);
        ASSERT_TRUE(r) << n;
        EXPECT_EQ(out, data);
    }
    std::vector<std::uint8_t> too_big(kMaxReadChunk + 1), out(kMaxReadChunk + 1);
    EXPECT_EQ(se.echo(too_big, out).status().code(), Errc::invalid_argument);
}

TEST_F(General, RandomIsFreshEachTime) {
    std::uint8_t a[32], b[32];
    ASSERT_TRUE(se.generate_random(a).ok());
    ASSERT_TRUE(se.generate_random(b).ok());
    EXPECT_NE(std::memcmp(a, b, sizeof a), 0);
    std::vector<std::uint8_t> max(255);
    EXPECT_TRUE(se.generate_random(max).ok());
    std::vector<std::uint8_t> over(256);
    EXPECT_EQ(se.generate_random(over).code(), Errc::invalid_argument);
}

TEST_F(General, ProductDataIdentifiesAnEmulatedA110) {
    auto p = se.query_product_data();
    ASSERT_TRUE(p);
    EXPECT_EQ(product_from_mask(p->mask_id), Product::a110);
    EXPECT_EQ(p->io_buffer_size, kIoBufferSize);
    EXPECT_EQ(p->atomicity_buffer_size, kAtomicityBufferSize);
    EXPECT_EQ(p->raw.size(), 64u);
    // Perso ID "EMU" marks the emulator (docs/emulator.md).
    const std::string raw(reinterpret_cast<const char*>(p->raw.data()), p->raw.size());
    EXPECT_NE(raw.find("\x0b\x03"
                       "EMU"),
              std::string::npos);
}

TEST_F(General, SerialDiffersBetweenChipsWithDifferentSeeds) {
    test::TestChipOptions other;
    other.init.seed = 4242;
    auto chip2 = test::make_test_chip(other);
    auto a = se.query_product_data();
    auto b = chip2->device().query_product_data();
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->product_number, b->product_number);
}

TEST_F(General, LifeCycleI2cAndHostSlotDefaults) {
    EXPECT_EQ(*se.query_life_cycle(), LifeCycle::operational);
    auto i2c = se.query_i2c_parameters();
    ASSERT_TRUE(i2c);
    EXPECT_EQ(i2c->address, kDefaultI2cAddress);
    EXPECT_FALSE(i2c->locked);
    auto host = se.query_host_key_slot();
    ASSERT_TRUE(host);
    EXPECT_FALSE(host->present);
    auto env = se.query_local_envelope_keys();
    ASSERT_TRUE(env);
    EXPECT_EQ(env->count, 2);
    EXPECT_FALSE(env->slots[0].present);
}

TEST_F(General, PartitionIsTheA110Layout) {
    auto p = se.query_partition();
    ASSERT_TRUE(p);
    ASSERT_EQ(p->zone_count, 8);
    const std::uint16_t sizes[] = {1000, 700, 600, 600, 1696, 64, 64, 1578};
    for (std::uint8_t i = 0; i < 8; ++i) {
        const ZoneInfo* z = p->find(i);
        ASSERT_NE(z, nullptr);
        EXPECT_EQ(z->size, sizes[i]);
        EXPECT_EQ(z->type, (i == 5 || i == 6) ? ZoneType::counter : ZoneType::data);
    }
    EXPECT_EQ(p->find(0)->update_ac, 7);
    EXPECT_FALSE(p->find(0)->update_change_right);
    EXPECT_EQ(p->find(1)->update_ac, 0);
    EXPECT_TRUE(p->find(1)->update_change_right);
}

TEST_F(General, KeyTableShowsFactorySlotOnly) {
    auto t = se.query_key_table();
    ASSERT_TRUE(t);
    ASSERT_EQ(t->slot_count, 3);
    EXPECT_TRUE(t->find(0)->present);
    EXPECT_EQ(t->find(0)->curve, Curve::p256);
    EXPECT_FALSE(t->find(1)->present);
    EXPECT_FALSE(t->find(0xFF)->present);
}

TEST_F(General, CommandAuthorizationIsTheRealA110Table) {
    auto t = se.query_command_authorization();
    ASSERT_TRUE(t);
    EXPECT_EQ(t->count, 9);
    EXPECT_EQ(t->find(Command::wrap_local_envelope)->access, CommandAccess::host);
    EXPECT_EQ(t->find(Command::wrap_local_envelope)->encryption_flags, encryption::kCommand);
    EXPECT_EQ(t->find(Command::generate_signature)->access, CommandAccess::free);
}

TEST_F(General, ResetClearsTheEphemeralKey) {
    ASSERT_TRUE(se.generate_key_pair(kSlotEphemeral, Curve::p256));
    EXPECT_TRUE(se.query_key_table()->find(0xFF)->present);
    ASSERT_TRUE(se.reset().ok());
    EXPECT_FALSE(se.query_key_table()->find(0xFF)->present);
}

TEST_F(General, HibernateThenWakeOnNextCommand) {
    ASSERT_TRUE(se.generate_key_pair(kSlotEphemeral, Curve::p256));
    ASSERT_TRUE(se.hibernate(WakeUpMode::i2c_start_or_reset).ok());
    auto t = se.query_key_table();  // wakes the chip; volatile state is gone
    ASSERT_TRUE(t);
    EXPECT_FALSE(t->find(0xFF)->present);
}

TEST_F(General, HibernateResetOnlyNeedsAPowerCycle) {
    ASSERT_TRUE(se.hibernate(WakeUpMode::reset_only).ok());
    std::uint8_t out[1];
    EXPECT_EQ(se.echo(std::array<std::uint8_t, 1>{1}, out).status().code(), Errc::busy);
    ASSERT_TRUE(chip->power_cycle().ok());
    EXPECT_TRUE(se.echo(std::array<std::uint8_t, 1>{1}, out));
}

TEST_F(General, RealisticLatencyMakesTheDriverPoll) {
    chip->set_latency(emu::Latency::realistic);
    std::uint8_t digest[32];
    std::memset(digest, 0x42, sizeof digest);
    const std::uint32_t before = chip->clock().now_ms();
    ASSERT_TRUE(se.generate_signature(kSlotFactory, digest));
    const std::uint32_t waited = elapsed_ms(before, chip->clock().now_ms());
    EXPECT_GE(waited, a110_busy_time_ms(Command::generate_signature));
    EXPECT_GT(se.stats().nacks, 0u);
}

TEST_F(General, EveryCommandKeepsTheChipBusyForItsWaitTime) {
    // The driver cannot read before the chip's busy time has passed on its clock (§8.2).
    ASSERT_TRUE(se.generate_local_envelope_key(0, EnvelopeKeyType::aes128).ok());
    chip->set_latency(emu::Latency::realistic);
    std::uint8_t digest[32];
    std::memset(digest, 0x42, sizeof digest);
    auto measure = [&](Command command, auto&& run) {
        const std::uint32_t before = chip->clock().now_ms();
        ASSERT_TRUE(run()) << static_cast<int>(command);
        EXPECT_GE(elapsed_ms(before, chip->clock().now_ms()), a110_busy_time_ms(command)) << static_cast<int>(command);
    };
    std::uint8_t out[16];
    measure(Command::echo, [&] { return se.echo(std::array<std::uint8_t, 4>{1, 2, 3, 4}, out).ok(); });
    measure(Command::generate_random, [&] { return se.generate_random(out).ok(); });
    measure(Command::read, [&] { return se.read(1, 0, out).ok(); });
    measure(Command::update, [&] { return se.update(1, 0, out).ok(); });
    measure(Command::decrement, [&] { return se.decrement(5, 0, 1).ok(); });
    measure(Command::generate_key, [&] { return se.generate_key_pair(kSlotUser, Curve::p256).ok(); });
    measure(Command::generate_signature, [&] { return se.generate_signature(kSlotUser, digest).ok(); });
    auto pub = se.generate_key_pair(kSlotUser, Curve::p256);
    auto sig = se.generate_signature(kSlotUser, digest);
    ASSERT_TRUE(pub && sig);
    measure(Command::verify_signature, [&] { return se.verify_signature(*pub, *sig, digest).ok(); });
    measure(Command::establish_key, [&] { return se.establish_key(kSlotUser, *pub).ok(); });
    measure(Command::reset, [&] { return se.reset().ok(); });
    EXPECT_GT(se.stats().nacks, 10u);
}

TEST_F(General, I2cAddressChangeTakesEffectAtPowerUp) {
    I2cParameters p;
    p.address = 0x21;
    p.low_power_mode = 2;
    ASSERT_TRUE(se.put_i2c_parameters(p).ok());
    auto now = se.query_i2c_parameters();  // still answering at 0x20 until it restarts [I]
    ASSERT_TRUE(now);
    EXPECT_EQ(now->address, 0x21);
    EXPECT_EQ(now->low_power_mode, 2);
    EXPECT_FALSE(now->locked);
    ASSERT_TRUE(chip->power_cycle().ok());
    std::uint8_t out[1];
    EXPECT_EQ(se.echo(std::array<std::uint8_t, 1>{1}, out).status().code(), Errc::busy);  // 0x20 NACKs
    if (!chip->chip()) return;  // a second bus needs the in-process chip
    emu::EmulatedBus bus(*chip->chip(), chip->clock());
    stsafe::DeviceConfig config = emu::kDriverConfig;
    config.address = 0x21;
    Device moved(bus, chip->clock(), config);
    ASSERT_TRUE(moved.echo(std::array<std::uint8_t, 1>{1}, out));
    // Locking is final: a locked chip refuses any later change.
    p.locked = true;
    ASSERT_TRUE(moved.put_i2c_parameters(p).ok());
    p.address = 0x20;
    p.locked = false;
    Status st = moved.put_i2c_parameters(p);
    EXPECT_EQ(st.device_status(), 0x11);
    EXPECT_EQ(st.code(), Errc::not_permitted);
    EXPECT_TRUE(moved.query_i2c_parameters()->locked);
}
