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
    auto p = parse_partition(
        hex("08 00 00 07 03 E8 01 00 08 02 BC 02 00 08 02 58 03 00 08 02 58 04 00 08 06 A0"
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
    for (std::size_t n = 0; n < full.size(); ++n) EXPECT_FALSE(parse_partition(Bytes(full).first(n))) << n;
    auto longer = full;
    longer.push_back(0);
    EXPECT_FALSE(parse_partition(longer));
}

TEST(Responses, KeyTableWithCurves) {
    auto t = parse_key_table(
        hex("03 00 00 00  00 01 00 04 00 08 2A 86 48 CE 3D 03 01 07"
            "  01 01 80 0D 00 05 2B 81 04 00 22  FF 00 00 00"));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->find(0)->curve, Curve::p256);
    EXPECT_EQ(t->find(1)->curve, Curve::p384);
    EXPECT_EQ(t->find(1)->mode, 0x800D);
    EXPECT_FALSE(t->find(0xFF)->present);
    EXPECT_FALSE(parse_key_table(hex("03 00 00 00 00 01 00 04 00 09 2A")));
}

TEST(Responses, CommandAuthorizationRealA110) {
    auto t = parse_command_authorization(
        hex("00 09 08 00 00 09 00 00 0A 00 00 0E 03 02 0F 03 01 16 01 00 18 01 00 1B 00 00 1C 00 00"));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->count, 9);
    EXPECT_EQ(t->find(Command::wrap_local_envelope)->access, CommandAccess::host);
    EXPECT_EQ(t->find(Command::unwrap_local_envelope)->encryption_flags, encryption::kResponse);
    EXPECT_EQ(t->find(Command::echo), nullptr);
}

TEST(Responses, ProductDataTlvs) {
    auto p = parse_product_data(
        hex("01 03 AA 46 02 02 09 A0 21 E0 21 C4 E1 D0 01 39 03 02 01 FB 04 02 00 40 05 02 18 E8"
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
    // R announced with 31 bytes (a leading zero dropped), S with the full 32.
    std::vector<std::uint8_t> p = {0x00, 31};
    p.insert(p.end(), 31, 0x11);
    p.push_back(0x00);
    p.push_back(32);
    p.insert(p.end(), 32, 0x22);
    auto s = parse_signature(p, Curve::p256);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->curve, Curve::p256);
    ASSERT_EQ(s->r.size(), 32u);
    EXPECT_EQ(s->r[0], 0x00);
    EXPECT_EQ(s->r[1], 0x11);
    EXPECT_EQ(s->s.size(), 32u);
    EXPECT_EQ(s->s[0], 0x22);
    // Longer than the coordinate size is refused, even with a leading zero (DER habit).
    std::vector<std::uint8_t> der_like = {0x00, 33, 0x00};
    der_like.insert(der_like.end(), 32, 0x33);
    der_like.insert(der_like.end(), {0x00, 0x01, 0x01});
    EXPECT_FALSE(parse_signature(der_like, Curve::p256));
    // A 48-byte R for a P-256 slot is impossible; for P-384 it is the normal size.
    std::vector<std::uint8_t> big = {0x00, 48};
    big.insert(big.end(), 48, 0x33);
    big.insert(big.end(), {0x00, 0x01, 0x01});
    EXPECT_FALSE(parse_signature(big, Curve::p256));
    auto s384 = parse_signature(big, Curve::p384);
    ASSERT_TRUE(s384);
    EXPECT_EQ(s384->s.size(), 48u);
    EXPECT_EQ(s384->s[47], 0x01);
    EXPECT_EQ(s384->s[0], 0x00);
    // Empty components, a missing S, trailing bytes.
    EXPECT_FALSE(parse_signature(hex("00 00 00 01 01"), Curve::p256));
    EXPECT_FALSE(parse_signature(hex("00 01 01"), Curve::p256));
    EXPECT_FALSE(parse_signature(hex("00 01 01 00 01 01 00"), Curve::p256));
    EXPECT_TRUE(parse_signature(hex("00 01 01 00 01 01"), Curve::p256));
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

TEST(Responses, LifeCycleStates) {
    EXPECT_EQ(*parse_life_cycle(hex("03")), LifeCycle::operational);  // the real A110
    EXPECT_EQ(*parse_life_cycle(hex("83")), LifeCycle::operational_locked);
    EXPECT_EQ(*parse_life_cycle(hex("81")), LifeCycle::born_locked);
    EXPECT_FALSE(parse_life_cycle(hex("02")));  // A120 "patching"
    EXPECT_FALSE(parse_life_cycle(hex("")));
    EXPECT_FALSE(parse_life_cycle(hex("03 00")));
}

TEST(Responses, SmallRecordsRejectWrongSizes) {
    EXPECT_FALSE(parse_i2c_parameters(hex("42")));
    EXPECT_FALSE(parse_i2c_parameters(hex("42 05 00")));
    auto plain = parse_i2c_parameters(hex("40 00"));
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->address, 0x20);
    EXPECT_FALSE(plain->locked);
    EXPECT_EQ(plain->low_power_mode, 0);
    // No host keys: the counter bytes may be missing [I].
    auto none = parse_host_key_slot(hex("00"));
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->present);
    EXPECT_FALSE(parse_host_key_slot(hex("01")));
    EXPECT_FALSE(parse_host_key_slot(hex("02 00 00 00")));
    EXPECT_FALSE(parse_host_key_slot(hex("01 00 00 13 00")));
    EXPECT_FALSE(parse_host_key_slot(hex("")));
}

