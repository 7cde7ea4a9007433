// SPDX-License-Identifier: Apache-2.0
// An emulated chip in a state directory with the driver on top: the common start of the interop
// tests (the chip plays the real one; the peers are real).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "sebind/core/clock.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::test {

struct EmulatedChip {
    /// Creates a chip in `dir` (emu::init_chip) and opens it.
    explicit EmulatedChip(const std::string& dir, const emu::OpenOptions& open = {}) {
        if (!emu::init_chip(dir, {}).ok()) throw std::runtime_error("init_chip failed in " + dir);
        auto opened = emu::Chip::open(dir, open);
        if (!opened) throw std::runtime_error("Chip::open failed in " + dir);
        chip = std::move(*opened);
        bus = std::make_unique<emu::EmulatedBus>(*chip, clock);
        device = std::make_unique<stsafe::Device>(*bus, clock, emu::kDriverConfig);
    }
    ManualClock clock;
    std::unique_ptr<emu::Chip> chip;
    std::unique_ptr<emu::EmulatedBus> bus;
    std::unique_ptr<stsafe::Device> device;
};

}  // namespace sebind::test
