// SPDX-License-Identifier: Apache-2.0
// Outbox: persistence across reopen, recovery from a log cut at every byte of its last record,
// corruption, compaction, back-pressure limits, the sync policy, and disk full through an
// injected storage that fails like ENOSPC after N bytes.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sebind/mqtt/outbox/crc32.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/mqtt/outbox/posix_storage.hpp"

using namespace sebind;
using namespace sebind::mqtt;

namespace {

Bytes text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

class TempDir {
public:
    TempDir() {
        static int n = 0;
        m_path = std::filesystem::temp_directory_path() /
                 ("sebind-outbox-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        std::filesystem::remove_all(m_path);
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }
    std::string str() const { return m_path.string(); }
    std::string log() const { return (m_path / "outbox.log").string(); }

private:
    std::filesystem::path m_path;
};

/// Decorator over real storage: counts syncs, and fails appends once `budget` bytes are used,
/// writing the part that still fits first, as a file system does when it runs out of space.
class FlakyStorage final : public OutboxStorage {
public:
    explicit FlakyStorage(OutboxStorage& inner) : m_inner(inner) {}
    Result<std::uint64_t> size() noexcept override { return m_inner.size(); }
    Status read(std::uint64_t o, MutableBytes out) noexcept override { return m_inner.read(o, out); }
    Status append(Bytes data) noexcept override {
        if (data.size() <= budget) {
            budget -= data.size();
            return m_inner.append(data);
        }
        (void)m_inner.append(data.first(budget));  // the partial write
        budget = 0;
        ++failures;
        return Status(Errc::storage_failure);
    }
    Status sync() noexcept override {
        ++syncs;
        return m_inner.sync();
    }
    Status truncate(std::uint64_t n) noexcept override { return m_inner.truncate(n); }
    Status begin_replace() noexcept override { return m_inner.begin_replace(); }
    Status append_replacement(Bytes d) noexcept override {
        if (d.size() > budget) return Status(Errc::storage_failure);
        budget -= d.size();
        return m_inner.append_replacement(d);
    }
    Status commit_replace() noexcept override { return m_inner.commit_replace(); }
    void abort_replace() noexcept override { m_inner.abort_replace(); }

    std::uint64_t budget = UINT64_MAX;
    int syncs = 0;
    int failures = 0;

private:
    OutboxStorage& m_inner;
};

struct Opened {
    std::unique_ptr<PosixFileStorage> storage;
    ManualClock clock;
    std::unique_ptr<Outbox> outbox;
};

std::unique_ptr<Opened> open_outbox(const TempDir& dir, OutboxConfig config = {}) {
    auto o = std::make_unique<Opened>();
    auto s = PosixFileStorage::open(dir.str());
    EXPECT_TRUE(s);
    o->storage = std::move(*s);
    o->outbox = std::make_unique<Outbox>(*o->storage, o->clock, config);
    EXPECT_TRUE(o->outbox->open().ok());
    return o;
}

std::vector<std::string> payloads(Outbox& box) {
    std::vector<std::string> out;
    StoreEntry e;
    std::uint64_t after = 0;
    while (box.next(after, e)) {
        StoredMessage m;
        EXPECT_TRUE(box.load(e.seq, m).ok());
        out.emplace_back(m.payload.begin(), m.payload.end());
        after = e.seq;
    }
    return out;
}

std::uintmax_t file_size(const std::string& p) { return std::filesystem::file_size(p); }

void cut(const std::string& p, std::uintmax_t n) { std::filesystem::resize_file(p, n); }

void flip_byte(const std::string& p, std::uintmax_t at) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(&c, 1);
}

}  // namespace

TEST(MqttCrc32, CheckValue) {
    EXPECT_EQ(crc32(text("123456789")), 0xCBF43926u);  // CRC-32/ISO-HDLC check value
    EXPECT_EQ(crc32(text("6789"), crc32(text("12345"))), 0xCBF43926u);
    EXPECT_EQ(crc32({}), 0u);
}

