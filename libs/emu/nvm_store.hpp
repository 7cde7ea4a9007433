// SPDX-License-Identifier: Apache-2.0
// Where the chip model's NVM lives: a state file written atomically, or memory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"

namespace sebind::emu {

class NvmStore {
public:
    virtual ~NvmStore() = default;
    /// Makes `state` the committed NVM content, all or nothing.
    virtual Status commit(Bytes state) noexcept = 0;
    virtual Result<std::vector<std::uint8_t>> load() noexcept = 0;
    /// errno of the last commit that failed on the host's file system (0: none, or in memory).
    virtual int last_errno() const noexcept { return 0; }
};

/// A state file is a few KiB; anything beyond this is not one (and is not read into memory).
inline constexpr std::size_t kMaxStateFileSize = 1024 * 1024;

/// DIR/chip.state: write DIR/chip.state.tmp, fsync, rename over chip.state, fsync DIR. A crash at
/// any point leaves either the old or the new file.
std::unique_ptr<NvmStore> make_file_store(const std::string& dir);
std::unique_ptr<NvmStore> make_memory_store(std::vector<std::uint8_t> initial);

/// Reads a whole state-sized file (at most kMaxStateFileSize): does_not_exist when absent,
/// corrupted_data when larger, storage_failure on other errors.
Result<std::vector<std::uint8_t>> read_file(const std::string& path) noexcept;
/// Writes a file atomically (host::replace_file: temp + fsync + rename + directory fsync) with
/// `mode` permissions; `error` receives the errno of a failure (0 on success).
Status write_file_atomic(const std::string& path, Bytes data, unsigned mode = 0600, int* error = nullptr) noexcept;

}  // namespace sebind::emu
