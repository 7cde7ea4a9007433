// SPDX-License-Identifier: Apache-2.0
// Every device status the emulator can produce, each provoked by a concrete command (protocol
// doc §3, §11). 0x05 UNEXPECTED_ERROR is reserved for internal failures and cannot be provoked.
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "chip_state.hpp"
#include "harness.hpp"
#include "sebind/core/hex.hpp"
#include "sebind/stsafe/crc.hpp"
#include "sebind/stsafe/frame.hpp"

using namespace sebind;
using namespace sebind::stsafe;

namespace {

struct Case {
    const char* what;
    std::uint8_t code;
    const char* payload;
    std::uint8_t expected;
};

const Case kCases[] = {
    {"echo without data", 0x00, "", 0x02},
    {"random: A100-only subject", 0x02, "01 10", 0x03},
    {"random: short payload", 0x02, "00", 0x02},
    {"start session is not an A110 command", 0x03, "08 00", 0x04},
    {"unknown command code", 0x1D, "00", 0x04},
    {"query: unknown tag", 0x14, "FE", 0x10},
    {"read: unknown zone", 0x05, "00 09 00 00 00 04", 0x10},
    {"read: past the zone end", 0x05, "00 01 02 B8 00 10", 0x14},
    {"read: longer than the I/O buffer", 0x05, "00 01 00 00 01 F9", 0x06},
    {"read: reserved option bits", 0x05, "E0 01 00 00 00 04", 0x02},
    {"update: read-only certificate zone", 0x06, "00 00 00 00 AA", 0x11},
    {"decrement: data zone", 0x04, "00 01 00 00 00 00 00 01", 0x12},
    {"decrement: below zero", 0x04, "00 05 00 00 7F FF FF FF", 0x13},
    {"generate key: factory slot", 0x11, "13 00 FF FF 00 05 00 08 2A 86 48 CE 3D 03 01 07", 0x11},
    {"generate key: no such slot", 0x11, "13 02 FF FF 00 05 00 08 2A 86 48 CE 3D 03 01 07", 0x10},
    {"generate key: P-521 is not an A110 curve", 0x11, "13 01 FF FF 00 05 00 05 2B 81 04 00 23", 0x03},
    {"sign: empty slot", 0x16, "01 00 01 55", 0x0A},
    {"sign: ephemeral slot", 0x16, "FF 00 01 55", 0x1B},
    {"establish: point not on the curve", 0x18,
     "00 04 00 20 0101010101010101010101010101010101010101010101010101010101010101"
     " 00 20 0202020202020202020202020202020202020202020202020202020202020202",
     0x19},
    {"encrypt: not authorised on this profile", 0x1B, "02 00", 0x1E},
    {"put attribute: short host keys", 0x10, "17 00 01", 0x02},
    {"put attribute: unknown tag", 0x10, "55 00", 0x03},
    {"verify password: none set", 0x1A, "00000000000000000000000000000000", 0x0A},
    {"delete: unknown tag", 0x0C, "05", 0x03},
    {"update: reserved option bits", 0x06, "60 01 00 00 AA", 0x02},
    {"read: counter zone past its end", 0x05, "00 05 00 3C 00 08", 0x14},
    {"decrement: amount zero", 0x04, "00 05 00 00 00 00 00 00", 0x03},
    {"hibernate: unknown wake-up mode", 0x0D, "03", 0x03},
    {"query: trailing byte", 0x14, "11 00", 0x02},
    {"verify signature: A100 entity authentication", 0x17, "01 00 01 55 00 01 55", 0x03},
    {"generate key: ephemeral usage limit 2", 0x11, "13 FF 00 02 00 00 00 08 2A 86 48 CE 3D 03 01 07", 0x03},
    {"establish: empty slot 1", 0x18,
     "01 04 00 20 0101010101010101010101010101010101010101010101010101010101010101"
     " 00 20 0202020202020202020202020202020202020202020202020202020202020202",
     0x0A},
    {"wrap: the A110 table demands a host C-MAC", 0x0E, "00 0001020304050607", 0x11},
    {"put attribute: the command-AC table is final", 0x10, "29 01 16 03", 0x11},
    {"generate MAC: not authorised on this profile", 0x09, "03 00 04 00", 0x1E},
};

class StatusCodes : public ::testing::Test {
protected:
    std::unique_ptr<test::TestChip> chip = test::make_test_chip();
    Device& se = chip->device();
};

std::vector<std::uint8_t> raw_frame(std::uint8_t header_byte, Bytes payload) {
    std::vector<std::uint8_t> f(payload.size() + 8);
    f.resize(*encode_command(header_byte, payload, {}, f));
    return f;
}

}  // namespace

TEST_F(StatusCodes, EachCommandErrorFromTheTable) {
    for (const Case& c : kCases) {
        auto payload = from_hex(c.payload);
        ASSERT_TRUE(payload) << c.what;
        auto r = se.transceive(static_cast<Command>(c.code), *payload);
        ASSERT_FALSE(r.ok()) << c.what;
        EXPECT_EQ(r.status().device_status(), c.expected) << c.what;
        EXPECT_EQ(r.status(), status_from_device(c.expected)) << c.what;
    }
}

