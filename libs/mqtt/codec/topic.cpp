// SPDX-License-Identifier: Apache-2.0
// UTF-8 well-formedness, topic name / topic filter rules and topic matching (§1.5.3/§1.5.4, §4.7).
#include "sebind/mqtt/codec/topic.hpp"

#include <cstdint>

namespace sebind::mqtt {

bool is_valid_utf8(Bytes text) noexcept {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        const std::uint8_t b = text[i];
        if (b == 0x00) return false;  // U+0000 is forbidden (3.1.1 [MQTT-1.5.3-2], 5.0 [MQTT-1.5.4-2])
        if (b < 0x80) {
            ++i;
            continue;
        }
        // RFC 3629 §4 table: the lead byte fixes the length and the range of the second byte,
        // which is how overlong forms, surrogates (ED A0..BF) and > U+10FFFF are excluded.
        std::size_t len;
        std::uint8_t lo = 0x80, hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
        } else if (b == 0xE0) {
            len = 3, lo = 0xA0;
        } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
            len = 3;
        } else if (b == 0xED) {
            len = 3, hi = 0x9F;  // U+D800..U+DFFF would be ED A0..BF xx ([MQTT-1.5.4-1])
        } else if (b == 0xF0) {
            len = 4, lo = 0x90;
        } else if (b >= 0xF1 && b <= 0xF3) {
            len = 4;
        } else if (b == 0xF4) {
            len = 4, hi = 0x8F;
        } else {
            return false;  // 80..C1 (continuation or overlong lead), F5..FF
        }
        if (n - i < len) return false;
        if (text[i + 1] < lo || text[i + 1] > hi) return false;
        for (std::size_t k = 2; k < len; ++k)
            if ((text[i + k] & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

Error check_topic_name(std::string_view topic) noexcept {
    if (topic.size() > 65535) return Error::value_too_large;
    if (!is_valid_utf8(topic)) return Error::bad_utf8;
    if (topic.empty()) return Error::bad_topic_name;  // [MQTT-4.7.3-1]
    // Wildcards are for filters only ([MQTT-3.3.2-2]).
    if (topic.find_first_of("+#") != std::string_view::npos) return Error::bad_topic_name;
    return Error::ok;
}

Error check_topic_filter(std::string_view filter) noexcept {
    if (filter.size() > 65535) return Error::value_too_large;
    if (!is_valid_utf8(filter)) return Error::bad_utf8;
    if (filter.empty()) return Error::bad_topic_filter;  // [MQTT-4.7.3-1]
    std::size_t level_start = 0;
    for (std::size_t i = 0; i <= filter.size(); ++i) {
        if (i != filter.size() && filter[i] != '/') continue;
        const std::string_view level = filter.substr(level_start, i - level_start);
        const bool multi = level.find('#') != std::string_view::npos;
        const bool single = level.find('+') != std::string_view::npos;
        // '+' and '#' must occupy a whole level ([MQTT-4.7.1-2], [MQTT-4.7.1-3]) and '#' must
        // be the last character of the filter ([MQTT-4.7.1-2]).
        if ((multi || single) && level.size() != 1) return Error::bad_topic_filter;
        if (multi && i != filter.size()) return Error::bad_topic_filter;
        level_start = i + 1;
    }
    return Error::ok;
}

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
    // §4.7.2: a filter starting with a wildcard does not match names starting with '$'.
    if (!topic.empty() && topic.front() == '$' && !filter.empty() && (filter.front() == '+' || filter.front() == '#'))
        return false;
    std::size_t f = 0, t = 0;
    while (true) {
        const std::size_t f_end = filter.find('/', f);
        const std::string_view f_level = filter.substr(
            f, f_end == std::string_view::npos ? std::string_view::npos : f_end - f);
        if (f_level == "#") return true;  // also matches the parent level: "a/#" matches "a" (§4.7.1.2)
        const std::size_t t_end = topic.find('/', t);
        const std::string_view t_level = topic.substr(
            t, t_end == std::string_view::npos ? std::string_view::npos : t_end - t);
        if (f_level != "+" && f_level != t_level) return false;
        const bool f_last = f_end == std::string_view::npos;
        const bool t_last = t_end == std::string_view::npos;
        if (f_last || t_last) {
            if (f_last && t_last) return true;
            // Topic ended, filter continues: only "/#" can still match the parent.
            return t_last && filter.substr(f_end) == "/#";
        }
        f = f_end + 1;
        t = t_end + 1;
    }
}

}  // namespace sebind::mqtt
