// SPDX-License-Identifier: Apache-2.0
// Log sink: libraries report through one function pointer; no globals beyond the sink itself,
// no formatting cost when nothing listens. Never pass key material to it.
#pragma once

namespace sebind {

enum class LogLevel : unsigned char { debug, info, warning, error };

using LogSink = void (*)(void* context, LogLevel level, const char* message);

/// Installs the process-wide sink (nullptr = silent, the default).
void set_log_sink(LogSink sink, void* context) noexcept;
bool log_enabled(LogLevel level) noexcept;
void set_log_level(LogLevel minimum) noexcept;
/// printf-style; truncated at 256 characters.
void log(LogLevel level, const char* format, ...) noexcept __attribute__((format(printf, 2, 3)));

}  // namespace sebind
