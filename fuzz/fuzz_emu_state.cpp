// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the emulator's state-file decoder (libs/emu/chip_state.hpp). When the first input
// byte is odd the rest gets a valid SHA-256 appended, so the fuzzer reaches the structure checks
// instead of stopping at the digest. A state that decodes must re-encode to the same bytes and
// must be servable: every Query tag and a Read of every zone answer with a well-formed frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include <mbedtls/sha256.h>

#include "chip_impl.hpp"
#include "sebind/stsafe/crc.hpp"
#include "sebind/stsafe/frame.hpp"

namespace {

std::vector<std::uint8_t> with_crc(std::vector<std::uint8_t> frame) {
    const std::uint16_t crc = sebind::stsafe::crc16(frame);
    frame.push_back(static_cast<std::uint8_t>(crc >> 8));
    frame.push_back(static_cast<std::uint8_t>(crc));
    return frame;
}

void expect_well_formed(sebind::emu::Chip& chip, const std::vector<std::uint8_t>& command) {
    std::uint8_t response[sebind::stsafe::kMaxResponseFrame];
    const std::size_t n = chip.process(with_crc(command), response);
    if (n > sizeof response) std::abort();
    if (n > 0 && !sebind::stsafe::decode_response(sebind::Bytes(response, n))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::vector<std::uint8_t> file(data + 1, data + size);
    if (data[0] & 1) {
        std::uint8_t digest[32];
        mbedtls_sha256_ret(file.data(), file.size(), digest, 0);
        file.insert(file.end(), digest, digest + 32);
    }
    auto state = sebind::emu::decode_state(file);
    if (!state) return 0;
    if (sebind::emu::encode_state(*state) != file) std::abort();  // the encoding is canonical

    sebind::emu::OpenOptions open;
    open.persist = false;
    sebind::emu::ChipImpl chip(*state, sebind::emu::make_memory_store(file), open, 1);
    for (unsigned tag = 0; tag < 0x30; ++tag) expect_well_formed(chip, {0x14, static_cast<std::uint8_t>(tag)});
    for (const auto& zone : state->zones) expect_well_formed(chip, {0x05, 0x00, zone.index, 0x00, 0x00, 0x00, 0x10});
    return 0;
}
