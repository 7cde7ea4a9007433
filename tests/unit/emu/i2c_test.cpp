// SPDX-License-Identifier: Apache-2.0
// The emulator's I2C face (§1.6, §1.8, §8.2): addressing, re-reads, filler, busy NACKs with the
// timing model, hibernation, address changes, and every injected fault.
#include <gtest/gtest.h>

#include <bit>

#include "emu_test_util.hpp"

using namespace sebind;
using sebind::stsafe::BusResult;
using sebind::test::hex;
using sebind::test::hex_of;
using sebind::test::with_crc;

namespace {

constexpr std::uint8_t kAddr = 0x20;

std::unique_ptr<emu::Chip> make_chip(emu::OpenOptions open = {}) {
    emu::InitOptions init;
    init.seed = 9;
    auto chip = emu::Chip::create_in_memory(init, open);
    if (!chip) throw std::runtime_error("create_in_memory failed");
    return std::move(*chip);
}

std::vector<std::uint8_t> read(emu::Chip& chip, std::size_t n, std::uint32_t now = 0, std::uint8_t addr = kAddr) {
    std::vector<std::uint8_t> out(n, 0x00);
    if (chip.i2c_read(addr, out, now) != BusResult::ok) out.clear();
    return out;
}

const std::vector<std::uint8_t> kEcho = hex("00 01 02 03 A7 29");  // -> 00 00 05 01 02 03 A7 29

}  // namespace

TEST(I2c, OnlyItsOwnAddressIsAcknowledged) {
    auto chip = make_chip();
    EXPECT_EQ(chip->i2c_write(0x21, kEcho, 0), BusResult::nack);
    std::uint8_t b[4];
    EXPECT_EQ(chip->i2c_read(0x21, b, 0), BusResult::nack);
    EXPECT_EQ(chip->stats().commands, 0u);
    EXPECT_EQ(chip->i2c_write(kAddr, kEcho, 0), BusResult::ok);
    EXPECT_EQ(chip->stats().commands, 1u);
}

TEST(I2c, ReadsRestartAtTheStatusByteAndPadWithFF) {
    auto chip = make_chip();
    EXPECT_EQ(hex_of(read(*chip, 4)), "ff ff ff ff");  // nothing pending yet
    ASSERT_EQ(chip->i2c_write(kAddr, kEcho, 0), BusResult::ok);
    EXPECT_EQ(hex_of(read(*chip, 3)), "00 00 05");
    EXPECT_EQ(hex_of(read(*chip, 10)), "00 00 05 01 02 03 a7 29 ff ff");
    EXPECT_EQ(hex_of(read(*chip, 8)), "00 00 05 01 02 03 a7 29");  // kept after a full read
    // An address-only write (a probe) neither runs a command nor drops the response [I].
    EXPECT_EQ(chip->i2c_write(kAddr, {}, 0), BusResult::ok);
    EXPECT_EQ(hex_of(read(*chip, 8)), "00 00 05 01 02 03 a7 29");
    EXPECT_EQ(chip->stats().commands, 1u);
    // The next command replaces it.
    ASSERT_EQ(chip->i2c_write(kAddr, hex("00 5A 33 1C 48"), 0), BusResult::ok);
    EXPECT_EQ(hex_of(read(*chip, 7)), "01 00 02 e1 f1 ff ff");
}

TEST(I2c, RealisticLatencyNacksForTheCommandsBusyTime) {
    auto chip = make_chip({.latency = emu::Latency::realistic, .faults = {}, .persist = false});
    const auto sign = with_crc("16 00 00 20" + std::string(64, '7'));
    const std::uint32_t t0 = 0xFFFFFFF0u;  // across the 32-bit wrap of the ms clock
    const std::uint32_t busy = stsafe::a110_busy_time_ms(stsafe::Command::generate_signature);
    ASSERT_GE(busy, 80u);  // §8.2
    ASSERT_EQ(chip->i2c_write(kAddr, sign, t0), BusResult::ok);
    std::uint8_t b[3];
    EXPECT_EQ(chip->i2c_read(kAddr, b, t0), BusResult::nack);
    EXPECT_EQ(chip->i2c_read(kAddr, b, t0 + busy - 1), BusResult::nack);
    EXPECT_EQ(chip->i2c_write(kAddr, kEcho, t0 + busy - 1), BusResult::nack);  // writes too
    EXPECT_EQ(chip->i2c_read(kAddr, b, t0 + busy), BusResult::ok);
    EXPECT_EQ(hex_of(read(*chip, 5, t0 + busy)), "00 00 46 00 20");
    // Even the quickest command is busy for 1 ms.
    ASSERT_EQ(chip->i2c_write(kAddr, kEcho, 100), BusResult::ok);
    EXPECT_EQ(chip->i2c_read(kAddr, b, 100), BusResult::nack);
    EXPECT_EQ(chip->i2c_read(kAddr, b, 101), BusResult::ok);
    chip->set_latency(emu::Latency::zero);
    ASSERT_EQ(chip->i2c_write(kAddr, kEcho, 200), BusResult::ok);
    EXPECT_EQ(chip->i2c_read(kAddr, b, 200), BusResult::ok);
}

