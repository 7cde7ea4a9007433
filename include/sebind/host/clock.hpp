// SPDX-License-Identifier: Apache-2.0
// The host's monotonic clock: CLOCK_MONOTONIC behind the core Clock seam (sebind/core/clock.hpp).
#pragma once

#include <cstdint>

#include "sebind/core/clock.hpp"

namespace sebind::host {

/// CLOCK_MONOTONIC in milliseconds; wraps at 2^32 (compare with elapsed_ms, not with <).
std::uint32_t monotonic_ms() noexcept;

/// The real clock: monotonic_ms, and delay_ms sleeps (nanosleep, resumed after a signal).
class MonotonicClock final : public Clock {
public:
    std::uint32_t now_ms() noexcept override;
    void delay_ms(std::uint32_t ms) noexcept override;
};

}  // namespace sebind::host
