// SPDX-License-Identifier: Apache-2.0
// Hex encoding for logs, tests and the CLI (not used in hot paths).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sebind/core/bytes.hpp"

namespace sebind {

/// Lower-case hex, optionally with a separator between bytes ("0a1b" or "0a 1b").
std::string to_hex(Bytes data, char separator = '\0');
/// Accepts upper/lower case and ignores spaces, ':' and '-'; nullopt on odd length or bad digit.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

/// `text` made safe for one line of a log or an error: control bytes (NUL, line breaks, ESC...)
/// become "\xNN", and text longer than `max_bytes` is cut with "...". Applying it twice changes
/// nothing more (a backslash is left as it is).
std::string printable(std::string_view text, std::size_t max_bytes = 256);

}  // namespace sebind