TEST(I2c, HibernateWakesOnTheNextStartOrOnlyOnPowerUp) {
    auto chip = make_chip();
    const auto gen_eph = with_crc("11 13 FF 00 01 00 00 00 08 2A 86 48 CE 3D 03 01 07");
    const auto key_table = hex("14 14 AB 13");
    ASSERT_EQ(test::transact(*chip, gen_eph)[0], 0x00);
    ASSERT_EQ(chip->i2c_write(kAddr, hex("0D 01 AE B6"), 0), BusResult::ok);
    EXPECT_EQ(read(*chip, 1)[0], 0x00);  // the answer is read before the chip is woken
    ASSERT_EQ(chip->i2c_write(kAddr, key_table, 0), BusResult::ok);
    const auto table = read(*chip, 31);
    EXPECT_EQ(hex_of({table.end() - 6, table.end() - 2}), "ff 00 00 00");  // ephemeral key gone

    ASSERT_EQ(test::transact(*chip, gen_eph)[0], 0x00);
    ASSERT_EQ(chip->i2c_write(kAddr, with_crc("0D 02"), 0), BusResult::ok);  // wake on reset only
    EXPECT_EQ(read(*chip, 1)[0], 0x00);
    EXPECT_EQ(chip->i2c_write(kAddr, kEcho, 0), BusResult::nack);
    EXPECT_EQ(chip->i2c_write(kAddr, kEcho, 5000), BusResult::nack);
    ASSERT_TRUE(chip->power_cycle().ok());
    EXPECT_EQ(chip->i2c_write(kAddr, kEcho, 0), BusResult::ok);
}

TEST(I2c, NewAddressTakesEffectAtPowerUp) {
    auto chip = make_chip();
    EXPECT_EQ(test::transact(*chip, with_crc("10 0A 41 00"))[0], 0x03);  // bit 0 of the address byte
    EXPECT_EQ(test::transact(*chip, with_crc("10 0A 42 02"))[0], 0x03);  // low-power mode 1
    EXPECT_EQ(test::transact(*chip, with_crc("10 0A 0A 00"))[0], 0x03);  // reserved address 0x05
    EXPECT_EQ(test::transact(*chip, with_crc("10 0A 42"))[0], 0x02);
    ASSERT_EQ(chip->i2c_write(kAddr, with_crc("10 0A 42 04"), 0), BusResult::ok);  // 0x21, standby
    EXPECT_EQ(read(*chip, 1)[0], 0x00);
    ASSERT_EQ(chip->i2c_write(kAddr, hex("14 0A 52 EC"), 0), BusResult::ok);
    EXPECT_EQ(hex_of(read(*chip, 5)).substr(0, 14), "00 00 04 42 04");
    // A Reset still answers where it was sent.
    ASSERT_EQ(chip->i2c_write(kAddr, hex("01 E1 F1"), 0), BusResult::ok);
    EXPECT_EQ(read(*chip, 1)[0], 0x00);
    ASSERT_TRUE(chip->power_cycle().ok());
    EXPECT_EQ(chip->i2c_write(kAddr, kEcho, 0), BusResult::nack);
    ASSERT_EQ(chip->i2c_write(0x21, kEcho, 0), BusResult::ok);
    EXPECT_EQ(read(*chip, 3, 0, 0x21)[0], 0x00);
    // Locking is one-way.
    ASSERT_EQ(chip->i2c_write(0x21, with_crc("10 0A 42 05"), 0), BusResult::ok);
    ASSERT_EQ(chip->i2c_write(0x21, with_crc("10 0A 40 00"), 0), BusResult::ok);
    EXPECT_EQ(hex_of(read(*chip, 5, 0, 0x21)), "11 00 02 f1 70");
}

