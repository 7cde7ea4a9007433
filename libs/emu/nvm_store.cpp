// SPDX-License-Identifier: Apache-2.0
// Atomic state-file writes and the in-memory store.
#include "nvm_store.hpp"

#include <cerrno>

#include "sebind/emu/emulator.hpp"
#include "sebind/host/files.hpp"

namespace sebind::emu {

namespace {

class FileStore final : public NvmStore {
public:
    explicit FileStore(std::string dir) : m_path(std::move(dir) + "/" + kStateFile) {}
    Status commit(Bytes state) noexcept override { return write_file_atomic(m_path, state, 0600, &m_errno); }
    Result<std::vector<std::uint8_t>> load() noexcept override { return read_file(m_path); }
    int last_errno() const noexcept override { return m_errno; }

private:
    std::string m_path;
    int m_errno = 0;
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
    std::vector<std::uint8_t> out;
    const int err = host::read_file(path, kMaxStateFileSize, out);
    if (err == ENOENT) return Errc::does_not_exist;
    if (err == EFBIG) return Errc::corrupted_data;  // no state file is this large
    if (err) return Errc::storage_failure;
    return out;
}

Status write_file_atomic(const std::string& path, Bytes data, unsigned mode, int* error) noexcept {
    const int err = host::replace_file(path, data.data(), data.size(), mode);
    if (error) *error = err;
    return err ? Status(Errc::storage_failure) : Status::success();
}

}  // namespace sebind::emu
