// SPDX-License-Identifier: Apache-2.0
// OutboxStorage: the seam between the outbox's record log and the medium it lives on (a POSIX
// file here; a flash partition or a file system on a microcontroller).
#pragma once

#include <cstdint>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"

namespace sebind::mqtt {

/// One append-only log plus an atomic whole-log replacement (for compaction). Every error is
/// Errc::storage_failure unless stated; the outbox never assumes an operation half-succeeded in
/// a useful way.
class OutboxStorage {
public:
    virtual ~OutboxStorage() = default;

    /// Current length of the log in bytes.
    virtual Result<std::uint64_t> size() noexcept = 0;
    /// Reads exactly out.size() bytes at `offset` (out_of_range when the log is shorter).
    virtual Status read(std::uint64_t offset, MutableBytes out) noexcept = 0;
    /// Appends `data` at the end. On failure (e.g. disk full) a prefix of it may have been
    /// written: the outbox then truncates back to where the append started.
    virtual Status append(Bytes data) noexcept = 0;
    /// Makes everything appended so far survive a power cut (fdatasync / flash commit).
    virtual Status sync() noexcept = 0;
    /// Cuts the log to `size` bytes (used to drop a torn tail or a failed append).
    virtual Status truncate(std::uint64_t size) noexcept = 0;

    /// Compaction: build a replacement log, then swap it in atomically. After commit_replace()
    /// returns success the log is the new content, durably (a crash at any point leaves either
    /// the old or the new log, never a mix); on failure the old log is untouched.
    virtual Status begin_replace() noexcept = 0;
    virtual Status append_replacement(Bytes data) noexcept = 0;
    virtual Status commit_replace() noexcept = 0;
    virtual void abort_replace() noexcept = 0;
};

}  // namespace sebind::mqtt
