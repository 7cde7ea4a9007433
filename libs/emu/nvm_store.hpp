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
};

/// DIR/chip.state: write DIR/chip.state.tmp, fsync, rename over chip.state, fsync DIR. A crash at
/// any point leaves either the old or the new file.
std::unique_ptr<NvmStore> make_file_store(const std::string& dir);
std::unique_ptr<NvmStore> make_memory_store(std::vector<std::uint8_t> initial);

/// Reads a whole file; does_not_exist when absent, storage_failure on other errors.
Result<std::vector<std::uint8_t>> read_file(const std::string& path) noexcept;
/// Writes a file atomically (temp + fsync + rename + directory fsync) with `mode` permissions.
Status write_file_atomic(const std::string& path, Bytes data, unsigned mode = 0600) noexcept;

}  // namespace sebind::emu
