// SPDX-License-Identifier: Apache-2.0
// Outbox: appending enqueued / released / acknowledged records, the sync policy, back-pressure
// and reading stored messages back. Recovery and compaction are in outbox_recovery.cpp.
#include "sebind/mqtt/outbox/outbox.hpp"

#include <algorithm>
#include <cstring>

#include "outbox_format.hpp"
#include "sebind/core/contract.hpp"
#include "sebind/core/log.hpp"

namespace sebind::mqtt {

namespace fmt = outbox_format;

Outbox::Outbox(OutboxStorage& storage, Clock& clock, const OutboxConfig& config) noexcept
    : m_storage(storage), m_clock(clock), m_config(config) {
    // Every stored message holds a packet id until acknowledged; leave ids for (un)subscribes.
    SEBIND_EXPECTS(config.max_messages >= 1 && config.max_messages <= 65'000);
}

std::deque<Outbox::Entry>::iterator Outbox::locate(std::uint64_t seq) noexcept {
    auto it = std::lower_bound(m_entries.begin(), m_entries.end(), seq,
                               [](const Entry& e, std::uint64_t s) { return e.info.seq < s; });
    return (it != m_entries.end() && it->info.seq == seq) ? it : m_entries.end();
}

std::deque<Outbox::Entry>::const_iterator Outbox::locate(std::uint64_t seq) const noexcept {
    auto it = std::lower_bound(m_entries.begin(), m_entries.end(), seq,
                               [](const Entry& e, std::uint64_t s) { return e.info.seq < s; });
    return (it != m_entries.end() && it->info.seq == seq) ? it : m_entries.end();
}

Status Outbox::append_record(Bytes record, bool durable) noexcept {
    if (m_broken) return Status(Errc::storage_failure);
    const std::uint64_t start = m_end;
    Status st = m_storage.append(record);
    if (st.ok()) {
        m_end += record.size();
        if (m_unsynced++ == 0) m_unsynced_since_ms = m_clock.now_ms();
        st = maybe_sync(durable);
        if (st.ok()) return st;
        // A failed fsync may have dropped the data (Linux forgets the dirty pages): do not
        // pretend the record is there.
        m_end = start;
    }
    // Disk full or I/O error: cut the partial record off so later appends follow valid data.
    // If even that fails, refuse all writes: appending after garbage would hide them from recovery.
    if (!m_storage.truncate(start).ok()) {
        m_broken = true;
        log(LogLevel::error, "mqtt outbox: cannot undo a failed write; refusing writes until reopened");
    }
    return Status(Errc::storage_failure);
}

Status Outbox::append_or_compact(Bytes record, bool durable) noexcept {
    const Status st = append_record(record, durable);
    if (st.ok() || m_broken || dead_bytes() == 0) return st;
    // Out of room (disk full, file-size limit): the acknowledged records may be what fills it.
    // Compaction writes only the live ones (into its own buffer: `record` may be m_buf).
    if (const Status c = compact(); !c.ok()) {
        log(LogLevel::warning, "mqtt outbox: no room, and compaction failed too (%s)", sebind::to_string(c.code()));
        return st;
    }
    return append_record(record, durable);
}

Status Outbox::maybe_sync(bool force) noexcept {
    if (m_unsynced == 0) return Status::success();
    const bool due = force || (m_config.sync == SyncPolicy::batch &&
                               (m_unsynced >= m_config.batch_records ||
                                elapsed_ms(m_unsynced_since_ms, m_clock.now_ms()) >= m_config.batch_interval_ms));
    if (!due) return Status::success();
    SEBIND_TRY(m_storage.sync());
    m_unsynced = 0;
    return Status::success();
}

Status Outbox::flush() noexcept { return maybe_sync(true); }

Status Outbox::tick() noexcept {
    // Also bounds how long acknowledgement records stay unsynced under every_record.
    if (m_unsynced != 0 && elapsed_ms(m_unsynced_since_ms, m_clock.now_ms()) >= m_config.batch_interval_ms)
        return maybe_sync(true);
    return Status::success();
}

Result<std::uint64_t> Outbox::enqueue(std::uint16_t packet_id, QoS qos, bool retain, std::string_view topic,
                                      Bytes payload) noexcept {
    SEBIND_EXPECTS(m_open);
    if (packet_id == 0 || qos == QoS::at_most_once || static_cast<unsigned>(qos) > 2)
        return Status(Errc::invalid_argument);
    if (topic.size() > 65535 || topic.size() + payload.size() > m_config.max_message_bytes)
        return Status(Errc::out_of_range);
    if (m_broken) return Status(Errc::storage_failure);
    const std::size_t body = fmt::kEnqueueFixed + topic.size() + payload.size();
    const std::uint32_t record_size = static_cast<std::uint32_t>(fmt::kRecordHeader + body);
    // Back-pressure: a full outbox says "busy" and stores nothing.
    if (m_entries.size() >= m_config.max_messages || m_live_bytes + record_size > m_config.max_bytes)
        return Status(Errc::busy);

    m_buf.resize(record_size);
    std::uint8_t* p = m_buf.data() + fmt::kRecordHeader;
    const std::uint64_t seq = m_next_seq;
    p[0] = static_cast<std::uint8_t>(fmt::RecordType::enqueued);
    store_be32(p + 1, static_cast<std::uint32_t>(seq >> 32));
    store_be32(p + 5, static_cast<std::uint32_t>(seq));
    store_be16(p + 9, packet_id);
    p[11] = static_cast<std::uint8_t>(qos);
    p[12] = retain ? 1 : 0;
    store_be16(p + 13, static_cast<std::uint16_t>(topic.size()));
    if (!topic.empty()) std::memcpy(p + fmt::kEnqueueFixed, topic.data(), topic.size());
    if (!payload.empty()) std::memcpy(p + fmt::kEnqueueFixed + topic.size(), payload.data(), payload.size());
    fmt::seal_record(m_buf.data(), static_cast<std::uint32_t>(body));

    if (const Status st = append_or_compact(m_buf, m_config.sync == SyncPolicy::every_record); !st.ok()) {
        m_buf_seq = 0;
        return st;
    }
    const std::uint64_t offset = m_end - record_size;  // after a compaction the log is shorter
    m_buf_seq = seq;  // the session usually sends it right away: load() can skip the read
    m_entries.push_back(Entry{StoreEntry{seq, packet_id, qos, retain, false, false}, offset, record_size});
    m_live_bytes += record_size;
    ++m_next_seq;
    return seq;
}

Status Outbox::release(std::uint64_t seq) noexcept {
    SEBIND_EXPECTS(m_open);
    auto it = locate(seq);
    if (it == m_entries.end()) return Status(Errc::does_not_exist);
    if (it->info.released) return Status::success();
    // Memory follows the protocol even if the disk fails: PUBREL, not PUBLISH, is what to resend.
    it->info.released = true;
    m_live_bytes += fmt::kMarkRecordSize;
    std::uint8_t rec[fmt::kMarkRecordSize];
    fmt::make_mark(rec, fmt::RecordType::released, seq);
    return append_or_compact(Bytes(rec, sizeof rec), m_config.sync == SyncPolicy::every_record);
}

Status Outbox::acknowledge(std::uint64_t seq) noexcept {
    SEBIND_EXPECTS(m_open);
    auto it = locate(seq);
    if (it == m_entries.end()) return Status(Errc::does_not_exist);
    m_live_bytes -= it->record_size + (it->info.released ? fmt::kMarkRecordSize : 0);
    m_entries.erase(it);
    if (m_buf_seq == seq) m_buf_seq = 0;
    std::uint8_t rec[fmt::kMarkRecordSize];
    fmt::make_mark(rec, fmt::RecordType::acknowledged, seq);
    // Not synced on its own: losing it after a power cut means one resend, which QoS 1 allows
    // and which a broker deduplicates for QoS 2 (PUBREL of an unknown id is answered).
    const Status st = append_or_compact(Bytes(rec, sizeof rec), false);
    maybe_compact();
    return st;
}

bool Outbox::next(std::uint64_t after, StoreEntry& out) const noexcept {
    auto it = std::upper_bound(m_entries.begin(), m_entries.end(), after,
                               [](std::uint64_t s, const Entry& e) { return s < e.info.seq; });
    if (it == m_entries.end()) return false;
    out = it->info;
    return true;
}

bool Outbox::find(std::uint16_t packet_id, StoreEntry& out) const noexcept {
    // Acknowledgements concern the oldest messages (the in-flight window is the front).
    for (const Entry& e : m_entries) {
        if (e.info.packet_id == packet_id) {
            out = e.info;
            return true;
        }
    }
    return false;
}

Status Outbox::load(std::uint64_t seq, StoredMessage& out) noexcept {
    SEBIND_EXPECTS(m_open);
    auto it = locate(seq);
    if (it == m_entries.end()) return Status(Errc::does_not_exist);
    if (m_buf_seq != seq) {
        m_buf_seq = 0;
        m_buf.resize(it->record_size);
        if (!m_storage.read(it->offset, m_buf).ok()) return Status(Errc::storage_failure);
        // Checked again: the medium may have changed since recovery (bit rot, another writer).
        const std::uint8_t* p = m_buf.data();
        const std::uint32_t body = load_be32(p);
        if (body + fmt::kRecordHeader != it->record_size ||
            load_be32(p + 4) != fmt::record_crc(p, Bytes(p + fmt::kRecordHeader, body)) ||
            p[fmt::kRecordHeader] != static_cast<std::uint8_t>(fmt::RecordType::enqueued) ||
            fmt::load_be64(p + fmt::kRecordHeader + 1) != seq)
            return Status(Errc::corrupted_data);
        m_buf_seq = seq;
    }
    const std::uint8_t* body = m_buf.data() + fmt::kRecordHeader;
    const std::size_t topic_size = load_be16(body + 13);
    out.entry = it->info;
    out.topic = std::string_view(reinterpret_cast<const char*>(body + fmt::kEnqueueFixed), topic_size);
    out.payload = Bytes(body + fmt::kEnqueueFixed + topic_size,
                        it->record_size - fmt::kRecordHeader - fmt::kEnqueueFixed - topic_size);
    return Status::success();
}

}  // namespace sebind::mqtt
