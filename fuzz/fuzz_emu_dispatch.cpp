// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the emulator's command dispatcher. Inputs are raw command frames; the first byte
// decides whether the frame gets a valid CRC appended (so the fuzzer reaches the commands
// instead of stopping at the CRC check). The chip must always answer with a well-formed frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/crc.hpp"
#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/protocol.hpp"

namespace {

sebind::emu::Chip& chip() {
    // One chip for the whole run keeps the fuzzer fast; state carried between inputs only
    // widens what it explores.
    static std::unique_ptr<sebind::emu::Chip> instance = [] {
        sebind::emu::InitOptions init;
        init.seed = 1;
        sebind::emu::OpenOptions open;
        open.persist = false;
        auto created = sebind::emu::Chip::create_in_memory(init, open);
        if (!created) std::abort();
        return std::move(*created);
    }();
    return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::vector<std::uint8_t> frame(data + 1, data + size);
    if (data[0] & 1) {
        const std::uint16_t crc = sebind::stsafe::crc16(frame);
        frame.push_back(static_cast<std::uint8_t>(crc >> 8));
        frame.push_back(static_cast<std::uint8_t>(crc));
    }
    std::uint8_t response[sebind::stsafe::kMaxResponseFrame];
    const std::size_t n = chip().process(frame, response);
    if (n > sizeof response) std::abort();
    if (n > 0) {
        auto decoded = sebind::stsafe::decode_response(sebind::Bytes(response, n));
        if (!decoded) std::abort();  // the emulator produced a frame its own codec rejects
    }
    if (!chip().powered()) (void)chip().power_cycle();
    return 0;
}
