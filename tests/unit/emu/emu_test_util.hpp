// SPDX-License-Identifier: Apache-2.0
// Helpers for the emulator's unit tests: hex frames, chips built from a crafted state.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "chip_state.hpp"
#include "nvm_store.hpp"
#include "sebind/core/hex.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/crc.hpp"
#include "sebind/stsafe/protocol.hpp"

namespace sebind::test {

inline std::vector<std::uint8_t> hex(const std::string& text) {
    auto v = from_hex(text);
    if (!v) throw std::runtime_error("bad hex in test: " + text);
    return *v;
}

/// `text` (header + payload, hex) with its CRC appended (MSB first, §2.1).
inline std::vector<std::uint8_t> with_crc(const std::string& text) {
    auto f = hex(text);
    const std::uint16_t crc = stsafe::crc16(f);
    f.push_back(static_cast<std::uint8_t>(crc >> 8));
    f.push_back(static_cast<std::uint8_t>(crc));
    return f;
}

/// A private temporary directory, removed on destruction.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sebind-emu-unit-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        m_path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

/// The state a fresh init_chip produces (seeded, so reproducible).
inline emu::ChipState factory_state(std::uint64_t seed = 11) {
    TempDir dir;
    const std::string chip_dir = dir.path() + "/chip";
    emu::InitOptions init;
    init.seed = seed;
    if (!emu::init_chip(chip_dir, init).ok()) throw std::runtime_error("init_chip failed");
    auto raw = emu::read_file(chip_dir + "/" + emu::kStateFile);
    if (!raw) throw std::runtime_error("state file unreadable");
    auto state = emu::decode_state(*raw);
    if (!state) throw std::runtime_error("fresh state does not decode");
    return std::move(*state);
}

/// A chip running `state` (in memory: nothing is written back).
inline std::unique_ptr<emu::Chip> chip_from_state(const emu::ChipState& state, emu::OpenOptions options = {}) {
    TempDir dir;
    if (!emu::write_file_atomic(dir.path() + "/" + emu::kStateFile, emu::encode_state(state)).ok())
        throw std::runtime_error("cannot write state");
    options.persist = false;
    auto chip = emu::Chip::open(dir.path(), options);
    if (!chip) throw std::runtime_error("Chip::open failed");
    return std::move(*chip);
}

/// One command through Chip::process; returns the whole response frame.
inline std::vector<std::uint8_t> transact(emu::Chip& chip, const std::vector<std::uint8_t>& frame) {
    std::vector<std::uint8_t> rsp(stsafe::kMaxResponseFrame);
    rsp.resize(chip.process(frame, rsp));
    return rsp;
}

inline std::string hex_of(const std::vector<std::uint8_t>& v) { return to_hex(v, ' '); }

}  // namespace sebind::test
