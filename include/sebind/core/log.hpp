// SPDX-License-Identifier: Apache-2.0
// Log sink: libraries report through one function pointer; no globals beyond the sink itself,
// no formatting cost when nothing listens. Never pass key material to it.
#pragma once

#include <cstdint>

namespace sebind {

enum class LogLevel : unsigned char { debug, info, warning, error };

using LogSink = void (*)(void* context, LogLevel level, const char* message);

/// Installs the process-wide sink (nullptr = silent, the default).
void set_log_sink(LogSink sink, void* context) noexcept;
bool log_enabled(LogLevel level) noexcept;
void set_log_level(LogLevel minimum) noexcept;
/// printf-style; truncated at 256 characters.
void log(LogLevel level, const char* format, ...) noexcept __attribute__((format(printf, 2, 3)));

/// A budget for lines that can repeat fast (a driver recovering from bus faults): at most
/// `max_lines` per window of `window_ms`; the lines beyond are counted, not logged, and their
/// number is handed out once so the caller can say how many it left out.
class LogRateLimit {
public:
    constexpr explicit LogRateLimit(unsigned max_lines, std::uint32_t window_ms = 1000) noexcept
        : m_max(max_lines), m_window_ms(window_ms) {}
    /// Whether a line may be logged at `now_ms` (any monotonic millisecond clock, wrapping).
    /// `suppressed` receives the lines left out before this one when it is allowed, else 0.
    bool allow(std::uint32_t now_ms, unsigned& suppressed) noexcept;
    /// The lines left out since the last allowed one (for a closing summary); resets the count.
    unsigned take_suppressed() noexcept;

private:
    unsigned m_max;
    std::uint32_t m_window_ms;
    std::uint32_t m_window_start = 0;
    unsigned m_in_window = 0;
    unsigned m_suppressed = 0;
    bool m_started = false;
};

}  // namespace sebind
