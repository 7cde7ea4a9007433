// SPDX-License-Identifier: Apache-2.0
// $JOURNAL_STREAM against a descriptor, and sd-daemon(3)'s priority prefixes.
#include "sebind/host/journal.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include <sys/stat.h>

namespace sebind::host {

bool is_journal_stream(int fd) noexcept {
    const char* text = std::getenv("JOURNAL_STREAM");
    if (text == nullptr) return false;
    std::uintmax_t device = 0, inode = 0;
    char end = 0;
    // Exactly "DEVICE:INODE", both decimal; anything else is not systemd's value.
    if (std::sscanf(text, "%" SCNuMAX ":%" SCNuMAX "%c", &device, &inode, &end) != 2) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    return static_cast<std::uintmax_t>(st.st_dev) == device && static_cast<std::uintmax_t>(st.st_ino) == inode;
}

const char* journal_prefix(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::error: return "<3>";
        case LogLevel::warning: return "<4>";
        case LogLevel::info: return "<6>";
        case LogLevel::debug: return "<7>";
    }
    return "<6>";
}

}  // namespace sebind::host
