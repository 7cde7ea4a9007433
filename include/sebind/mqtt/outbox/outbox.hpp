// SPDX-License-Identifier: Apache-2.0
// Outbox: the persistent MessageStore. A QoS 1/2 message accepted by Session::publish() is in
// an append-only, checksummed record log before publish() returns, and stays there until its
// PUBACK/PUBCOMP, across SIGKILL, power cuts and broker restarts. See docs/mqtt.md.
//
//     auto storage = PosixFileStorage::open("/var/lib/sebind/outbox");
//     Outbox outbox(**storage, clock, {});
//     if (auto st = outbox.open(); !st.ok()) fail(st);     // recovers what was stored
//     Session session(cfg, clock, outbox, handler, rx, tx);
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "sebind/core/clock.hpp"
#include "sebind/mqtt/outbox/storage.hpp"
#include "sebind/mqtt/session/message_store.hpp"

namespace sebind::mqtt {

enum class SyncPolicy : std::uint8_t {
    /// sync() after every enqueue and release record, before the call returns: a message
    /// accepted by publish() survives a power cut. Acknowledgement records ride on the next sync
    /// (losing one only causes a resend, which QoS 1 allows and QoS 2 deduplicates).
    every_record,
    /// sync() once `batch_records` records are unsynced or `batch_interval_ms` passed since the
    /// first of them (checked on each write and on tick()). SIGKILL loses nothing (the data is
    /// in the OS page cache); a power cut may lose the messages of the last batch window.
    batch,
};

struct OutboxConfig {
    std::size_t max_messages = 10'000;             ///< stored messages (1..65,000: packet ids are reserved per message)
    std::uint64_t max_bytes = 16u << 20;           ///< record bytes of stored messages
    std::uint32_t max_message_bytes = 256u << 10;  ///< topic + payload of one message
    SyncPolicy sync = SyncPolicy::every_record;
    std::uint32_t batch_records = 64;
    std::uint32_t batch_interval_ms = 100;
    /// Compact when acknowledged records outweigh live ones (more than half the log) and take
    /// at least this many bytes. Independent of this, a record that finds no room (disk full,
    /// file-size limit) is written again after a compaction before it is refused.
    std::uint64_t compact_min_bytes = 4u << 10;
};

/// What open() found.
struct RecoveryReport {
    std::size_t messages = 0;           ///< stored messages recovered (not yet acknowledged)
    std::size_t released = 0;           ///< of which QoS 2 messages waiting for PUBCOMP
    std::size_t records = 0;            ///< valid records read
    std::uint64_t discarded_bytes = 0;  ///< torn or corrupt tail removed
    bool torn_tail = false;             ///< the log ended inside a record (crash during a write)
    bool corrupt_record = false;        ///< a complete record failed its length or CRC check
};

class Outbox final : public MessageStore {
public:
    /// `storage` and `clock` must outlive the outbox.
    Outbox(OutboxStorage& storage, Clock& clock, const OutboxConfig& config = {}) noexcept;

    /// Reads the log: keeps every record up to the first torn or corrupt one, cuts the log there,
    /// and compacts when worthwhile. Errors: corrupted_data (not an outbox log, or its header is
    /// damaged: nothing is changed), storage_failure.
    Status open() noexcept;
    const RecoveryReport& recovery() const noexcept { return m_report; }

    Result<std::uint64_t> enqueue(std::uint16_t packet_id, QoS qos, bool retain, std::string_view topic,
                                  Bytes payload) noexcept override;
    Status release(std::uint64_t seq) noexcept override;
    Status acknowledge(std::uint64_t seq) noexcept override;
    bool next(std::uint64_t after, StoreEntry& out) const noexcept override;
    bool find(std::uint16_t packet_id, StoreEntry& out) const noexcept override;
    Status load(std::uint64_t seq, StoredMessage& out) noexcept override;
    std::size_t size() const noexcept override { return m_entries.size(); }
    Status tick() noexcept override;

    /// Syncs whatever is not yet durable (batch policy; before shutdown).
    Status flush() noexcept;
    /// Rewrites the log with only the live records (normally automatic).
    Status compact() noexcept;

    std::uint64_t log_bytes() const noexcept { return m_end; }
    std::uint64_t live_bytes() const noexcept { return m_live_bytes; }
    /// True after a failed append could not be undone: writes are refused until reopened.
    bool broken() const noexcept { return m_broken; }

private:
    struct Entry {
        StoreEntry info;
        std::uint64_t offset = 0;       // of the enqueue record
        std::uint32_t record_size = 0;  // enqueue record, header included
    };
    Status append_record(Bytes record, bool durable) noexcept;
    /// append_record, and when it fails for room: compact, then try once more.
    Status append_or_compact(Bytes record, bool durable) noexcept;
    /// Bytes of the log held by acknowledged (or superseded) records.
    std::uint64_t dead_bytes() const noexcept;
    Status maybe_sync(bool force) noexcept;
    Status replay(Bytes payload, std::uint64_t offset, std::uint32_t record_size, bool& ok) noexcept;
    Status recover() noexcept;
    void maybe_compact() noexcept;
    std::deque<Entry>::iterator locate(std::uint64_t seq) noexcept;
    std::deque<Entry>::const_iterator locate(std::uint64_t seq) const noexcept;

    OutboxStorage& m_storage;
    Clock& m_clock;
    OutboxConfig m_config;
    std::deque<Entry> m_entries;       // live messages in seq order
    std::vector<std::uint8_t> m_buf;   // record scratch (encode, load)
    std::vector<std::uint8_t> m_copy;  // compaction's record scratch
    std::uint64_t m_buf_seq = 0;       // seq of the enqueue record m_buf holds (0 = none)
    std::uint64_t m_next_seq = 1;
    std::uint64_t m_end = 0;         // end of the valid log
    std::uint64_t m_live_bytes = 0;  // enqueue + release records of live messages
    std::uint32_t m_unsynced = 0;
    std::uint32_t m_unsynced_since_ms = 0;
    bool m_open = false;
    bool m_broken = false;
    RecoveryReport m_report;
};

/// A RAM-only MessageStore with the same limits (max messages / bytes): QoS 1/2 survive
/// reconnects and broker restarts, not a restart of the process. For tests and devices
/// without storage.
class MemoryStore final : public MessageStore {
public:
    explicit MemoryStore(std::size_t max_messages = 1000, std::uint64_t max_bytes = 1u << 20) noexcept
        : m_max_messages(max_messages), m_max_bytes(max_bytes) {}
    Result<std::uint64_t> enqueue(std::uint16_t packet_id, QoS qos, bool retain, std::string_view topic,
                                  Bytes payload) noexcept override;
    Status release(std::uint64_t seq) noexcept override;
    Status acknowledge(std::uint64_t seq) noexcept override;
    bool next(std::uint64_t after, StoreEntry& out) const noexcept override;
    bool find(std::uint16_t packet_id, StoreEntry& out) const noexcept override;
    Status load(std::uint64_t seq, StoredMessage& out) noexcept override;
    std::size_t size() const noexcept override { return m_items.size(); }

private:
    struct Item {
        StoreEntry info;
        std::vector<std::uint8_t> data;  // topic then payload
        std::size_t topic_size = 0;
    };
    std::deque<Item> m_items;
    std::size_t m_max_messages;
    std::uint64_t m_max_bytes;
    std::uint64_t m_bytes = 0;
    std::uint64_t m_next_seq = 1;
};

}  // namespace sebind::mqtt