TEST(Responses, SharedSecretExactSize) {
    std::vector<std::uint8_t> p = {0x00, 0x30};
    p.insert(p.end(), 48, 0x9A);
    auto s = parse_shared_secret(p, Curve::brainpool_p384r1);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->value.size(), 48u);
    EXPECT_FALSE(parse_shared_secret(p, Curve::p256));
    p.push_back(0);
    EXPECT_FALSE(parse_shared_secret(p, Curve::brainpool_p384r1));
    EXPECT_FALSE(parse_shared_secret(hex("00"), Curve::p256));
}

TEST(Responses, TablesRejectImpossibleValues) {
    // Command-AC table: AC above 5, flags above 3, record count beyond the data.
    EXPECT_FALSE(parse_command_authorization(hex("00 01 0E 06 00")));
    EXPECT_FALSE(parse_command_authorization(hex("00 01 0E 03 04")));
    EXPECT_FALSE(parse_command_authorization(hex("00 02 0E 03 02")));
    EXPECT_FALSE(parse_command_authorization(hex("00 01 0E 03 02 00")));
    auto empty = parse_command_authorization(hex("03 00"));
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->change_rights, 3);
    // Envelope table: type code beyond AES-256, more slots than the chip has, trailing bytes.
    EXPECT_FALSE(parse_local_envelope_keys(hex("01 00 01 02")));
    EXPECT_FALSE(parse_local_envelope_keys(hex("05 00 00 01 00 02 00 03 00 04 00")));
    EXPECT_FALSE(parse_local_envelope_keys(hex("01 00 00 00")));
    // Key table: an absent key carries no OID, so bytes after it are garbage.
    EXPECT_FALSE(parse_key_table(hex("01 00 00 00 01 00 00 00 00 08")));
    EXPECT_FALSE(parse_key_table(hex("07 00 00 00")));
    // A present key on a curve sebind does not know: present, curve unset.
    auto t = parse_key_table(hex("01 00 00 00 01 01 00 04 00 05 2B 81 04 00 23"));
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->find(1)->present);
    EXPECT_FALSE(t->find(1)->curve);
    // Partition: zone type 2 does not exist; more than kMaxZones zones.
    EXPECT_FALSE(parse_partition(hex("01 00 02 00 00 10")));
    EXPECT_FALSE(parse_partition(hex("11")));
}