TEST(MqttOutbox, MessagesSurviveReopenWithTheirState) {
    TempDir dir;
    std::uint64_t seq_b = 0, seq_c = 0;
    {
        auto o = open_outbox(dir);
        ASSERT_TRUE(o->outbox->enqueue(1, QoS::at_least_once, false, "t/a", text("a")));
        auto b = o->outbox->enqueue(2, QoS::exactly_once, true, "t/b", text("b"));
        auto c = o->outbox->enqueue(3, QoS::exactly_once, false, "t/c", text(""));
        ASSERT_TRUE(o->outbox->enqueue(4, QoS::at_least_once, false, "t/d", text("d")));
        ASSERT_TRUE(b && c);
        seq_b = *b;
        seq_c = *c;
        ASSERT_TRUE(o->outbox->release(seq_b).ok());
        ASSERT_TRUE(o->outbox->acknowledge(1).ok());  // seq 1 = "a"
    }
    auto o = open_outbox(dir);
    const auto& r = o->outbox->recovery();
    EXPECT_EQ(r.messages, 3u);
    EXPECT_EQ(r.released, 1u);
    EXPECT_EQ(r.records, 6u);
    EXPECT_FALSE(r.torn_tail || r.corrupt_record);
    EXPECT_EQ(payloads(*o->outbox), (std::vector<std::string>{"b", "", "d"}));
    StoreEntry e;
    ASSERT_TRUE(o->outbox->find(2, e));
    EXPECT_EQ(e.seq, seq_b);
    EXPECT_TRUE(e.released);
    EXPECT_TRUE(e.retain);
    EXPECT_TRUE(e.recovered);
    EXPECT_EQ(e.qos, QoS::exactly_once);
    StoredMessage m;
    ASSERT_TRUE(o->outbox->load(seq_c, m).ok());
    EXPECT_EQ(m.topic, "t/c");
    EXPECT_TRUE(m.payload.empty());
    // Sequence numbers continue after the recovered ones.
    auto next = o->outbox->enqueue(5, QoS::at_least_once, false, "t/e", text("e"));
    ASSERT_TRUE(next);
    EXPECT_GT(*next, 4u);
}

TEST(MqttOutbox, TornLastRecordAtEveryByteOffsetKeepsAllCompleteRecords) {
    TempDir master;
    std::uintmax_t before_last = 0, full = 0;
    {
        auto o = open_outbox(master);
        for (int i = 0; i < 4; ++i)
            ASSERT_TRUE(o->outbox->enqueue(static_cast<std::uint16_t>(i + 1), QoS::at_least_once, false, "t",
                                           text("payload-" + std::to_string(i))));
        ASSERT_TRUE(o->outbox->acknowledge(2).ok());
        before_last = file_size(master.log());
        ASSERT_TRUE(o->outbox->enqueue(9, QoS::exactly_once, false, "devices/d/telemetry", text("the last one")));
        full = file_size(master.log());
    }
    std::ifstream in(master.log(), std::ios::binary);
    const std::vector<char> image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(image.size(), full);
    for (std::uintmax_t n = before_last; n < full; ++n) {
        TempDir dir;
        std::filesystem::create_directories(dir.str());
        {
            std::ofstream out(dir.log(), std::ios::binary);
            out.write(image.data(), static_cast<std::streamsize>(n));
        }
        auto o = open_outbox(dir);
        const auto& r = o->outbox->recovery();
        EXPECT_EQ(payloads(*o->outbox), (std::vector<std::string>{"payload-0", "payload-2", "payload-3"}))
            << "cut at " << n;
        EXPECT_EQ(r.torn_tail, n != before_last) << n;
        EXPECT_FALSE(r.corrupt_record) << n;
        EXPECT_EQ(r.discarded_bytes, n - before_last);
        EXPECT_EQ(file_size(dir.log()), before_last) << "the torn tail is cut off";
        // The log is writable again and the new record is found after the next reopen.
        ASSERT_TRUE(o->outbox->enqueue(10, QoS::at_least_once, false, "t", text("after")));
        o.reset();
        auto again = open_outbox(dir);
        EXPECT_EQ(payloads(*again->outbox), (std::vector<std::string>{"payload-0", "payload-2", "payload-3", "after"}));
    }
}

TEST(MqttOutbox, CorruptRecordEndsRecoveryThere) {
    TempDir dir;
    std::vector<std::uintmax_t> ends;
    {
        auto o = open_outbox(dir);
        for (int i = 0; i < 5; ++i) {
            ASSERT_TRUE(o->outbox->enqueue(static_cast<std::uint16_t>(i + 1), QoS::at_least_once, false, "t",
                                           text("m" + std::to_string(i))));
            ends.push_back(file_size(dir.log()));
        }
    }
    flip_byte(dir.log(), ends[2] - 1);  // last payload byte of the third record
    auto o = open_outbox(dir);
    EXPECT_TRUE(o->outbox->recovery().corrupt_record);
    EXPECT_EQ(payloads(*o->outbox), (std::vector<std::string>{"m0", "m1"}));
    EXPECT_EQ(o->outbox->recovery().discarded_bytes, ends[4] - ends[1]);
}

