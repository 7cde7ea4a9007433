// SPDX-License-Identifier: Apache-2.0
// SeqStore: the readings' sequence number, monotonic across restarts and crashes without a
// disk write per reading: numbers are reserved in blocks in a small file beside the outbox.
#pragma once

#include <cstdint>
#include <string>

#include "sebind/core/result.hpp"

namespace sebind::agent {

/// `<dir>/agent.seq` holds R: every number below R may have been used. open() starts at R and
/// reserves [R, R + block); crossing the reservation writes a new one (temp file + fsync +
/// rename). close() records the exact next number, so a clean stop leaves no gap; after a crash
/// the next run starts at the reservation's end (a gap of at most `block`, never a repeat).
class SeqStore {
public:
    /// The largest sequence number: 2^53, the largest integer every JSON reader (a JavaScript
    /// double) keeps exactly. Never reached in practice (285 years at one reading per
    /// microsecond); a file holding more is damaged, and numbers must never wrap to 0.
    static constexpr std::uint64_t kMax = std::uint64_t{1} << 53;

    /// Errors: storage_failure (cannot read or write the file), corrupted_data (not a number),
    /// out_of_range (the number, with a block reserved above it, passes kMax).
    static Result<SeqStore> open(const std::string& dir, std::uint64_t block = 1000);

    /// The next sequence number. Fails (storage_failure) only when a new block cannot be
    /// reserved; the number is still valid for this run, and the next call tries again.
    std::uint64_t next(Status* reserve_status = nullptr);
    /// The number next() would return.
    std::uint64_t peek() const noexcept { return m_next; }
    /// Records the exact next number (clean shutdown).
    Status close();

private:
    SeqStore(std::string path, std::uint64_t next, std::uint64_t block)
        : m_path(std::move(path)), m_next(next), m_block(block) {}
    Status write(std::uint64_t value);
    std::string m_path;
    std::uint64_t m_next = 1;
    std::uint64_t m_reserved = 0;
    std::uint64_t m_block = 1000;
};

}  // namespace sebind::agent
