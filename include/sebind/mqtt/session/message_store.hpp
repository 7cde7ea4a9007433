// SPDX-License-Identifier: Apache-2.0
// MessageStore: where a session keeps outbound QoS 1/2 messages until they are acknowledged.
// The persistent Outbox (outbox/outbox.hpp) and the RAM-only MemoryStore implement it.
#pragma once

#include <cstdint>
#include <string_view>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/mqtt/codec/types.hpp"

namespace sebind::mqtt {

/// What the session needs to know about a stored message without reading it.
struct StoreEntry {
    std::uint64_t seq = 0;        ///< position in FIFO order, unique within the store
    std::uint16_t packet_id = 0;  ///< assigned at enqueue and kept across restarts (§4.4 resend)
    QoS qos = QoS::at_least_once;
    bool retain = false;
    bool released = false;   ///< QoS 2: PUBREC received, PUBREL is what remains to send
    bool recovered = false;  ///< found on open: may have been sent by a previous process
};

/// A stored message with its content; views valid until the next call on the store.
struct StoredMessage {
    StoreEntry entry;
    std::string_view topic;
    Bytes payload;
};

class MessageStore {
public:
    virtual ~MessageStore() = default;

    /// Stores a new message under `packet_id` (not used by any stored entry) and returns its seq.
    /// When it returns, the message is as durable as the store's policy promises.
    /// Errors: busy (full: retry after acknowledgements free room), out_of_range (larger than the
    /// store accepts), storage_failure (I/O error, disk full: nothing stored).
    virtual Result<std::uint64_t> enqueue(std::uint16_t packet_id, QoS qos, bool retain, std::string_view topic,
                                          Bytes payload) noexcept = 0;
    /// QoS 2: PUBREC received. Must be durable before the session sends PUBREL, or a restart
    /// could resend the PUBLISH the broker already forgot (a duplicate).
    virtual Status release(std::uint64_t seq) noexcept = 0;
    /// PUBACK / PUBCOMP received, or the message was refused for good: forget it.
    virtual Status acknowledge(std::uint64_t seq) noexcept = 0;

    /// The first entry with seq > `after`, in FIFO order.
    virtual bool next(std::uint64_t after, StoreEntry& out) const noexcept = 0;
    /// The entry carrying `packet_id` (the session asks before handing out a new packet id).
    virtual bool find(std::uint16_t packet_id, StoreEntry& out) const noexcept = 0;
    /// Topic and payload. Errors: does_not_exist, storage_failure, corrupted_data.
    virtual Status load(std::uint64_t seq, StoredMessage& out) noexcept = 0;
    virtual std::size_t size() const noexcept = 0;

    /// Called by Session::poll: deferred work such as a batch sync deadline.
    virtual Status tick() noexcept { return Status::success(); }
};

}  // namespace sebind::mqtt
