// SPDX-License-Identifier: Apache-2.0
// SeqStore: block-reserved sequence numbers in <dir>/agent.seq (atomic replace, fsync).
#include "sebind/agent/seq_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sebind::agent {

namespace {

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

Result<SeqStore> SeqStore::open(const std::string& dir, std::uint64_t block) {
    const std::string path = dir + "/agent.seq";
    std::uint64_t start = 1;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[32] = {};
        const ssize_t n = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        if (n <= 0) return Errc::corrupted_data;
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(buf, &end, 10);
        if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v == 0) return Errc::corrupted_data;
        start = v;
    } else if (errno != ENOENT) {
        return Errc::storage_failure;
    }
    block = block == 0 ? 1 : block;
    if (start > kMax || block > kMax - start) return Errc::out_of_range;  // no wrap, no overflow
    SeqStore s(path, start, block);
    if (Status st = s.write(start + s.m_block); !st.ok()) return st;
    s.m_reserved = start + s.m_block;
    return s;
}

std::uint64_t SeqStore::next(Status* reserve_status) {
    if (m_next >= m_reserved) {
        // kMax - m_next leaves room: open() checked start + block, and 2^64 - 2^53 more
        // readings would be needed to reach the wrap.
        const Status st = write(m_next + m_block);
        if (st.ok()) m_reserved = m_next + m_block;
        if (reserve_status) *reserve_status = st;
    } else if (reserve_status) {
        *reserve_status = Status::success();
    }
    return m_next++;
}

Status SeqStore::close() {
    SEBIND_TRY(write(m_next));
    m_reserved = m_next;
    return Status::success();
}

Status SeqStore::write(std::uint64_t value) {
    // Write a new file and rename it over the old one: a crash leaves the old or the new value.
    const std::string tmp = m_path + ".new";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Status(Errc::storage_failure);
    const std::string text = std::to_string(value) + "\n";
    const bool ok = write_all(fd, text) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), m_path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return Status(Errc::storage_failure);
    }
    const std::size_t slash = m_path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : m_path.substr(0, slash == 0 ? 1 : slash);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
    return Status::success();
}

}  // namespace sebind::agent