TEST(MqttOutbox, ForeignOrDamagedHeaderIsNotTouched) {
    TempDir dir;
    std::filesystem::create_directories(dir.str());
    {
        std::ofstream out(dir.log(), std::ios::binary);
        out << "this is somebody else's file, not an outbox";
    }
    const auto foreign_size = file_size(dir.log());
    auto s = PosixFileStorage::open(dir.str());
    ASSERT_TRUE(s);
    ManualClock clock;
    Outbox box(**s, clock, {});
    EXPECT_EQ(box.open().code(), Errc::corrupted_data);
    EXPECT_EQ(file_size(dir.log()), foreign_size);

    // A header cut short while the log was being created is a fresh log.
    TempDir fresh;
    { auto o = open_outbox(fresh); }
    cut(fresh.log(), 7);
    auto o = open_outbox(fresh);
    EXPECT_EQ(o->outbox->size(), 0u);
    EXPECT_EQ(file_size(fresh.log()), 16u);
}

TEST(MqttOutbox, CompactionKeepsLiveMessagesAndShrinksTheLog) {
    TempDir dir;
    OutboxConfig cfg;
    cfg.compact_min_bytes = 4096;
    std::uint64_t seq_kept_released = 0;
    {
        auto o = open_outbox(dir, cfg);
        std::uintmax_t largest = 0;
        for (std::uint16_t i = 1; i <= 1000; ++i) {
            auto s = o->outbox->enqueue(i, i % 2 ? QoS::at_least_once : QoS::exactly_once, false, "t",
                                        text("message " + std::to_string(i)));
            ASSERT_TRUE(s);
            if (i == 996) {
                seq_kept_released = *s;
                ASSERT_TRUE(o->outbox->release(*s).ok());
            }
            if (i > 5 && i <= 995) {
                ASSERT_TRUE(o->outbox->acknowledge(*s - 5).ok());  // ack a sliding window
            }
            largest = std::max<std::uintmax_t>(largest, file_size(dir.log()));
        }
        EXPECT_LT(file_size(dir.log()), largest);  // compaction happened along the way
        EXPECT_LT(o->outbox->log_bytes(), 2 * cfg.compact_min_bytes);
        EXPECT_EQ(o->outbox->size(), 10u);
    }
    auto o = open_outbox(dir, cfg);
    EXPECT_EQ(o->outbox->size(), 10u);
    std::vector<std::string> expected;
    for (int i = 991; i <= 1000; ++i) expected.push_back("message " + std::to_string(i));
    EXPECT_EQ(payloads(*o->outbox), expected);
    StoreEntry e;
    ASSERT_TRUE(o->outbox->find(996, e));
    EXPECT_EQ(e.seq, seq_kept_released);
    EXPECT_TRUE(e.released);
    EXPECT_FALSE(std::filesystem::exists(dir.log() + ".new"));
}

TEST(MqttOutbox, FullOutboxRefusesWithBusyAndTooLargeWithOutOfRange) {
    TempDir dir;
    OutboxConfig cfg;
    cfg.max_messages = 3;
    cfg.max_bytes = 1 << 20;
    cfg.max_message_bytes = 100;
    auto o = open_outbox(dir, cfg);
    for (std::uint16_t i = 1; i <= 3; ++i)
        ASSERT_TRUE(o->outbox->enqueue(i, QoS::at_least_once, false, "t", text("x")));
    EXPECT_EQ(o->outbox->enqueue(4, QoS::at_least_once, false, "t", text("x")).status().code(), Errc::busy);
    ASSERT_TRUE(o->outbox->acknowledge(1).ok());
    EXPECT_TRUE(o->outbox->enqueue(4, QoS::at_least_once, false, "t", text("x")));
    EXPECT_EQ(o->outbox->enqueue(5, QoS::at_least_once, false, "t", text(std::string(100, 'x'))).status().code(),
              Errc::out_of_range);

    TempDir dir2;
    OutboxConfig bytes_cfg;
    bytes_cfg.max_bytes = 200;  // two records of ~100 bytes
    auto b = open_outbox(dir2, bytes_cfg);
    ASSERT_TRUE(b->outbox->enqueue(1, QoS::at_least_once, false, "t", text(std::string(70, 'a'))));
    ASSERT_TRUE(b->outbox->enqueue(2, QoS::at_least_once, false, "t", text(std::string(70, 'b'))));
    EXPECT_EQ(b->outbox->enqueue(3, QoS::at_least_once, false, "t", text(std::string(70, 'c'))).status().code(),
              Errc::busy);
}

