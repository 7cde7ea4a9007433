// SPDX-License-Identifier: Apache-2.0
// Atomic state-file writes and the in-memory store.
#include "nvm_store.hpp"

#include <cerrno>
#include <cstdio>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sebind/emu/emulator.hpp"

namespace sebind::emu {

namespace {

bool write_all(int fd, Bytes data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

class FileStore final : public NvmStore {
public:
    explicit FileStore(std::string dir) : m_path(std::move(dir) + "/" + kStateFile) {}
    Status commit(Bytes state) noexcept override { return write_file_atomic(m_path, state); }
    Result<std::vector<std::uint8_t>> load() noexcept override { return read_file(m_path); }

private:
    std::string m_path;
};

class MemoryStore final : public NvmStore {
public:
    explicit MemoryStore(std::vector<std::uint8_t> initial) : m_data(std::move(initial)) {}
    Status commit(Bytes state) noexcept override {
        m_data.assign(state.begin(), state.end());
        return Status::success();
    }
    Result<std::vector<std::uint8_t>> load() noexcept override { return m_data; }

private:
    std::vector<std::uint8_t> m_data;
};

}  // namespace

std::unique_ptr<NvmStore> make_file_store(const std::string& dir) { return std::make_unique<FileStore>(dir); }
std::unique_ptr<NvmStore> make_memory_store(std::vector<std::uint8_t> initial) {
    return std::make_unique<MemoryStore>(std::move(initial));
}

Result<std::vector<std::uint8_t>> read_file(const std::string& path) noexcept {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? Errc::does_not_exist : Errc::storage_failure;
    std::vector<std::uint8_t> out;
    std::uint8_t buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            return Errc::storage_failure;
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
}

Status write_file_atomic(const std::string& path, Bytes data, unsigned mode) noexcept {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return Status(Errc::storage_failure);
    const bool ok = write_all(fd, data) && ::fsync(fd) == 0;
    if (::close(fd) != 0 || !ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return Status(Errc::storage_failure);
    }
    // The rename is durable only once the directory entry is.
    const int dir = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return Status::success();
}

}  // namespace sebind::emu
