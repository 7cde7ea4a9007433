// SPDX-License-Identifier: Apache-2.0
// Exponential backoff with seeded jitter for reconnect attempts.
#include "sebind/mqtt/session/backoff.hpp"

#include <algorithm>

namespace sebind::mqtt {
namespace {

/// SplitMix64 finaliser: a well-mixed 64-bit value from (seed, attempt), no state kept.
std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace

std::uint32_t backoff_delay_ms(const BackoffConfig& config, std::uint32_t attempt, std::uint64_t seed) noexcept {
    const std::uint64_t cap = std::max<std::uint64_t>({config.max_ms, config.initial_ms, 1});
    std::uint64_t base = std::max<std::uint32_t>(config.initial_ms, 1);
    const std::uint32_t multiplier = std::max<std::uint32_t>(config.multiplier, 1);
    for (std::uint32_t i = 0; i < attempt && base < cap && multiplier > 1; ++i) base *= multiplier;
    base = std::min(base, cap);
    const std::uint64_t span = base * std::min<std::uint32_t>(config.jitter_percent, 100) / 100;
    if (span == 0) return static_cast<std::uint32_t>(base);
    const std::uint64_t r = mix(seed ^ mix(attempt));
    return static_cast<std::uint32_t>(base - r % (span + 1));
}

}  // namespace sebind::mqtt