TEST(MqttOutbox, SyncPolicyEveryRecordAndBatch) {
    TempDir dir;
    auto s = PosixFileStorage::open(dir.str());
    ASSERT_TRUE(s);
    FlakyStorage counting(**s);
    ManualClock clock;
    {
        Outbox box(counting, clock, {});
        ASSERT_TRUE(box.open().ok());
        const int at_open = counting.syncs;
        ASSERT_TRUE(box.enqueue(1, QoS::at_least_once, false, "t", text("a")));
        EXPECT_EQ(counting.syncs, at_open + 1);  // durable before enqueue returns
        ASSERT_TRUE(box.acknowledge(1).ok());
        EXPECT_EQ(counting.syncs, at_open + 1);  // acknowledgements ride on a later sync
        clock.advance(100);
        ASSERT_TRUE(box.tick().ok());
        EXPECT_EQ(counting.syncs, at_open + 2);  // ...bounded by batch_interval_ms
    }
    OutboxConfig batch;
    batch.sync = SyncPolicy::batch;
    batch.batch_records = 4;
    batch.batch_interval_ms = 50;
    Outbox box(counting, clock, batch);
    ASSERT_TRUE(box.open().ok());
    const int at_open = counting.syncs;
    for (std::uint16_t i = 1; i <= 3; ++i) ASSERT_TRUE(box.enqueue(i, QoS::at_least_once, false, "t", text("b")));
    EXPECT_EQ(counting.syncs, at_open);
    ASSERT_TRUE(box.enqueue(4, QoS::at_least_once, false, "t", text("b")));
    EXPECT_EQ(counting.syncs, at_open + 1);  // the fourth record completes a batch
    ASSERT_TRUE(box.enqueue(5, QoS::at_least_once, false, "t", text("b")));
    clock.advance(49);
    ASSERT_TRUE(box.tick().ok());
    EXPECT_EQ(counting.syncs, at_open + 1);
    clock.advance(1);
    ASSERT_TRUE(box.tick().ok());
    EXPECT_EQ(counting.syncs, at_open + 2);  // the time limit of a batch
}

TEST(MqttOutbox, DiskFullRefusesNewMessagesAndCorruptsNothing) {
    TempDir dir;
    auto s = PosixFileStorage::open(dir.str());
    ASSERT_TRUE(s);
    FlakyStorage flaky(**s);
    ManualClock clock;
    {
        Outbox box(flaky, clock, {});
        ASSERT_TRUE(box.open().ok());
        for (std::uint16_t i = 1; i <= 3; ++i)
            ASSERT_TRUE(box.enqueue(i, QoS::at_least_once, false, "t", text("kept-" + std::to_string(i))));
        const auto size_before = file_size(dir.log());
        flaky.budget = 10;  // the next record only partly fits
        EXPECT_EQ(box.enqueue(4, QoS::at_least_once, false, "t", text("lost")).status().code(), Errc::storage_failure);
        EXPECT_EQ(flaky.failures, 1);
        EXPECT_EQ(file_size(dir.log()), size_before);  // the partial record was cut off
        EXPECT_EQ(box.size(), 3u);
        EXPECT_FALSE(box.broken());
        EXPECT_EQ(box.enqueue(5, QoS::at_least_once, false, "t", text("also refused")).status().code(),
                  Errc::storage_failure);
        // Space comes back: publishing works again.
        flaky.budget = UINT64_MAX;
        ASSERT_TRUE(box.enqueue(6, QoS::at_least_once, false, "t", text("kept-6")));
    }
    ManualClock c2;
    auto s2 = PosixFileStorage::open(dir.str());
    Outbox again(**s2, c2, {});
    ASSERT_TRUE(again.open().ok());
    EXPECT_FALSE(again.recovery().torn_tail || again.recovery().corrupt_record);
    EXPECT_EQ(payloads(again), (std::vector<std::string>{"kept-1", "kept-2", "kept-3", "kept-6"}));
}

TEST(MqttMemoryStore, SameContractWithoutPersistence) {
    MemoryStore store(2, 100);
    auto a = store.enqueue(1, QoS::at_least_once, false, "t", text("a"));
    auto b = store.enqueue(2, QoS::exactly_once, false, "t", text("b"));
    ASSERT_TRUE(a && b);
    EXPECT_EQ(store.enqueue(3, QoS::at_least_once, false, "t", text("c")).status().code(), Errc::busy);
    ASSERT_TRUE(store.release(*b).ok());
    StoreEntry e;
    ASSERT_TRUE(store.next(*a, e));
    EXPECT_TRUE(e.released);
    ASSERT_TRUE(store.acknowledge(*a).ok());
    EXPECT_EQ(store.acknowledge(*a).code(), Errc::does_not_exist);
    StoredMessage m;
    ASSERT_TRUE(store.load(*b, m).ok());
    EXPECT_EQ(m.topic, "t");
    EXPECT_EQ(std::string(m.payload.begin(), m.payload.end()), "b");
}
