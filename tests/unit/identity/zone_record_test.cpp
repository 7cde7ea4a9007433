// SPDX-License-Identifier: Apache-2.0
// Identity-zone layout codec: header and record round trips, every corruption detected, torn
// copies ignored because the header decides.
#include <gtest/gtest.h>

#include <string>
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

TEST(ZoneRecord, HeaderBytesFollowTheDocumentedLayout) {
    // docs/identity-zone-layout.md is the contract other tools (and older firmware) read.
    ZoneHeader h;
    h.active_copy = 1;
    h.generation = 0x0A0B0C0D;
    h.slot = 1;
    h.curve = stsafe::Curve::p384;
    h.record_size = 0x0123;
    for (std::size_t i = 0; i < h.record_digest.size(); ++i) h.record_digest[i] = static_cast<std::uint8_t>(0xC0 + i);
    const auto b = encode_header(h);
    EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "SBID");
    EXPECT_EQ(b[4], 1);  // version
    EXPECT_EQ(b[5], 1);  // active copy B
    EXPECT_EQ(b[6], 0x0A);
    EXPECT_EQ(b[9], 0x0D);
    EXPECT_EQ(b[10], 1);
    EXPECT_EQ(b[11], 1);  // P-384
    EXPECT_EQ(b[12], 0x01);
    EXPECT_EQ(b[13], 0x23);
    EXPECT_EQ(b[14], 0xC0);
    EXPECT_EQ(b[29], 0xCF);
    EXPECT_LE(b.size(), kHeaderArea);  // fits one atomic Update (§4.8)
}

TEST(ZoneRecord, ImpossibleHeaderValuesAreCorruptionEvenWithAGoodCrc) {
    ZoneHeader h;
    h.active_copy = 2;
    EXPECT_EQ(decode_header(encode_header(h)).status().code(), Errc::corrupted_data);
    h.active_copy = 0;
    h.curve = static_cast<stsafe::Curve>(4);
    EXPECT_EQ(decode_header(encode_header(h)).status().code(), Errc::corrupted_data);
    // Shorter than a header: nothing to decode.
    const auto good = encode_header(ZoneHeader{});
    EXPECT_EQ(decode_header(Bytes(good.data(), kHeaderSize - 1)).status().code(), Errc::does_not_exist);
}

TEST(ZoneRecord, RecordSizeBeyondTheCopyAreaIsCorruption) {
    auto zone = image(sample_record(300), 1);
    ZoneHeader h = *decode_header(zone);
    h.record_size = static_cast<std::uint16_t>(copy_area(zone.size(), 1).size + 1);
    const auto hdr = encode_header(h);
    std::copy(hdr.begin(), hdr.end(), zone.begin());
    EXPECT_EQ(decode_zone_image(zone).status().code(), Errc::corrupted_data);
    // An image cut short inside the active record.
    auto cut = image(sample_record(300), 1);
    cut.resize(copy_area(1696, 1).offset + 100);
    EXPECT_FALSE(decode_zone_image(cut).ok());
}

TEST(ZoneRecord, BothCopiesInvalidIsCorruptionNotAnOlderCertificate) {
    // The header's digest is the only proof a copy is complete; with the active copy damaged the
    // reader must not guess that the other one is good (it may be a half-written newer record).
    auto zone = image(sample_record(300), 0);
    const auto old_copy = encode_record(sample_record(200));
    const CopyArea b = copy_area(zone.size(), 1);
    std::copy(old_copy.begin(), old_copy.end(), zone.begin() + static_cast<long>(b.offset));
    zone[copy_area(zone.size(), 0).offset + 5] ^= 0x80;
    EXPECT_EQ(decode_zone_image(zone).status().code(), Errc::corrupted_data);
    zone[b.offset + 5] ^= 0x80;
    EXPECT_EQ(decode_zone_image(zone).status().code(), Errc::corrupted_data);
    // A header pointing at an erased copy.
    std::vector<std::uint8_t> erased(1696, 0xFF);
    const auto hdr = encode_header(*decode_header(image(sample_record(300), 1)));
    std::copy(hdr.begin(), hdr.end(), erased.begin());
    EXPECT_EQ(decode_zone_image(erased).status().code(), Errc::corrupted_data);
}

TEST(ZoneRecord, RecordsOnEveryCurveRoundTripAndRejectTrailingBytes) {
    for (auto curve :
         {stsafe::Curve::p256, stsafe::Curve::p384, stsafe::Curve::brainpool_p256r1, stsafe::Curve::brainpool_p384r1}) {
        Record r = sample_record(64);
        const std::size_t n = stsafe::curve_info(curve).coordinate_size;
        r.public_key.curve = curve;
        r.public_key.x.resize(n);
        r.public_key.y.resize(n);
        for (std::size_t i = 0; i < n; ++i) r.public_key.x[i] = r.public_key.y[i] = static_cast<std::uint8_t>(i + 1);
        auto rec = encode_record(r);
        EXPECT_EQ(rec.size(), 5 + 2 * n + 2 + 64);
        auto back = decode_record(rec, curve);
        ASSERT_TRUE(back);
        EXPECT_EQ(back->public_key.curve, curve);
        EXPECT_EQ(back->certificate, r.certificate);
        rec.push_back(0);
        EXPECT_EQ(decode_record(rec, curve).status().code(), Errc::corrupted_data);
        rec.pop_back();
        rec[5 + 2 * n] = 0xFF;  // certificate length beyond the record
        EXPECT_EQ(decode_record(rec, curve).status().code(), Errc::corrupted_data);
    }
}
