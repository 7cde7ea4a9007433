// SPDX-License-Identifier: Apache-2.0
// SeqStore: block-reserved sequence numbers in <dir>/agent.seq (atomic replace, fsync).
#include "sebind/agent/seq_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "sebind/host/files.hpp"

namespace sebind::agent {

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
    // A new file renamed over the old one: a crash leaves the old or the new value.
    return host::replace_file(m_path, std::to_string(value) + "\n") == 0 ? Status::success()
                                                                         : Status(Errc::storage_failure);
}

}  // namespace sebind::agent
