// SPDX-License-Identifier: Apache-2.0
// MemoryStore: the RAM-only MessageStore (same contract as the Outbox, no persistence).
#include <algorithm>
#include <cstring>

#include "sebind/mqtt/outbox/outbox.hpp"

namespace sebind::mqtt {

Result<std::uint64_t> MemoryStore::enqueue(std::uint16_t packet_id, QoS qos, bool retain, std::string_view topic,
                                           Bytes payload) noexcept {
    if (packet_id == 0 || qos == QoS::at_most_once || static_cast<unsigned>(qos) > 2)
        return Status(Errc::invalid_argument);
    const std::size_t bytes = topic.size() + payload.size();
    if (m_items.size() >= m_max_messages || m_bytes + bytes > m_max_bytes) return Status(Errc::busy);
    Item item;
    item.info = StoreEntry{m_next_seq, packet_id, qos, retain, false, false};
    item.data.resize(bytes);
    if (!topic.empty()) std::memcpy(item.data.data(), topic.data(), topic.size());
    if (!payload.empty()) std::memcpy(item.data.data() + topic.size(), payload.data(), payload.size());
    item.topic_size = topic.size();
    m_items.push_back(std::move(item));
    m_bytes += bytes;
    return m_next_seq++;
}

namespace {

template <class Deque>
auto locate(Deque& items, std::uint64_t seq) {
    auto it = std::lower_bound(items.begin(), items.end(), seq,
                               [](const auto& item, std::uint64_t s) { return item.info.seq < s; });
    return (it != items.end() && it->info.seq == seq) ? it : items.end();
}

}  // namespace

Status MemoryStore::release(std::uint64_t seq) noexcept {
    auto it = locate(m_items, seq);
    if (it == m_items.end()) return Status(Errc::does_not_exist);
    it->info.released = true;
    return Status::success();
}

Status MemoryStore::acknowledge(std::uint64_t seq) noexcept {
    auto it = locate(m_items, seq);
    if (it == m_items.end()) return Status(Errc::does_not_exist);
    m_bytes -= it->data.size();
    m_items.erase(it);
    return Status::success();
}

bool MemoryStore::next(std::uint64_t after, StoreEntry& out) const noexcept {
    auto it = std::upper_bound(m_items.begin(), m_items.end(), after,
                               [](std::uint64_t s, const Item& item) { return s < item.info.seq; });
    if (it == m_items.end()) return false;
    out = it->info;
    return true;
}

bool MemoryStore::find(std::uint16_t packet_id, StoreEntry& out) const noexcept {
    for (const auto& item : m_items) {
        if (item.info.packet_id == packet_id) {
            out = item.info;
            return true;
        }
    }
    return false;
}

Status MemoryStore::load(std::uint64_t seq, StoredMessage& out) noexcept {
    auto it = locate(m_items, seq);
    if (it == m_items.end()) return Status(Errc::does_not_exist);
    out.entry = it->info;
    out.topic = std::string_view(reinterpret_cast<const char*>(it->data.data()), it->topic_size);
    out.payload = Bytes(it->data.data() + it->topic_size, it->data.size() - it->topic_size);
    return Status::success();
}

}  // namespace sebind::mqtt
