// SPDX-License-Identifier: Apache-2.0
// SeqStore: numbers never repeat across a crash at any point, a clean stop leaves no gap, and a
// damaged or unwritable file is reported.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "scratch_dir.hpp"
#include "sebind/agent/seq_store.hpp"

using namespace sebind;
using namespace sebind::agent;

namespace {

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST(SeqStore, StartsAtOneAndACleanStopLeavesNoGap) {
    test::ScratchDir d;
    {
        auto s = SeqStore::open(d.path());
        ASSERT_TRUE(s);
        EXPECT_EQ(s->next(), 1u);
        EXPECT_EQ(s->next(), 2u);
        EXPECT_EQ(file_text(d.file("agent.seq")), "1001\n");  // the reservation, written before use
        ASSERT_TRUE(s->close().ok());
    }
    EXPECT_EQ(file_text(d.file("agent.seq")), "3\n");
    auto again = SeqStore::open(d.path());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->next(), 3u);
}

TEST(SeqStore, NoNumberRepeatsWhateverTheMomentOfACrash) {
    test::ScratchDir d;
    std::uint64_t highest = 0;
    // Each "run" takes a different number of readings and ends without close() (SIGKILL), so
    // the crash falls before, on and after reservation boundaries (block of 3).
    for (int run = 0; run < 12; ++run) {
        auto s = SeqStore::open(d.path(), 3);
        ASSERT_TRUE(s);
        for (int i = 0; i < run; ++i) {
            Status reserved;
            const std::uint64_t n = s->next(&reserved);
            ASSERT_TRUE(reserved.ok());
            EXPECT_GT(n, highest) << "seq " << n << " in run " << run << " is not above every earlier one";
            highest = n;
        }
    }
    EXPECT_GE(highest, 66u);  // 0 + 1 + ... + 11 numbers were taken
}

TEST(SeqStore, ReservationIsRenewedWhenUsedUp) {
    test::ScratchDir d;
    auto s = SeqStore::open(d.path(), 2);
    ASSERT_TRUE(s);
    EXPECT_EQ(file_text(d.file("agent.seq")), "3\n");
    EXPECT_EQ(s->next(), 1u);
    EXPECT_EQ(s->next(), 2u);
    EXPECT_EQ(s->next(), 3u);  // needed a new block first
    EXPECT_EQ(file_text(d.file("agent.seq")), "5\n");
    EXPECT_EQ(s->peek(), 4u);
}

TEST(SeqStore, ANumberThatWouldWrapIsRefusedNotWrapped) {
    test::ScratchDir d;
    d.put("agent.seq", "18446744073709551615\n");  // 2^64 - 1: the next one would be 0
    auto max = SeqStore::open(d.path());
    ASSERT_FALSE(max);
    EXPECT_EQ(max.status().code(), Errc::out_of_range);
    EXPECT_EQ(file_text(d.file("agent.seq")), "18446744073709551615\n") << "left as found";
    d.put("agent.seq", std::to_string(SeqStore::kMax - 999) + "\n");  // the block of 1000 would pass kMax
    EXPECT_EQ(SeqStore::open(d.path()).status().code(), Errc::out_of_range);
    d.put("agent.seq", std::to_string(SeqStore::kMax - 1000) + "\n");  // the last block that fits
    auto last = SeqStore::open(d.path());
    ASSERT_TRUE(last);
    EXPECT_EQ(last->next(), SeqStore::kMax - 1000);
}

TEST(SeqStore, DamagedOrUnwritableFileIsReported) {
    test::ScratchDir d;
    d.put("agent.seq", "twelve\n");
    auto bad = SeqStore::open(d.path());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.status().code(), Errc::corrupted_data);
    d.put("agent.seq", "0\n");
    EXPECT_EQ(SeqStore::open(d.path()).status().code(), Errc::corrupted_data);
    auto nowhere = SeqStore::open(d.file("no/such/dir"));
    ASSERT_FALSE(nowhere);
    EXPECT_EQ(nowhere.status().code(), Errc::storage_failure);
}
