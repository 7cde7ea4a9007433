// SPDX-License-Identifier: Apache-2.0
// Host file utilities: complete writes, atomic replacement, bounded reads.
#include "sebind/host/files.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sebind::host {

int write_all(int fd, const void* data, std::size_t size) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, p + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return EIO;
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

namespace {

std::string parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

/// Makes a rename in `dir` durable. File systems that cannot sync a directory say EINVAL.
int sync_dir(const std::string& dir) noexcept {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = ::fsync(fd) == 0 ? 0 : errno;
    if (err == EINVAL) err = 0;
    ::close(fd);
    return err;
}

int close_checked(int& fd) noexcept {
    const int rc = ::close(fd);
    fd = -1;
    // Linux releases the descriptor even when close reports EINTR.
    return rc == 0 || errno == EINTR ? 0 : errno;
}

}  // namespace

FileReplacement::~FileReplacement() { abandon(); }

void FileReplacement::abandon() noexcept {
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_tmp.empty()) {
        ::unlink(m_tmp.c_str());
        m_tmp.clear();
    }
}

int FileReplacement::open(const std::string& path, unsigned mode) noexcept {
    abandon();
    m_path = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) return EISDIR;
        m_fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        return m_fd < 0 ? errno : 0;
    }
    struct stat link {};
    if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
        // Replace the file the link points to, not the link.
        char resolved[PATH_MAX];
        if (!::realpath(path.c_str(), resolved)) return errno;
        m_path = resolved;
    }
    std::string tmp = m_path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());  // created 0600: never looser than `mode` on the way
    if (fd < 0) return errno;
    m_fd = fd;
    m_tmp = std::move(tmp);
    if (::fchmod(m_fd, static_cast<mode_t>(mode)) != 0) {
        const int err = errno;
        abandon();
        return err;
    }
    return 0;
}

int FileReplacement::commit(const void* data, std::size_t size) noexcept {
    if (m_fd < 0) return EBADF;
    int err = write_all(m_fd, data, size);
    if (m_tmp.empty()) {  // in place: a device or FIFO
        const int close_err = close_checked(m_fd);
        return err ? err : close_err;
    }
    if (!err && ::fsync(m_fd) != 0) err = errno;
    const int close_err = close_checked(m_fd);
    if (!err) err = close_err;
    if (!err && ::rename(m_tmp.c_str(), m_path.c_str()) != 0) err = errno;
    if (err) {
        abandon();
        return err;
    }
    m_tmp.clear();
    return sync_dir(parent_dir(m_path));
}

int replace_file(const std::string& path, const void* data, std::size_t size, unsigned mode) noexcept {
    int err = 0;
    {
        FileReplacement r;
        err = r.open(path, mode);
        if (!err) err = r.commit(data, size);
    }
    if (err) errno = err;  // for callers that only pass a Status on
    return err;
}

namespace {

template <typename Container>
int read_bounded(const std::string& path, std::size_t limit, Container& out) {
    out.clear();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        const int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
        ::close(fd);
        return err;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0 && static_cast<std::uint64_t>(st.st_size) <= limit)
        out.reserve(static_cast<std::size_t>(st.st_size));
    unsigned char buf[4096];
    int err = 0;
    for (;;) {
        const std::size_t room = limit + 1 - out.size();  // one byte past the limit tells "too large"
        const ssize_t n = ::read(fd, buf, room < sizeof buf ? room : sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err = errno == EWOULDBLOCK ? EAGAIN : errno;
            break;
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
        if (out.size() > limit) {
            err = EFBIG;
            break;
        }
    }
    ::close(fd);
    if (err) out.clear();
    return err;
}

}  // namespace

int read_file(const std::string& path, std::size_t limit, std::string& out) { return read_bounded(path, limit, out); }
int read_file(const std::string& path, std::size_t limit, std::vector<std::uint8_t>& out) {
    return read_bounded(path, limit, out);
}

const char* write_fix(int err) noexcept {
    switch (err) {
        case ENOSPC:
        case EDQUOT: return "free space on that file system";
        case EFBIG: return "raise the file-size limit (ulimit -f) or free space";
        case EACCES:
        case EPERM:
        case EROFS: return "make the directory writable (or write elsewhere)";
        case ENOENT:
        case ENOTDIR: return "create the directory first (or write elsewhere)";
        case EISDIR: return "name a file, not a directory";
        default: return "check the path, the permissions and free space";
    }
}

std::string size_text(std::size_t bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
    return std::to_string(bytes) + " bytes";
}

}  // namespace sebind::host