TEST(Responses, ProductDataOfAnA100AndBadTlvs) {
    // A100: 39 bytes, tags 0x01..0x08 only (§4.14).
    auto a100 = parse_product_data(
        hex("01 03 AA 40 10 02 09 00 01 02 03 04 05 06 07 08 03 02 01 FB 04 02 00 40"
            " 05 02 18 00 06 02 00 00 07 01 01 08 02 00 00"));
    ASSERT_TRUE(a100);
    EXPECT_EQ(a100->raw.size(), 39u);
    EXPECT_EQ(product_from_mask(a100->mask_id), Product::a100);
    EXPECT_FALSE(parse_product_data(hex("01 02 AA 46")));              // mask ID of the wrong size
    EXPECT_FALSE(parse_product_data(hex("01 03 AA 46 02 02 09 A0")));  // truncated product number
    EXPECT_FALSE(parse_product_data(std::vector<std::uint8_t>(200, 0x01)));
}

TEST(Responses, EveryTruncationOfRealAnswersIsRejected) {
    const std::vector<std::vector<std::uint8_t>> answers = {
        hex("02 00 01 00 01 01 00"),
        hex("00 09 08 00 00 09 00 00 0A 00 00 0E 03 02 0F 03 01 16 01 00 18 01 00 1B 00 00 1C 00 00"),
        hex("03 00 00 00 00 01 00 04 00 08 2A 86 48 CE 3D 03 01 07 01 01 80 0D 00 05 2B 81 04 00 22 FF 00 00 00"),
        hex("08 00 00 07 03 E8 01 00 08 02 BC 02 00 08 02 58 03 00 08 02 58 04 00 08 06 A0"
            " 05 01 08 00 40 00 00 00 10 06 01 08 00 40 00 00 00 20 07 00 08 06 2A"),
    };
    auto parse = [](std::size_t which, Bytes b) -> bool {
        switch (which) {
            case 0: return parse_local_envelope_keys(b).ok();
            case 1: return parse_command_authorization(b).ok();
            case 2: return parse_key_table(b).ok();
            default: return parse_partition(b).ok();
        }
    };
    for (std::size_t i = 0; i < answers.size(); ++i) {
        ASSERT_TRUE(parse(i, answers[i])) << i;
        for (std::size_t n = 0; n < answers[i].size(); ++n)
            EXPECT_FALSE(parse(i, Bytes(answers[i]).first(n))) << i << "/" << n;
        auto longer = answers[i];
        longer.push_back(0x00);
        EXPECT_FALSE(parse(i, longer)) << i;
    }
}

// Random bytes: every parser answers ok or invalid_response, never anything else and never out of
// bounds (the sanitizer build checks the latter).
TEST(Responses, GarbageIsRejectedCleanly) {
    std::uint32_t state = 0x12345678;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    };
    for (int round = 0; round < 5000; ++round) {
        std::vector<std::uint8_t> junk(next() % 130);
        for (auto& b : junk) b = static_cast<std::uint8_t>(next() % 7 == 0 ? 0 : next());
        const Curve curve = static_cast<Curve>(next() % 4);
        const Status results[] = {
            parse_product_data(junk).status(),
            parse_partition(junk).status(),
            parse_key_table(junk).status(),
            parse_host_key_slot(junk).status(),
            parse_life_cycle(junk).status(),
            parse_i2c_parameters(junk).status(),
            parse_command_authorization(junk).status(),
            parse_local_envelope_keys(junk).status(),
            parse_public_key(junk, curve).status(),
            parse_signature(junk, curve).status(),
            parse_shared_secret(junk, curve).status(),
            der_total_length(junk).status(),
        };
        for (const Status& st : results) EXPECT_TRUE(st.ok() || st.code() == Errc::invalid_response);
    }
}
