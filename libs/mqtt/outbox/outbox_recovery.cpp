// SPDX-License-Identifier: Apache-2.0
// Outbox: recovery at open (replay every record up to the first torn or corrupt one, cut the
// rest) and compaction (write the live records to a new log, swap it in atomically).
#include <algorithm>
#include <cstring>

#include "outbox_format.hpp"
#include "sebind/core/log.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"

namespace sebind::mqtt {

namespace fmt = outbox_format;

Status Outbox::open() noexcept {
    SEBIND_EXPECTS(!m_open);
    m_entries.clear();
    m_report = RecoveryReport{};
    m_live_bytes = 0;
    m_next_seq = 1;
    m_unsynced = 0;
    m_buf_seq = 0;
    m_broken = false;
    SEBIND_TRY(recover());
    m_open = true;
    maybe_compact();
    return Status::success();
}

Status Outbox::replay(Bytes body, std::uint64_t offset, std::uint32_t record_size, bool& ok) noexcept {
    ok = false;
    if (body.empty()) return Status::success();
    const auto type = static_cast<fmt::RecordType>(body[0]);
    if (type == fmt::RecordType::enqueued) {
        if (body.size() < fmt::kEnqueueFixed) return Status::success();
        const std::uint64_t seq = fmt::load_be64(body.data() + 1);
        const std::uint16_t packet_id = load_be16(body.data() + 9);
        const std::uint8_t qos = body[11];
        const std::size_t topic_size = load_be16(body.data() + 13);
        // A record that passed its CRC but makes no sense is treated like a corrupt one.
        if (seq < m_next_seq || packet_id == 0 || qos < 1 || qos > 2 || body[12] > 1 ||
            topic_size > body.size() - fmt::kEnqueueFixed)
            return Status::success();
        m_entries.push_back(
            Entry{StoreEntry{seq, packet_id, static_cast<QoS>(qos), body[12] == 1, false, true}, offset, record_size});
        m_live_bytes += record_size;
        m_next_seq = seq + 1;
        ok = true;
        return Status::success();
    }
    if (type != fmt::RecordType::released && type != fmt::RecordType::acknowledged) return Status::success();
    if (body.size() != fmt::kMarkBody) return Status::success();
    ok = true;
    // A mark for a message no longer present is harmless (replayed twice after a compaction
    // crash would be impossible, but a no-op is the safe reading).
    auto it = locate(fmt::load_be64(body.data() + 1));
    if (it == m_entries.end()) return Status::success();
    if (type == fmt::RecordType::released) {
        if (!it->info.released && it->info.qos == QoS::exactly_once) {
            it->info.released = true;
            m_live_bytes += fmt::kMarkRecordSize;
        }
    } else {
        m_live_bytes -= it->record_size + (it->info.released ? fmt::kMarkRecordSize : 0);
        m_entries.erase(it);
    }
    return Status::success();
}

Status Outbox::recover() noexcept {
    auto size_r = m_storage.size();
    if (!size_r) return size_r.status();
    const std::uint64_t size = *size_r;
    std::uint8_t header[fmt::kHeaderSize];
    fmt::make_header(header);
    if (size < fmt::kHeaderSize) {
        // Empty, or created and cut short while writing the header: start a new log, but never
        // overwrite a short file that is not the beginning of ours.
        std::uint8_t existing[fmt::kHeaderSize] = {};
        if (size != 0) {
            SEBIND_TRY(m_storage.read(0, MutableBytes(existing, static_cast<std::size_t>(size))));
            if (std::memcmp(existing, header, static_cast<std::size_t>(size)) != 0) return Status(Errc::corrupted_data);
            SEBIND_TRY(m_storage.truncate(0));
        }
        SEBIND_TRY(m_storage.append(Bytes(header, sizeof header)));
        SEBIND_TRY(m_storage.sync());
        m_end = fmt::kHeaderSize;
        return Status::success();
    }
    std::uint8_t existing[fmt::kHeaderSize];
    SEBIND_TRY(m_storage.read(0, existing));
    if (std::memcmp(existing, header, sizeof header) != 0) return Status(Errc::corrupted_data);

    std::uint64_t pos = fmt::kHeaderSize;
    while (pos < size) {
        if (size - pos < fmt::kRecordHeader) {
            m_report.torn_tail = true;
            break;
        }
        std::uint8_t rh[fmt::kRecordHeader];
        SEBIND_TRY(m_storage.read(pos, rh));
        const std::uint32_t body_size = load_be32(rh);
        if (body_size == 0 || body_size > fmt::kMaxBody) {
            m_report.corrupt_record = true;
            break;
        }
        if (size - pos - fmt::kRecordHeader < body_size) {
            m_report.torn_tail = true;  // the last write was cut short
            break;
        }
        m_buf.resize(body_size);
        SEBIND_TRY(m_storage.read(pos + fmt::kRecordHeader, m_buf));
        if (load_be32(rh + 4) != fmt::record_crc(rh, m_buf)) {
            m_report.corrupt_record = true;
            break;
        }
        bool ok = false;
        const std::uint32_t record_size = static_cast<std::uint32_t>(fmt::kRecordHeader + body_size);
        SEBIND_TRY(replay(m_buf, pos, record_size, ok));
        if (!ok) {
            m_report.corrupt_record = true;
            break;
        }
        ++m_report.records;
        pos += record_size;
    }
    if (pos < size) {
        // Everything after the first bad record goes: later records cannot be trusted to follow
        // a valid one, and new appends must follow valid data.
        m_report.discarded_bytes = size - pos;
        log(LogLevel::warning, "mqtt outbox: %llu bytes of %s tail discarded at offset %llu",
            static_cast<unsigned long long>(size - pos), m_report.torn_tail ? "torn" : "corrupt",
            static_cast<unsigned long long>(pos));
        SEBIND_TRY(m_storage.truncate(pos));
        SEBIND_TRY(m_storage.sync());
    }
    m_end = pos;
    m_report.messages = m_entries.size();
    m_report.released = static_cast<std::size_t>(
        std::count_if(m_entries.begin(), m_entries.end(), [](const Entry& e) { return e.info.released; }));
    return Status::success();
}

std::uint64_t Outbox::dead_bytes() const noexcept {
    const std::uint64_t used = m_end > fmt::kHeaderSize ? m_end - fmt::kHeaderSize : 0;
    return used > m_live_bytes ? used - m_live_bytes : 0;
}

void Outbox::maybe_compact() noexcept {
    // When acknowledged records are more than half the log (so each rewrite at least halves it)
    // and at least compact_min_bytes (so a nearly empty queue is not rewritten at every
    // acknowledgement). Whatever the log's size: a small disk fills long before any fixed size,
    // and append_or_compact compacts anyway before refusing a record for lack of room.
    const std::uint64_t dead = dead_bytes();
    if (m_broken || dead < m_config.compact_min_bytes || dead <= m_live_bytes) return;
    if (const Status st = compact(); !st.ok())
        log(LogLevel::warning, "mqtt outbox: compaction failed (%s); the log keeps growing",
            sebind::to_string(st.code()));
}

Status Outbox::compact() noexcept {
    SEBIND_EXPECTS(m_open);
    if (m_broken) return Status(Errc::storage_failure);
    SEBIND_TRY(m_storage.begin_replace());
    auto write_all = [&]() -> Status {
        std::uint8_t header[fmt::kHeaderSize];
        fmt::make_header(header);
        SEBIND_TRY(m_storage.append_replacement(Bytes(header, sizeof header)));
        for (const Entry& e : m_entries) {
            // Copied as they are (same seq, packet id, CRC), after checking them once more so
            // that a damaged record is not carried into the new log.
            m_copy.resize(e.record_size);
            SEBIND_TRY(m_storage.read(e.offset, m_copy));
            const std::uint8_t* p = m_copy.data();
            if (load_be32(p) + fmt::kRecordHeader != e.record_size ||
                load_be32(p + 4) !=
                    fmt::record_crc(p, Bytes(p + fmt::kRecordHeader, e.record_size - fmt::kRecordHeader)))
                return Status(Errc::corrupted_data);
            SEBIND_TRY(m_storage.append_replacement(m_copy));
            if (e.info.released) {
                std::uint8_t rec[fmt::kMarkRecordSize];
                fmt::make_mark(rec, fmt::RecordType::released, e.info.seq);
                SEBIND_TRY(m_storage.append_replacement(Bytes(rec, sizeof rec)));
            }
        }
        return m_storage.commit_replace();
    };
    if (const Status st = write_all(); !st.ok()) {
        m_storage.abort_replace();
        return st;
    }
    // Same layout as written above.
    std::uint64_t pos = fmt::kHeaderSize;
    for (Entry& e : m_entries) {
        e.offset = pos;
        pos += e.record_size + (e.info.released ? fmt::kMarkRecordSize : 0);
    }
    m_end = pos;
    m_unsynced = 0;  // commit_replace made the new log durable
    return Status::success();
}

}  // namespace sebind::mqtt
