// SPDX-License-Identifier: Apache-2.0
// The spec's rules for UTF-8 strings, topic names and topic filters, and topic matching.
#pragma once

#include <string_view>

#include "sebind/core/bytes.hpp"
#include "sebind/mqtt/codec/types.hpp"

namespace sebind::mqtt {

/// Well-formed UTF-8 (RFC 3629: no overlong forms, nothing above U+10FFFF, no surrogates
/// U+D800..U+DFFF) and no U+0000 (3.1.1 §1.5.3, 5.0 §1.5.4). Control characters and
/// non-characters are allowed: the spec says "SHOULD NOT", and rejecting them would drop
/// messages a broker accepted.
bool is_valid_utf8(Bytes text) noexcept;
inline bool is_valid_utf8(std::string_view text) noexcept {
    return is_valid_utf8(Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

/// ok, bad_utf8, bad_topic_name (empty, or containing '+' or '#'; §4.7.1, §3.3.2.1), value_too_large.
Error check_topic_name(std::string_view topic) noexcept;

/// ok, bad_utf8, bad_topic_filter, value_too_large. '#' must be the whole last level, '+' a whole
/// level (§4.7.1.2, §4.7.1.3); a filter is at least one character (§4.7.3).
Error check_topic_filter(std::string_view filter) noexcept;

/// True when `topic` (a valid name) matches `filter` (a valid filter), with the rule that
/// wildcards at the first level do not match names starting with '$' (§4.7.2).
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

}  // namespace sebind::mqtt
