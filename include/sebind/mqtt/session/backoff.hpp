// SPDX-License-Identifier: Apache-2.0
// Reconnect policy: exponential backoff with jitter, as a pure function plus a small stateful
// helper. Seeded, so a fleet of devices spreads out and a test gets the same sequence each run.
#pragma once

#include <cstdint>

namespace sebind::mqtt {

struct BackoffConfig {
    std::uint32_t initial_ms = 1'000;  ///< base delay of the first retry (>= 1)
    std::uint32_t max_ms = 60'000;     ///< cap of the base delay (>= initial_ms)
    std::uint32_t multiplier = 2;      ///< growth per attempt (>= 1)
    /// Share of the base delay that is random, 0..100: the delay is uniform in
    /// [base * (100 - jitter) / 100, base]. 100 = "full jitter", 0 = none.
    std::uint8_t jitter_percent = 50;
};

/// The delay before retry number `attempt` (0 = first retry): base = min(max_ms, initial_ms *
/// multiplier^attempt), minus a pseudo-random share of it drawn from (seed, attempt). Pure: the
/// same arguments give the same delay. Never 0 unless jitter_percent is 100.
std::uint32_t backoff_delay_ms(const BackoffConfig& config, std::uint32_t attempt, std::uint64_t seed) noexcept;

class Backoff {
public:
    explicit Backoff(const BackoffConfig& config = {}, std::uint64_t seed = 0) noexcept
        : m_config(config), m_seed(seed) {}
    /// The delay to wait before the next attempt; counts the attempt.
    std::uint32_t next_delay_ms() noexcept { return backoff_delay_ms(m_config, m_attempt++, m_seed); }
    /// After a connection was accepted (CONNACK): start again from initial_ms.
    void reset() noexcept { m_attempt = 0; }
    std::uint32_t attempts() const noexcept { return m_attempt; }

private:
    BackoffConfig m_config;
    std::uint64_t m_seed;
    std::uint32_t m_attempt = 0;
};

}  // namespace sebind::mqtt