TEST_F(StatusCodes, BadCrcAndOversizedFrames) {
    if (!chip->chip()) GTEST_SKIP() << "raw frames need the in-process chip";
    auto frame = raw_frame(0x00, std::array<std::uint8_t, 3>{1, 2, 3});
    frame.back() ^= 0x01;
    std::uint8_t rsp[kMaxResponseFrame];
    auto n = chip->chip()->process(frame, rsp);
    ASSERT_EQ(n, 5u);
    EXPECT_EQ(to_hex(Bytes(rsp, n)), "010002e1f1");  // the real capture of §1.4
    std::vector<std::uint8_t> big(kIoBufferSize - 2, 0x11);
    auto oversized = raw_frame(0x00, big);  // 508 bytes with header and CRC
    n = chip->chip()->process(oversized, rsp);
    EXPECT_EQ(rsp[0], 0x06);
}

TEST_F(StatusCodes, RmacWithoutCmacIsInconsistent) {
    auto r = se.transceive(static_cast<Command>(0x40), std::array<std::uint8_t, 1>{1});
    EXPECT_EQ(r.status().device_status(), 0x02);
}

TEST_F(StatusCodes, PasswordBlockedAndTerminatedLifeCycle) {
    std::array<std::uint8_t, 17> put{};
    put[0] = 0x09;
    for (std::size_t i = 1; i < put.size(); ++i) put[i] = static_cast<std::uint8_t>(i);
    ASSERT_TRUE(se.transceive(Command::put_attribute, put));
    std::array<std::uint8_t, 16> good{}, bad{};
    for (std::size_t i = 0; i < 16; ++i) good[i] = static_cast<std::uint8_t>(i + 1);
    // Life-cycle changes need a verified password.
    EXPECT_EQ(se.put_life_cycle(LifeCycle::operational_locked).device_status(), 0x11);
    auto ok = se.verify_password(good);
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->verified);
    ASSERT_TRUE(se.put_life_cycle(LifeCycle::terminated).ok());
    EXPECT_EQ(se.put_life_cycle(LifeCycle::operational).device_status(), 0x0F);
    for (int i = 0; i < 3; ++i) {
        auto r = se.verify_password(bad);
        ASSERT_TRUE(r);
        EXPECT_FALSE(r->verified);
        EXPECT_EQ(r->remaining_tries, 2 - i);
    }
    EXPECT_EQ(se.verify_password(good).status().device_status(), 0x1A);
}

TEST_F(StatusCodes, CommandDecryptionError) {
    if (!chip->chip()) GTEST_SKIP() << "raw frames need the in-process chip";
    HostKeys keys;
    keys.mac_key.fill(0x31);
    keys.cipher_key.fill(0x32);
    ASSERT_TRUE(se.put_host_keys(keys).ok());
    ASSERT_TRUE(se.generate_local_envelope_key(0, EnvelopeKeyType::aes128).ok());
    const std::uint32_t counter = se.query_host_key_slot()->counter;
    // Wrap with a valid C-MAC over a "ciphertext" that is not a whole number of AES blocks.
    std::vector<std::uint8_t> payload(17, 0x44);
    const std::uint8_t hdr = 0xEE;
    auto mac = compute_cmac(keys, counter, hdr, payload);
    ASSERT_TRUE(mac);
    std::vector<std::uint8_t> f(64);
    f.resize(*encode_command(hdr, payload, *mac, f));
    std::uint8_t rsp[kMaxResponseFrame];
    ASSERT_GT(chip->chip()->process(f, rsp), 0u);
    EXPECT_EQ(rsp[0], 0x18);
}

TEST(StatusCodesState, CounterExhausted) {
    if (test::test_transport() != "inproc") GTEST_SKIP() << "builds a chip state directly";
    // A chip whose 24-bit C-MAC counter is used up (§7.1): state crafted through the codec.
    const auto dir = std::filesystem::temp_directory_path() / ("sebind-exhausted-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(
        emu::init_chip(dir.string(), emu::InitOptions{.seed = 3, .device_common_name = {}, .certificate_days = 10})
            .ok());
    auto raw = std::vector<std::uint8_t>();
    {
        auto chip = emu::Chip::open(dir.string(), {});
        ASSERT_TRUE(chip);
    }
    FILE* f = std::fopen((dir / emu::kStateFile).c_str(), "rb");
    ASSERT_NE(f, nullptr);
    std::uint8_t buf[16384];
    raw.assign(buf, buf + std::fread(buf, 1, sizeof buf, f));
    std::fclose(f);
    auto state = emu::decode_state(raw);
    ASSERT_TRUE(state);
    state->host_keys_present = true;
    state->host_mac_key.fill(1);
    state->host_cipher_key.fill(2);
    state->sequence_counter = kMaxSequenceCounter;
    const auto encoded = emu::encode_state(*state);
    f = std::fopen((dir / emu::kStateFile).c_str(), "wb");
    ASSERT_EQ(std::fwrite(encoded.data(), 1, encoded.size(), f), encoded.size());
    std::fclose(f);

    auto chip = emu::Chip::open(dir.string(), {});
    ASSERT_TRUE(chip);
    ManualClock clock;
    emu::EmulatedBus bus(**chip, clock);
    Device se(bus, clock, emu::kDriverConfig);
    HostKeys keys;
    keys.mac_key.fill(1);
    keys.cipher_key.fill(2);
    se.set_host_keys(keys);
    se.set_mac_policy(MacPolicy::always);
    std::uint8_t out[1];
    auto r = se.echo(std::array<std::uint8_t, 1>{1}, out);
    EXPECT_EQ(r.status().device_status(), 0x09);
    std::filesystem::remove_all(dir);
}
