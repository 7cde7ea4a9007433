// SPDX-License-Identifier: Apache-2.0
#include "sebind/host/clock.hpp"

#include <cerrno>
#include <ctime>

namespace sebind::host {

std::uint32_t monotonic_ms() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(ts.tv_sec) * 1000u +
                                      static_cast<std::uint64_t>(ts.tv_nsec) / 1000000u);
}

std::uint32_t MonotonicClock::now_ms() noexcept { return monotonic_ms(); }

void MonotonicClock::delay_ms(std::uint32_t ms) noexcept {
    timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

}  // namespace sebind::host
