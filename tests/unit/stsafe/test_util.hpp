// SPDX-License-Identifier: Apache-2.0
// Hex helpers for the STSAFE unit tests.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sebind/core/hex.hpp"

namespace sebind::test {
inline std::vector<std::uint8_t> hex(const std::string& text) {
    auto v = from_hex(text);
    if (!v) throw std::runtime_error("bad hex in test: " + text);
    return *v;
}
}  // namespace sebind::test
