// SPDX-License-Identifier: Apache-2.0
// The emulator's state file: persistence across opens, integrity checks, and the guarantee that
// no command answer ever carries a private key.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "chip_state.hpp"
#include "harness.hpp"

using namespace sebind;
using namespace sebind::stsafe;

namespace {

std::vector<std::uint8_t> slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, const std::vector<std::uint8_t>& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

bool contains(const std::vector<std::uint8_t>& hay, const std::vector<std::uint8_t>& needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

}  // namespace

class Persistence : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::test_transport() != "inproc") GTEST_SKIP() << "inspects the state directory directly";
        chip = test::make_test_chip();
    }
    std::unique_ptr<test::TestChip> chip;
};

TEST_F(Persistence, ChangesSurviveReopening) {
    Device& se = chip->device();
    auto pub = se.generate_key_pair(kSlotUser, Curve::p384);
    ASSERT_TRUE(pub);
    const std::uint8_t data[] = {1, 2, 3, 4, 5};
    ASSERT_TRUE(se.update(1, 10, data).ok());

    auto again = emu::Chip::open(chip->state_dir(), {});
    ASSERT_TRUE(again);
    ManualClock clock;
    emu::EmulatedBus bus(**again, clock);
    Device se2(bus, clock, emu::kDriverConfig);
    EXPECT_EQ(*se2.slot_curve(kSlotUser), Curve::p384);
    std::uint8_t back[5];
    ASSERT_TRUE(se2.read(1, 10, back).ok());
    EXPECT_TRUE(std::equal(std::begin(back), std::end(back), std::begin(data)));
}

TEST_F(Persistence, CountersLimitsAndAccessConditionsSurviveReopening) {
    Device& se = chip->device();
    stsafe::HostKeys keys;
    keys.mac_key.fill(0x5A);
    keys.cipher_key.fill(0xA5);
    ASSERT_TRUE(se.put_host_keys(keys).ok());
    se.set_mac_policy(MacPolicy::always);
    std::uint8_t out[2];
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(se.echo(std::array<std::uint8_t, 2>{1, 2}, out));
    const auto counter = se.query_host_key_slot()->counter;
    ASSERT_GE(counter, 3u);
    ASSERT_TRUE(se.generate_key_pair(kSlotUser, Curve::p256, 2));
    std::uint8_t digest[32];
    std::fill(std::begin(digest), std::end(digest), 0x3C);
    ASSERT_TRUE(se.generate_signature(kSlotUser, digest));
    auto c = se.decrement(6, 0, 100);
    ASSERT_TRUE(c);
    ASSERT_TRUE(se.update(3, 0, std::array<std::uint8_t, 1>{9}, false, AcChange{1, true}).ok());
    ASSERT_TRUE(se.generate_local_envelope_key(1, EnvelopeKeyType::aes256).ok());
    const auto last_counter = se.query_host_key_slot()->counter;
    ASSERT_GT(last_counter, counter);

    auto again = emu::Chip::open(chip->state_dir(), {});
    ASSERT_TRUE(again);
    ManualClock clock;
    emu::EmulatedBus bus(**again, clock);
    Device se2(bus, clock, emu::kDriverConfig);
    auto slot = se2.query_host_key_slot();
    ASSERT_TRUE(slot);
    EXPECT_TRUE(slot->present);
    EXPECT_EQ(slot->counter, last_counter);
    se2.set_host_keys(keys);
    se2.set_mac_policy(MacPolicy::always);
    EXPECT_TRUE(se2.generate_signature(kSlotUser, digest));  // the second of two uses
    EXPECT_EQ(se2.generate_signature(kSlotUser, digest).status().device_status(), 0x0B);
    auto p = se2.query_partition();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->find(6)->counter, *c);
    EXPECT_EQ(p->find(3)->update_ac, 1);
    auto env = se2.query_local_envelope_keys();
    ASSERT_TRUE(env);
    EXPECT_TRUE(env->slots[1].present);
    EXPECT_FALSE(env->slots[0].present);
    // Volatile state is not persisted: the ephemeral slot starts empty.
    EXPECT_FALSE(se2.query_key_table()->find(kSlotEphemeral)->present);
}

TEST_F(Persistence, CorruptOrMissingStateIsDetected) {
    const std::string path = chip->state_dir() + "/" + emu::kStateFile;
    const auto good = slurp(path);
    auto flipped = good;
    flipped[flipped.size() / 2] ^= 0x01;
    spit(path, flipped);
    EXPECT_EQ(emu::Chip::open(chip->state_dir(), {}).status().code(), Errc::corrupted_data);
    spit(path, std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<long>(good.size() / 3)));
    EXPECT_EQ(emu::Chip::open(chip->state_dir(), {}).status().code(), Errc::corrupted_data);
    std::filesystem::remove(path);
    EXPECT_EQ(emu::Chip::open(chip->state_dir(), {}).status().code(), Errc::does_not_exist);
    EXPECT_EQ(emu::init_chip(chip->state_dir() + "/../chip", {}).code(), Errc::ok);  // dir free again
    EXPECT_EQ(emu::init_chip(chip->state_dir(), {}).code(), Errc::already_exists);
}

TEST_F(Persistence, FactoryCaIsWrittenAndHoldsNoKey) {
    const auto pem = slurp(chip->state_dir() + "/" + emu::kFactoryCaFile);
    const std::string text(pem.begin(), pem.end());
    EXPECT_NE(text.find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_EQ(text.find("PRIVATE"), std::string::npos);
}

TEST_F(Persistence, NoCommandAnswerCarriesAPrivateKey) {
    Device& se = chip->device();
    ASSERT_TRUE(se.generate_key_pair(kSlotUser, Curve::p256));
    auto state = emu::decode_state(slurp(chip->state_dir() + "/" + emu::kStateFile));
    ASSERT_TRUE(state);
    const std::vector<std::uint8_t> secrets[] = {state->slots[0].private_scalar, state->slots[1].private_scalar};
    // Every query tag, every zone in full, a signature and a key establishment.
    std::vector<std::vector<std::uint8_t>> answers;
    for (std::uint8_t tag = 0; tag < 0x30; ++tag) {
        auto r = se.transceive(Command::query, std::array<std::uint8_t, 1>{tag});
        if (r) answers.emplace_back(r->begin(), r->end());
    }
    for (std::uint8_t zone = 0; zone < 8; ++zone) {
        auto p = se.query_partition();
        std::vector<std::uint8_t> all(p->find(zone)->size);
        if (se.read(zone, 0, all).ok()) answers.push_back(all);
    }
    ASSERT_GE(answers.size(), 15u);
    for (const auto& a : answers)
        for (const auto& s : secrets) EXPECT_FALSE(contains(a, s));
}
