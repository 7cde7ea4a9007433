// SPDX-License-Identifier: Apache-2.0
// Response parsers on the protocol doc's real captures, and on truncated / garbage input.
#include <gtest/gtest.h>

#include "sebind/stsafe/responses.hpp"
#include "test_util.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using sebind::test::hex;

TEST(Responses, LocalEnvelopeTableRealCapture) {
    auto t = parse_local_envelope_keys(hex("02 00 01 00 01 01 00"));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->count, 2);
    EXPECT_TRUE(t->slots[0].present);
    EXPECT_EQ(t->slots[0].type, EnvelopeKeyType::aes128);
    EXPECT_EQ(t->slots[1].slot, 1);
    EXPECT_TRUE(t->slots[1].present);
}

TEST(Responses, HostKeySlotRealA110) {
    auto h = parse_host_key_slot(hex("01 00 00 13"));
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->present);
    EXPECT_EQ(h->counter, 19u);
    auto empty = parse_host_key_slot(hex("00 00 00 00"));
    ASSERT_TRUE(empty);
    EXPECT_FALSE(empty->present);
    EXPECT_FALSE(parse_host_key_slot(hex("01 00 00")));
}

TEST(Responses, I2cParametersRealA110) {
    auto p = parse_i2c_parameters(hex("42 05"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->address, 0x21);
    EXPECT_TRUE(p->locked);
    EXPECT_EQ(p->low_power_mode, 2);
    EXPECT_FALSE(parse_i2c_parameters(hex("43 05")));  // bit 0 must be 0
}

TEST(Responses, PartitionTableOfA110) {
    // §6.2 with counters 00 00 00 10 and 00 00 00 20.
    auto p = parse_partition(hex("08 00 00 07 03 E8 01 00 08 02 BC 02 00 08 02 58 03 00 08 02 58 04 00 08 06 A0"
                                 " 05 01 08 00 40 00 00 00 10 06 01 08 00 40 00 00 00 20 07 00 08 06 2A"));
    ASSERT_TRUE(p);
    ASSERT_EQ(p->zone_count, 8);
    EXPECT_EQ(p->zones[0].size, 1000);
    EXPECT_EQ(p->zones[0].update_ac, 7);
    EXPECT_EQ(p->zones[0].read_ac, 0);
    EXPECT_TRUE(p->zones[1].update_change_right);
    EXPECT_EQ(p->find(5)->type, ZoneType::counter);
    EXPECT_EQ(p->find(5)->counter, 0x10u);
    EXPECT_EQ(p->find(7)->size, 1578);
    EXPECT_EQ(p->find(9), nullptr);
}

TEST(Responses, PartitionTruncatedAnywhereIsRejected) {
    const auto full = hex("02 00 00 07 03 E8 05 01 08 00 40 00 00 00 10");
    ASSERT_TRUE(parse_partition(full));
    for (std::size_t n = 0; n < full.size(); ++n)
        EXPECT_FALSE(parse_partition(Bytes(full).first(n))) << n;
    auto longer = full;
    longer.push_back(0);
    EXPECT_FALSE(parse_partition(longer));
}

TEST(Responses, KeyTableWithCurves) {
    auto t = parse_key_table(hex("03 00 00 00  00 01 00 04 00 08 2A 86 48 CE 3D 03 01 07"
                                 "  01 01 80 0D 00 05 2B 81 04 00 22  FF 00 00 00"));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->find(0)->curve, Curve::p256);
    EXPECT_EQ(t->find(1)->curve, Curve::p384);
    EXPECT_EQ(t->find(1)->mode, 0x800D);
    EXPECT_FALSE(t->find(0xFF)->present);
    EXPECT_FALSE(parse_key_table(hex("03 00 00 00 00 01 00 04 00 09 2A")));
}

TEST(Responses, CommandAuthorizationRealA110) {
    auto t = parse_command_authorization(hex("00 09 08 00 00 09 00 00 0A 00 00 0E 03 02 0F 03 01 16 01 00 18 01 00 1B 00 00 1C 00 00"));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->count, 9);
    EXPECT_EQ(t->find(Command::wrap_local_envelope)->access, CommandAccess::host);
    EXPECT_EQ(t->find(Command::unwrap_local_envelope)->encryption_flags, encryption::kResponse);
    EXPECT_EQ(t->find(Command::echo), nullptr);
}

TEST(Responses, ProductDataTlvs) {
    auto p = parse_product_data(hex("01 03 AA 46 02 02 09 A0 21 E0 21 C4 E1 D0 01 39 03 02 01 FB 04 02 00 40 05 02 18 E8"
                                    " 06 02 93 11 07 01 45 08 02 93 51 09 03 00 00 00 0A 03 00 00 00 0B 03 00 00 00"
                                    " 0C 03 00 00 00 0D 03 00 00 00"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->raw.size(), 64u);
    EXPECT_EQ(product_from_mask(p->mask_id), Product::a110);
    EXPECT_EQ(p->io_buffer_size, 507);
    EXPECT_EQ(p->nvm_size, 6376);
    EXPECT_FALSE(parse_product_data(hex("01 03 AA 46")));  // truncated value
    EXPECT_FALSE(parse_product_data(hex("02 01 00")));     // no mask ID
}

TEST(Responses, SignatureIsLeftPaddedAndBounded) {
    // R announced with 31 bytes (leading zero dropped), S with a 33-byte leading-zero form.
    std::vector<std::uint8_t> p = {0x00, 31};
    p.insert(p.end(), 31, 0x11);
    p.push_back(0x00);
    p.push_back(33);
    p.push_back(0x00);
    p.insert(p.end(), 32, 0x22);
    auto s = parse_signature(p, Curve::p256);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->r.size(), 32u);
    EXPECT_EQ(s->r[0], 0x00);
    EXPECT_EQ(s->r[1], 0x11);
    EXPECT_EQ(s->s[0], 0x22);
    // A 48-byte R for a P-256 slot is impossible.
    std::vector<std::uint8_t> big = {0x00, 48};
    big.insert(big.end(), 48, 0x33);
    big.push_back(0x00);
    big.push_back(1);
    big.push_back(0x01);
    EXPECT_FALSE(parse_signature(big, Curve::p256));
    EXPECT_TRUE(parse_signature(big, Curve::p384));
}

TEST(Responses, PublicKeyExactSizes) {
    std::vector<std::uint8_t> p = {0x04, 0x00, 0x20};
    p.insert(p.end(), 32, 0xAA);
    p.push_back(0x00);
    p.push_back(0x20);
    p.insert(p.end(), 32, 0xBB);
    auto k = parse_public_key(p, Curve::p256);
    ASSERT_TRUE(k);
    std::uint8_t out[80];
    auto n = write_public_key(*k, out);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::vector<std::uint8_t>(out, out + *n), p);
    EXPECT_FALSE(parse_public_key(p, Curve::p384));
    p[0] = 0x03;
    EXPECT_FALSE(parse_public_key(p, Curve::p256));
}

TEST(Responses, DerLengthForms) {
    EXPECT_EQ(*der_total_length(hex("30 82 01 92")), 0x192u + 4);
    EXPECT_EQ(*der_total_length(hex("30 81 C8")), 0xC8u + 3);
    EXPECT_EQ(*der_total_length(hex("30 45")), 0x45u + 2);
    EXPECT_FALSE(der_total_length(hex("31 45")));
    EXPECT_FALSE(der_total_length(hex("30 83 00 00 10")));
    EXPECT_FALSE(der_total_length(hex("30 81 10")));  // non-minimal
    EXPECT_FALSE(der_total_length(hex("30 82")));
}
