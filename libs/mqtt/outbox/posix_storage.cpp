// SPDX-License-Identifier: Apache-2.0
// PosixFileStorage: the outbox log in a file; durability through fdatasync, compaction through
// write-new + fsync + rename + fsync(directory).
#include "sebind/mqtt/outbox/posix_storage.hpp"

#include "sebind/host/files.hpp"

#include <cerrno>
#include <new>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sebind::mqtt {
namespace {

constexpr const char* kLogName = "/outbox.log";
constexpr const char* kNewSuffix = ".new";

/// write() until everything is out; a short write followed by an error (ENOSPC...) is an error.
int write_all(int fd, Bytes data) noexcept { return host::write_all(fd, data.data(), data.size()); }

int open_log(const std::string& path, int extra_flags) noexcept {
    int fd;
    do {
        fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | extra_flags, 0600);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

}  // namespace

PosixFileStorage::PosixFileStorage(std::string dir, int dir_fd, int fd) noexcept
    : m_dir(std::move(dir)), m_path(m_dir + kLogName), m_dir_fd(dir_fd), m_fd(fd) {}

PosixFileStorage::~PosixFileStorage() {
    abort_replace();
    if (m_fd >= 0) ::close(m_fd);
    if (m_dir_fd >= 0) ::close(m_dir_fd);
}

Result<std::unique_ptr<PosixFileStorage>> PosixFileStorage::open(const std::string& dir) noexcept {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Status(Errc::storage_failure);
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return Status(Errc::storage_failure);
    const std::string path = dir + kLogName;
    // A replacement log left by a crash during compaction was never committed: the log is.
    (void)::unlink((path + kNewSuffix).c_str());
    const int fd = open_log(path, O_CREAT);
    // The directory entry of a new log must survive a power cut too.
    if (fd < 0 || ::fsync(dir_fd) != 0) {
        if (fd >= 0) ::close(fd);
        ::close(dir_fd);
        return Status(Errc::storage_failure);
    }
    auto* storage = new (std::nothrow) PosixFileStorage(dir, dir_fd, fd);
    if (storage == nullptr) {
        ::close(fd);
        ::close(dir_fd);
        return Status(Errc::storage_failure);
    }
    return std::unique_ptr<PosixFileStorage>(storage);
}

Status PosixFileStorage::fail(int err) noexcept {
    m_errno = err;
    return Status(Errc::storage_failure);
}

Result<std::uint64_t> PosixFileStorage::size() noexcept {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) return fail(errno);
    return static_cast<std::uint64_t>(st.st_size);
}

Status PosixFileStorage::read(std::uint64_t offset, MutableBytes out) noexcept {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(m_fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(errno);
        }
        if (n == 0) return Status(Errc::out_of_range);
        done += static_cast<std::size_t>(n);
    }
    return Status::success();
}

Status PosixFileStorage::append(Bytes data) noexcept {
    if (const int err = write_all(m_fd, data); err != 0) return fail(err);
    return Status::success();
}

Status PosixFileStorage::sync() noexcept {
    // fdatasync also writes the file size, which appends change: enough to read the data back.
    if (::fdatasync(m_fd) != 0) return fail(errno);
    return Status::success();
}

Status PosixFileStorage::truncate(std::uint64_t size) noexcept {
    int r;
    do {
        r = ::ftruncate(m_fd, static_cast<off_t>(size));
    } while (r != 0 && errno == EINTR);
    if (r != 0) return fail(errno);
    return Status::success();
}

// Not host::replace_file: that writes one buffer it is given whole and closes the file, while a
// compaction streams the kept records in pieces through the storage seam (bounded memory) and keeps
// the new file open as the live log once it has replaced the old one.
Status PosixFileStorage::begin_replace() noexcept {
    abort_replace();
    m_new_fd = open_log(m_path + kNewSuffix, O_CREAT | O_TRUNC);
    if (m_new_fd < 0) return fail(errno);
    return Status::success();
}

Status PosixFileStorage::append_replacement(Bytes data) noexcept {
    if (m_new_fd < 0) return fail(EBADF);
    if (const int err = write_all(m_new_fd, data); err != 0) return fail(err);
    return Status::success();
}

Status PosixFileStorage::commit_replace() noexcept {
    if (m_new_fd < 0) return fail(EBADF);
    // The new content must be on disk before its name replaces the old log, or a power cut
    // could leave an empty file under the log's name.
    if (::fsync(m_new_fd) != 0) return fail(errno);
    if (::rename((m_path + kNewSuffix).c_str(), m_path.c_str()) != 0) return fail(errno);
    // From here the new file is the log (the open descriptor follows the rename).
    ::close(m_fd);
    m_fd = m_new_fd;
    m_new_fd = -1;
    // Makes the rename durable. If this fails, a power cut brings back the old log, which is
    // also complete (it only still holds acknowledged messages): resends, not losses.
    if (::fsync(m_dir_fd) != 0) m_errno = errno;
    return Status::success();
}

void PosixFileStorage::abort_replace() noexcept {
    if (m_new_fd < 0) return;
    ::close(m_new_fd);
    m_new_fd = -1;
    (void)::unlink((m_path + kNewSuffix).c_str());
}

}  // namespace sebind::mqtt
