// SPDX-License-Identifier: Apache-2.0
// SE URI parsing: every accepted form and the rejections.
#include <gtest/gtest.h>

#include "sebind/port_linux/se_uri.hpp"

using namespace sebind;
using namespace sebind::port_linux;

TEST(SeUri, AcceptedForms) {
    auto e = parse_se_uri("emu:./se");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, SeKind::emulator);
    EXPECT_EQ(e->path, "./se");

    auto d = parse_se_uri("emud:/run/se.sock#chip7");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, SeKind::daemon);
    EXPECT_EQ(d->path, "/run/se.sock");
    EXPECT_EQ(d->chip, "chip7");
    EXPECT_EQ(parse_se_uri("emud:/s")->chip, "");

    auto i = parse_se_uri("i2c:/dev/i2c-1?addr=0x21");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->kind, SeKind::i2c);
    EXPECT_EQ(i->path, "/dev/i2c-1");
    EXPECT_EQ(i->address, 0x21);
    EXPECT_EQ(parse_se_uri("i2c:/dev/i2c-3")->address, 0x20);
    EXPECT_EQ(parse_se_uri("i2c:/dev/i2c-3?addr=32")->address, 32);
}

TEST(SeUri, Rejections) {
    for (const char* bad : {"", "emu:", "emud:", "emud:/s#", "i2c:", "tcp://127.0.0.1:1", "EMU:/x",
                            "i2c:/dev/i2c-1?addr=0x78", "i2c:/dev/i2c-1?addr=0x07", "i2c:/dev/i2c-1?addr=",
                            "i2c:/dev/i2c-1?addr=0x2g", "i2c:/dev/i2c-1?speed=400"}) {
        EXPECT_EQ(parse_se_uri(bad).status().code(), Errc::invalid_argument) << bad;
    }
}

TEST(SeUri, OpeningMissingThingsFailsCleanly) {
    EXPECT_EQ(open_se(*parse_se_uri("emu:/nonexistent/sebind")).status().code(), Errc::does_not_exist);
    EXPECT_EQ(open_se(*parse_se_uri("emud:/nonexistent/sebind.sock")).status().code(), Errc::communication_failure);
    EXPECT_EQ(open_se(*parse_se_uri("i2c:/nonexistent/i2c-9")).status().code(), Errc::does_not_exist);
}

TEST(SystemClock, DelayWaitsAtLeastThatLong) {
    SystemClock clock;
    const auto start = clock.now_ms();
    clock.delay_ms(5);
    EXPECT_GE(elapsed_ms(start, clock.now_ms()), 5u);
}
