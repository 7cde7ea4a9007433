// SPDX-License-Identifier: Apache-2.0
// Clock: the time seam. Drivers ask it for the time and to wait; they never sleep themselves.
#pragma once

#include <cstdint>

namespace sebind {

class Clock {
public:
    virtual ~Clock() = default;
    /// Monotonic milliseconds; wraps at 2^32 (compare with elapsed_ms, not with <).
    virtual std::uint32_t now_ms() noexcept = 0;
    /// Blocks (or, for a test clock, advances) for at least `ms` milliseconds.
    virtual void delay_ms(std::uint32_t ms) noexcept = 0;
};

/// Wrap-safe difference `later - earlier`.
constexpr std::uint32_t elapsed_ms(std::uint32_t earlier, std::uint32_t later) noexcept { return later - earlier; }

/// A clock that only moves when told to: delay_ms advances it instantly. Used by tests, the
/// emulator's timing model and benchmarks so that "200 ms of chip time" costs no real time.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::uint32_t start_ms = 0) noexcept : m_now(start_ms) {}
    std::uint32_t now_ms() noexcept override { return m_now; }
    void delay_ms(std::uint32_t ms) noexcept override {
        m_now += ms;
        m_waited += ms;
    }
    void advance(std::uint32_t ms) noexcept { m_now += ms; }
    /// Total time spent in delay_ms since construction.
    std::uint64_t waited_ms() const noexcept { return m_waited; }

private:
    std::uint32_t m_now;
    std::uint64_t m_waited = 0;
};

}  // namespace sebind
