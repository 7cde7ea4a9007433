// SPDX-License-Identifier: Apache-2.0
// Log lines for the systemd journal: when systemd connects a program's stdout or stderr to the
// journal it sets $JOURNAL_STREAM to "DEVICE:INODE" of that stream (systemd.exec(5)); a line
// that starts with "<N>" (sd-daemon(3)) is then stored with priority N instead of the default.
#pragma once

#include "sebind/core/log.hpp"

namespace sebind::host {

/// True when `fd` is the stream $JOURNAL_STREAM names (same device and inode), so its lines go to
/// the journal and may carry a priority prefix; false when the variable is unset or names
/// another file (a terminal, a pipe to a test, a redirection of the service's output).
bool is_journal_stream(int fd) noexcept;

/// sd-daemon(3)'s prefix for a level: "<3>" error, "<4>" warning, "<6>" info, "<7>" debug.
const char* journal_prefix(LogLevel level) noexcept;

}  // namespace sebind::host
