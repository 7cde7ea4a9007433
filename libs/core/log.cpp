// SPDX-License-Identifier: Apache-2.0
// The process-wide log sink.
#include "sebind/core/log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace sebind {
namespace {
std::atomic<LogSink> g_sink{nullptr};
std::atomic<void*> g_context{nullptr};
std::atomic<LogLevel> g_minimum{LogLevel::info};
}  // namespace

void set_log_sink(LogSink sink, void* context) noexcept {
    g_context.store(context);
    g_sink.store(sink);
}

void set_log_level(LogLevel minimum) noexcept { g_minimum.store(minimum); }

bool log_enabled(LogLevel level) noexcept { return g_sink.load() != nullptr && level >= g_minimum.load(); }

void log(LogLevel level, const char* format, ...) noexcept {
    if (!log_enabled(level)) return;
    char line[256];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (LogSink sink = g_sink.load()) sink(g_context.load(), level, line);
}

bool LogRateLimit::allow(std::uint32_t now_ms, unsigned& suppressed) noexcept {
    suppressed = 0;
    if (!m_started || now_ms - m_window_start >= m_window_ms) {
        m_started = true;
        m_window_start = now_ms;
        m_in_window = 0;
    }
    if (m_in_window >= m_max) {
        ++m_suppressed;
        return false;
    }
    ++m_in_window;
    suppressed = take_suppressed();
    return true;
}

unsigned LogRateLimit::take_suppressed() noexcept {
    const unsigned n = m_suppressed;
    m_suppressed = 0;
    return n;
}

}  // namespace sebind
