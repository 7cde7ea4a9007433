// SPDX-License-Identifier: Apache-2.0
// Driver against the emulated chip: data partition (Read, Update, Decrement, access conditions).
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "harness.hpp"
#include "host_crypto.hpp"

using namespace sebind;
using namespace sebind::stsafe;

class Zones : public ::testing::Test {
protected:
    std::unique_ptr<test::TestChip> chip = test::make_test_chip();
    Device& se = chip->device();

    static std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
        std::vector<std::uint8_t> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 13);
        return v;
    }
};

TEST_F(Zones, FactoryCertificateHoldsTheSlot0PublicKey) {
    const auto der = test::read_zone_certificate(se, 0);
    ASSERT_GT(der.size(), 200u);
    const PublicKey pub = test::certificate_public_key(der);
    std::vector<std::uint8_t> digest = test::sha256(der);
    auto sig = se.generate_signature(kSlotFactory, digest);
    ASSERT_TRUE(sig);
    EXPECT_TRUE(test::host_verify(pub, *sig, digest));
}

TEST_F(Zones, WholeZoneWriteReadBackInChunks) {
    const auto data = pattern(700, 3);
    ASSERT_TRUE(se.update(1, 0, data).ok());
    std::vector<std::uint8_t> back(700);
    ASSERT_TRUE(se.read(1, 0, back).ok());
    EXPECT_EQ(back, data);
    const auto big = pattern(1696, 9);
    ASSERT_TRUE(se.update(4, 0, big).ok());
    std::vector<std::uint8_t> big_back(1696);
    ASSERT_TRUE(se.read(4, 0, big_back).ok());
    EXPECT_EQ(big_back, big);
}

TEST_F(Zones, BoundariesAndUnknownZones) {
    std::uint8_t buf[8];
    EXPECT_EQ(se.read(1, 695, buf).device_status(), 0x14);
    EXPECT_EQ(se.update(1, 699, Bytes(buf, 2)).device_status(), 0x14);
    EXPECT_EQ(se.read(9, 0, buf).device_status(), 0x10);
    EXPECT_EQ(se.read(9, 0, buf).code(), Errc::does_not_exist);
    EXPECT_TRUE(se.read(1, 692, buf).ok());
}

TEST_F(Zones, CertificateZoneIsReadOnly) {
    std::uint8_t buf[4] = {1, 2, 3, 4};
    Status st = se.update(0, 0, buf);
    EXPECT_EQ(st.code(), Errc::not_permitted);
    EXPECT_EQ(st.device_status(), 0x11);
}

TEST_F(Zones, AtomicUpdateLimitedToTheAtomicityBuffer) {
    const auto ok64 = pattern(64, 1);
    EXPECT_TRUE(se.update(2, 10, ok64, true).ok());
    std::vector<std::uint8_t> back(64);
    ASSERT_TRUE(se.read(2, 10, back).ok());
    EXPECT_EQ(back, ok64);
    EXPECT_EQ(se.update(2, 10, pattern(65, 1), true).code(), Errc::invalid_argument);
    // The chip itself refuses an oversized atomic update (driver bypassed).
    std::vector<std::uint8_t> raw = {0x80, 0x02, 0x00, 0x00};
    const auto big = pattern(65, 2);
    raw.insert(raw.end(), big.begin(), big.end());
    EXPECT_EQ(se.transceive(Command::update, raw).status().device_status(), 0x06);
}

TEST_F(Zones, CounterZoneDecrementWithData) {
    std::uint8_t data[4];
    auto c0 = se.read_counter_zone(5, 0, data);
    ASSERT_TRUE(c0);
    const std::uint8_t payload[] = {0xCA, 0xFE};
    auto c1 = se.decrement(5, 8, 10, payload);
    ASSERT_TRUE(c1);
    EXPECT_EQ(*c1, *c0 - 10);
    std::uint8_t back[2];
    auto c2 = se.read_counter_zone(5, 8, back);
    ASSERT_TRUE(c2);
    EXPECT_EQ(*c2, *c1);
    EXPECT_EQ(back[0], 0xCA);
    EXPECT_EQ(back[1], 0xFE);
    EXPECT_EQ(se.query_partition()->find(5)->counter, *c1);
    // read() on a counter zone returns just the data.
    ASSERT_TRUE(se.read(5, 8, back).ok());
    EXPECT_EQ(back[1], 0xFE);
}

TEST_F(Zones, CounterCannotUnderflowAndDataZonesHaveNone) {
    std::uint8_t none[1];
    auto c = se.read_counter_zone(6, 0, std::span(none).first(0));
    ASSERT_TRUE(c);
    EXPECT_EQ(se.decrement(6, 0, *c + 1).status().device_status(), 0x13);
    auto zero = se.decrement(6, 0, *c);
    ASSERT_TRUE(zero);
    EXPECT_EQ(*zero, 0u);
    EXPECT_EQ(se.decrement(6, 0, 1).status().device_status(), 0x13);
    EXPECT_EQ(se.decrement(1, 0, 1).status().device_status(), 0x12);
}

TEST_F(Zones, AccessConditionsOnlyTighten) {
    // Zone 2: update AC always -> host, keeping the change right.
    ASSERT_TRUE(se.update(2, 0, std::array<std::uint8_t, 1>{7}, false, AcChange{1, true}).ok());
    auto partition = se.query_partition();
    ASSERT_TRUE(partition);
    EXPECT_EQ(partition->find(2)->update_ac, 1);
    // Without host keys the zone can no longer be updated.
    EXPECT_EQ(se.update(2, 0, std::array<std::uint8_t, 1>{8}).device_status(), 0x11);
    // Going back to "always" is refused (§6.1).
    EXPECT_EQ(
        se.transceive(Command::update, std::array<std::uint8_t, 5>{0x10 | 0x08, 2, 0, 0, 9}).status().device_status(),
        0x11);
    // The A110 layout grants no read change right (§6.2): a read-AC change is refused and the
    // zone stays readable.
    EXPECT_EQ(se.change_read_ac(3, AcChange{7, false}).device_status(), 0x11);
    std::uint8_t buf[4];
    EXPECT_TRUE(se.read(3, 0, buf).ok());
    // Dropping the update change right makes the AC final.
    ASSERT_TRUE(se.update(4, 0, std::array<std::uint8_t, 1>{1}, false, AcChange{0, false}).ok());
    EXPECT_FALSE(se.query_partition()->find(4)->update_change_right);
    EXPECT_EQ(se.update(4, 0, std::array<std::uint8_t, 1>{1}, false, AcChange{1, false}).device_status(), 0x11);
}

TEST_F(Zones, AcChangeWithoutChangeRightIsRefused) {
    // Zone 0's update AC has no change right.
    EXPECT_EQ(se.transceive(Command::update, std::array<std::uint8_t, 4>{0x17, 0, 0, 0}).status().device_status(),
              0x11);
}
