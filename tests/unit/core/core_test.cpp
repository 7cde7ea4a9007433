// SPDX-License-Identifier: Apache-2.0
// Unit tests for core: Result, ByteReader bounds, hex, ByteBuffer.
#include <gtest/gtest.h>

#include "sebind/core/hex.hpp"
#include "sebind/core/log.hpp"
#include "sebind/core/reader.hpp"
#include "sebind/core/result.hpp"

using namespace sebind;

TEST(Result, CarriesValueOrStatus) {
    Result<int> good(7);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 7);
    Result<int> bad(Status(Errc::not_permitted, 0x11));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), Errc::not_permitted);
    EXPECT_EQ(bad.status().device_status(), 0x11);
}

static Status try_chain(Result<int> r, int& out) {
    SEBIND_TRY_ASSIGN(out, std::move(r));
    return Status::success();
}

TEST(Result, TryAssignPropagates) {
    int v = 0;
    EXPECT_TRUE(try_chain(Result<int>(3), v).ok());
    EXPECT_EQ(v, 3);
    EXPECT_EQ(try_chain(Result<int>(Errc::busy), v).code(), Errc::busy);
}

TEST(ByteReader, NeverReadsPastTheEnd) {
    const std::uint8_t data[] = {0x00, 0x03, 0xAA, 0xBB};
    ByteReader r(data);
    Bytes out;
    EXPECT_FALSE(r.len16_bytes(out));  // announces 3, only 2 remain
    EXPECT_TRUE(r.failed());
    EXPECT_EQ(r.remaining(), 0u);
    std::uint8_t b = 0;
    EXPECT_FALSE(r.u8(b));  // stays failed
}

TEST(ByteReader, ReadsBigEndian) {
    const std::uint8_t data[] = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x01};
    ByteReader r(data);
    std::uint16_t a = 0;
    std::uint32_t b = 0, c = 0;
    ASSERT_TRUE(r.be16(a) && r.be24(b) && r.be32(c));
    EXPECT_EQ(a, 0x1234);
    EXPECT_EQ(b, 0x56789Au);
    EXPECT_EQ(c, 0xBCDEF001u);
    EXPECT_TRUE(r.at_end());
}

TEST(Hex, RoundTripAndRejects) {
    auto v = from_hex("0A:1b 2C");
    ASSERT_TRUE(v);
    EXPECT_EQ(to_hex(*v), "0a1b2c");
    EXPECT_EQ(to_hex(*v, ' '), "0a 1b 2c");
    EXPECT_FALSE(from_hex("abc"));
    EXPECT_FALSE(from_hex("zz"));
}

TEST(Printable, ControlBytesAreEscapedAndNothingIsCutSilently) {
    using namespace std::string_literals;
    EXPECT_EQ(printable("devices/a\0b/x"s), "devices/a\\x00b/x");
    EXPECT_EQ(printable("one\ntwo\r\x1b[2J\x7f"), "one\\x0atwo\\x0d\\x1b[2J\\x7f");
    EXPECT_EQ(printable("°C back\\slash"), "°C back\\slash");      // UTF-8 and '\\' as they are
    EXPECT_EQ(printable(printable("a\0b"s)), printable("a\0b"s));  // twice = once
    EXPECT_EQ(printable(std::string(10, 'x'), 4), "xxxx...");
}

TEST(ByteBuffer, AppendRefusesOverflow) {
    ByteBuffer<4> b;
    const std::uint8_t three[] = {1, 2, 3};
    EXPECT_TRUE(b.append(three));
    EXPECT_FALSE(b.append(three));
    EXPECT_EQ(b.size(), 3u);
    EXPECT_TRUE(b.push_back(4));
    EXPECT_FALSE(b.push_back(5));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
    const std::uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 4};
    EXPECT_TRUE(constant_time_equal(a, a));
    EXPECT_FALSE(constant_time_equal(a, b));
    EXPECT_FALSE(constant_time_equal(Bytes(a).first(2), a));
}

TEST(LogRateLimit, AllowsTheBudgetPerWindowAndCountsWhatItLeftOut) {
    sebind::LogRateLimit limit(3, 1000);
    unsigned left_out = 99;
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(limit.allow(5000, left_out));
        EXPECT_EQ(left_out, 0u);
    }
    EXPECT_FALSE(limit.allow(5100, left_out));
    EXPECT_FALSE(limit.allow(5999, left_out));
    // A new window: the first line carries the count of the two left out, once.
    EXPECT_TRUE(limit.allow(6000, left_out));
    EXPECT_EQ(left_out, 2u);
    EXPECT_TRUE(limit.allow(6001, left_out));
    EXPECT_EQ(left_out, 0u);
    EXPECT_TRUE(limit.allow(6002, left_out));
    EXPECT_FALSE(limit.allow(6003, left_out));
    EXPECT_EQ(limit.take_suppressed(), 1u);
    EXPECT_EQ(limit.take_suppressed(), 0u);
    // The millisecond clock wraps: a window still ends 1000 ms later.
    sebind::LogRateLimit wrap(1, 1000);
    EXPECT_TRUE(wrap.allow(0xFFFFFF00u, left_out));
    EXPECT_FALSE(wrap.allow(0xFFFFFFF0u, left_out));
    EXPECT_TRUE(wrap.allow(0x00000300u, left_out));
    EXPECT_EQ(left_out, 1u);
}
