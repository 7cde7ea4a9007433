// SPDX-License-Identifier: Apache-2.0
// Heap accounting for benchmarks: the executable's malloc family wraps glibc's (so the mbedTLS
// shared libraries allocate through it), counts live bytes and their peak, keeps what a modelled
// chip allocates apart, and can log every allocation of a window to show where the peak goes.
#pragma once

#include <cstddef>
#include <cstdio>

namespace sebind::bench {

/// Live heap bytes (malloc_usable_size) outside the chip model, and the peak since reset_peak().
long long heap_live() noexcept;
long long heap_peak() noexcept;
void reset_peak() noexcept;

/// While a ChipScope is alive on this thread, allocations count as the chip's (the emulator
/// stands for separate hardware: on a device its memory is not the host's).
long long chip_heap_peak() noexcept;
void reset_chip_peak() noexcept;
struct ChipScope {
    ChipScope() noexcept;
    ~ChipScope();
    ChipScope(const ChipScope&) = delete;
    ChipScope& operator=(const ChipScope&) = delete;
};

/// Logs every host allocation and free with a short call stack from start_trace() to
/// stop_trace(); report_trace() replays the log to the moment of the peak and prints the blocks
/// live then, grouped by call site, largest first; with `at_end`, the blocks still live at
/// stop_trace() instead (what a connection keeps once established).
void start_trace() noexcept;
void stop_trace() noexcept;
void report_trace(std::FILE* out, std::size_t top = 20, bool at_end = false);

}  // namespace sebind::bench
