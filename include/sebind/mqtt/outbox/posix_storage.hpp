// SPDX-License-Identifier: Apache-2.0
// PosixFileStorage: the outbox log as a file in a directory (POSIX I/O, fdatasync, rename).
#pragma once

#include <memory>
#include <string>

#include "sebind/mqtt/outbox/storage.hpp"

namespace sebind::mqtt {

/// `<dir>/outbox.log`, replaced through `<dir>/outbox.log.new` + fsync + rename + fsync(dir).
/// Disk full (ENOSPC, EDQUOT), file too large (EFBIG, RLIMIT_FSIZE with SIGXFSZ ignored) and I/O
/// errors are storage_failure; last_errno() keeps the cause for messages. Not thread-safe.
class PosixFileStorage final : public OutboxStorage {
public:
    /// Creates `dir` (one level) and the log file when missing. Errors: storage_failure.
    static Result<std::unique_ptr<PosixFileStorage>> open(const std::string& dir) noexcept;
    ~PosixFileStorage() override;
    PosixFileStorage(const PosixFileStorage&) = delete;
    PosixFileStorage& operator=(const PosixFileStorage&) = delete;

    Result<std::uint64_t> size() noexcept override;
    Status read(std::uint64_t offset, MutableBytes out) noexcept override;
    Status append(Bytes data) noexcept override;
    Status sync() noexcept override;
    Status truncate(std::uint64_t size) noexcept override;
    Status begin_replace() noexcept override;
    Status append_replacement(Bytes data) noexcept override;
    Status commit_replace() noexcept override;
    void abort_replace() noexcept override;

    /// errno of the last failure (0 if none).
    int last_errno() const noexcept { return m_errno; }
    const std::string& path() const noexcept { return m_path; }

private:
    PosixFileStorage(std::string dir, int dir_fd, int fd) noexcept;
    Status fail(int err) noexcept;
    std::string m_dir;
    std::string m_path;
    int m_dir_fd = -1;
    int m_fd = -1;
    int m_new_fd = -1;
    int m_errno = 0;
};

}  // namespace sebind::mqtt
