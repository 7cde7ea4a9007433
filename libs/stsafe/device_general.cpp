// SPDX-License-Identifier: Apache-2.0
// General commands: Echo, Reset, Generate Random, Hibernate (§4.2-§4.4, §4.10).
#include <algorithm>
#include <cstring>

#include "sebind/stsafe/device.hpp"

namespace sebind::stsafe {

namespace {

Status expect_empty(Bytes rsp) noexcept { return rsp.empty() ? Status::success() : Status(Errc::invalid_response); }

}  // namespace

Result<std::size_t> Device::echo(Bytes data, MutableBytes out) noexcept {
    SEBIND_TRY_ASSIGN(Protection p, protection_for(Command::echo, data));
    // The data travels both ways, so both directions' budgets apply (§1.7: 504, 500 with MAC).
    const std::size_t limit = std::min(payload_budget(p, Direction::command), payload_budget(p, Direction::response));
    if (data.empty() || data.size() > limit) return Errc::invalid_argument;
    if (out.size() < data.size()) return Errc::buffer_too_small;
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange(Command::echo, data, p, data.size()));
    // A CRC-valid echo that differs means something between us and the chip rewrites frames.
    if (rsp.size() != data.size() || std::memcmp(rsp.data(), data.data(), data.size()) != 0)
        return Errc::integrity_failure;
    std::memmove(out.data(), rsp.data(), rsp.size());
    return rsp.size();
}

Status Device::reset() noexcept {
    // Reset clears the chip's volatile state, the ephemeral key included (§4.3). The C-MAC
    // counter lives in NVM and survives.
    m_ephemeral_curve.reset();
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::reset, {}, 0));
    return expect_empty(rsp);
}

Status Device::generate_random(MutableBytes out) noexcept {
    if (out.empty() || out.size() > 255) return Status(Errc::invalid_argument);
    const std::uint8_t cmd[] = {0x00, static_cast<std::uint8_t>(out.size())};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::generate_random, cmd, out.size()));
    if (rsp.size() != out.size()) return Status(Errc::invalid_response);
    std::memcpy(out.data(), rsp.data(), rsp.size());
    return Status::success();
}

Status Device::hibernate(WakeUpMode mode) noexcept {
    // Waking up is a reset: the ephemeral key is gone afterwards (§1.8).
    m_ephemeral_curve.reset();
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(mode)};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::hibernate, cmd, 0));
    return expect_empty(rsp);
}

}  // namespace sebind::stsafe
