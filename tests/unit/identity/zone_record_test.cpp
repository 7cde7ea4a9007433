// SPDX-License-Identifier: Apache-2.0
// Identity-zone layout codec: header and record round trips, every corruption detected, torn
// copies ignored because the header decides.
#include <gtest/gtest.h>

#include <vector>

#include "sebind/identity/zone_record.hpp"

using namespace sebind;
using namespace sebind::identity;

namespace {

Record sample_record(std::size_t cert_size) {
    Record r;
    r.public_key.curve = stsafe::Curve::p256;
    r.public_key.x.resize(32);
    r.public_key.y.resize(32);
    for (std::size_t i = 0; i < 32; ++i) {
        r.public_key.x[i] = static_cast<std::uint8_t>(i);
        r.public_key.y[i] = static_cast<std::uint8_t>(0xFF - i);
    }
    r.certificate.resize(cert_size);
    for (std::size_t i = 0; i < cert_size; ++i) r.certificate[i] = static_cast<std::uint8_t>(i * 7);
    return r;
}

/// A zone image with the record in copy `copy` and a header pointing at it.
std::vector<std::uint8_t> image(const Record& r, std::uint8_t copy, std::size_t zone_size = 1696) {
    std::vector<std::uint8_t> zone(zone_size, 0);
    const auto rec = encode_record(r);
    const CopyArea area = copy_area(zone_size, copy);
    std::copy(rec.begin(), rec.end(), zone.begin() + static_cast<long>(area.offset));
    ZoneHeader h;
    h.active_copy = copy;
    h.generation = 9;
    h.slot = 1;
    h.record_size = static_cast<std::uint16_t>(rec.size());
    h.record_digest = record_digest(rec);
    const auto hdr = encode_header(h);
    std::copy(hdr.begin(), hdr.end(), zone.begin());
    return zone;
}

}  // namespace

TEST(ZoneRecord, HeaderRoundTrip) {
    ZoneHeader h;
    h.active_copy = 1;
    h.generation = 0x01020304;
    h.slot = 1;
    h.curve = stsafe::Curve::brainpool_p384r1;
    h.record_size = 700;
    h.record_digest.fill(0xAB);
    auto back = decode_header(encode_header(h));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->generation, h.generation);
    EXPECT_EQ(back->curve, h.curve);
    EXPECT_EQ(back->record_size, 700);
    EXPECT_EQ(back->record_digest, h.record_digest);
}

TEST(ZoneRecord, EveryHeaderBitFlipIsDetected) {
    const auto good = encode_header(ZoneHeader{});
    for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
        auto bad = good;
        bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        auto r = decode_header(bad);
        EXPECT_FALSE(r.ok()) << bit;
        // A damaged magic reads as "no identity layout", anything else as corruption.
        EXPECT_EQ(r.status().code(), bit < 32 ? Errc::does_not_exist : Errc::corrupted_data) << bit;
    }
}

TEST(ZoneRecord, RecordRoundTripWithAndWithoutCertificate) {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{700}}) {
        const Record r = sample_record(n);
        auto back = decode_record(encode_record(r), stsafe::Curve::p256);
        ASSERT_TRUE(back) << n;
        EXPECT_EQ(back->certificate, r.certificate);
        EXPECT_EQ(back->public_key.x, r.public_key.x);
    }
    auto rec = encode_record(sample_record(10));
    rec.pop_back();
    EXPECT_EQ(decode_record(rec, stsafe::Curve::p256).status().code(), Errc::corrupted_data);
    EXPECT_FALSE(decode_record(encode_record(sample_record(10)), stsafe::Curve::p384));
}

TEST(ZoneRecord, CopiesSplitTheZoneAfterTheHeaderArea) {
    EXPECT_EQ(copy_area(1696, 0).offset, 64u);
    EXPECT_EQ(copy_area(1696, 0).size, 816u);
    EXPECT_EQ(copy_area(1696, 1).offset, 880u);
    EXPECT_EQ(copy_area(1696, 1).offset + copy_area(1696, 1).size, 1696u);
    EXPECT_EQ(copy_area(40, 0).size, 0u);
}

TEST(ZoneRecord, ActiveCopyWinsAndTornInactiveCopyIsIgnored) {
    const Record r = sample_record(300);
    for (std::uint8_t copy : {std::uint8_t{0}, std::uint8_t{1}}) {
        auto zone = image(r, copy);
        // Scribble over the other copy, as a torn write would.
        const CopyArea other = copy_area(zone.size(), static_cast<std::uint8_t>(copy ^ 1));
        for (std::size_t i = 0; i < 100; ++i) zone[other.offset + i] = 0x5A;
        auto back = decode_zone_image(zone);
        ASSERT_TRUE(back);
        EXPECT_EQ(back->certificate, r.certificate);
    }
}

TEST(ZoneRecord, TornActiveCopyIsCorruption) {
    auto zone = image(sample_record(300), 0);
    zone[copy_area(zone.size(), 0).offset + 200] ^= 1;
    EXPECT_EQ(decode_zone_image(zone).status().code(), Errc::corrupted_data);
    EXPECT_EQ(decode_zone_image(std::vector<std::uint8_t>(1696, 0)).status().code(), Errc::does_not_exist);
}