TEST(I2c, PowerLossAtTheNthNvmWriteDarkensTheChipUntilPowerCycle) {
    auto chip = make_chip();
    const auto update = with_crc("06 80 01 00 00 AA BB CC");
    const auto read_back = with_crc("05 00 01 00 00 00 03");
    emu::FaultConfig faults;
    faults.power_loss_at_write = chip->stats().nvm_writes + 1;
    chip->set_faults(faults);
    EXPECT_EQ(chip->i2c_write(kAddr, update, 0), BusResult::ok);  // received; power fails in the write
    EXPECT_FALSE(chip->powered());
    std::uint8_t b[5];
    EXPECT_EQ(chip->i2c_read(kAddr, b, 0), BusResult::fault);
    EXPECT_EQ(chip->i2c_write(kAddr, kEcho, 0), BusResult::fault);
    EXPECT_EQ(chip->i2c_write(0x33, kEcho, 0), BusResult::fault);
    ASSERT_TRUE(chip->power_cycle().ok());
    EXPECT_TRUE(chip->powered());
    EXPECT_EQ(hex_of(test::transact(*chip, read_back)).substr(0, 17), "00 00 05 00 00 00");  // old data
    EXPECT_EQ(test::transact(*chip, update)[0], 0x00);  // the fault is disarmed by the power cycle
    EXPECT_EQ(hex_of(test::transact(*chip, read_back)).substr(0, 17), "00 00 05 aa bb cc");
}

TEST(I2c, AllZeroDigestHangsTheChipUntilPowerCycle) {
    auto chip = make_chip();
    // §4.15: the real A110 never answers; the emulator NACKs everything [I].
    ASSERT_EQ(chip->i2c_write(kAddr, with_crc("16 00 00 20" + std::string(64, '0')), 0), BusResult::ok);
    std::uint8_t b[5];
    EXPECT_EQ(chip->i2c_read(kAddr, b, 0), BusResult::nack);
    EXPECT_EQ(chip->i2c_read(kAddr, b, 1'000'000), BusResult::nack);
    EXPECT_EQ(chip->i2c_write(kAddr, kEcho, 1'000'000), BusResult::nack);
    ASSERT_TRUE(chip->power_cycle().ok());
    ASSERT_EQ(chip->i2c_write(kAddr, kEcho, 0), BusResult::ok);
    EXPECT_EQ(chip->stats().signatures, 0u);
}

TEST(I2c, ResponseCorruptionFlipsOneBitPerReadAndTheChipKeepsTheTruth) {
    auto chip = make_chip();
    ASSERT_EQ(chip->i2c_write(kAddr, kEcho, 0), BusResult::ok);
    const auto clean = read(*chip, 8);
    emu::FaultConfig faults;
    faults.seed = 77;
    faults.response_corruption_rate = 1.0;
    chip->set_faults(faults);
    for (int i = 0; i < 50; ++i) {
        const auto got = read(*chip, 8);
        ASSERT_EQ(got.size(), 8u);
        int flipped = 0;
        for (std::size_t k = 0; k < 8; ++k) flipped += std::popcount(static_cast<unsigned>(got[k] ^ clean[k]));
        EXPECT_EQ(flipped, 1);
    }
    chip->set_faults({});
    EXPECT_EQ(read(*chip, 8), clean);
}

TEST(I2c, CommandCorruptionIsSeenAsABadCrc) {
    auto chip = make_chip();
    emu::FaultConfig faults;
    faults.command_corruption_rate = 1.0;
    chip->set_faults(faults);
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(chip->i2c_write(kAddr, with_crc("06 00 01 00 00 11 22"), 0), BusResult::ok);
        EXPECT_EQ(hex_of(read(*chip, 5)), "01 00 02 e1 f1");
    }
    chip->set_faults({});
    EXPECT_EQ(hex_of(test::transact(*chip, with_crc("05 00 01 00 00 00 02"))).substr(0, 14), "00 00 04 00 00");
}

TEST(I2c, NackBurstsHaveTheConfiguredLengthAndAreReproducible) {
    auto run = [](std::uint64_t seed) {
        auto chip = make_chip();
        emu::FaultConfig faults;
        faults.seed = seed;
        faults.nack_burst_rate = 0.2;
        faults.nack_burst_length = 3;
        chip->set_faults(faults);
        std::string trace;
        std::uint8_t b[1];
        for (int i = 0; i < 400; ++i) trace += chip->i2c_read(kAddr, b, 0) == BusResult::ok ? '.' : 'N';
        return trace;
    };
    const std::string a = run(5);
    EXPECT_EQ(a, run(5));
    EXPECT_NE(a, run(6));
    // Every burst is exactly 3 NACKs (bursts may follow each other directly: a multiple of 3).
    std::size_t bursts = 0;
    for (std::size_t i = 0; i < a.size();) {
        if (a[i] != 'N') {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < a.size() && a[j] == 'N') ++j;
        if (j < a.size()) {
            EXPECT_EQ((j - i) % 3, 0u) << a;
        }
        ++bursts;
        i = j;
    }
    EXPECT_GT(bursts, 20u);
}
