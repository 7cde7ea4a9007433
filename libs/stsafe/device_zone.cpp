// SPDX-License-Identifier: Apache-2.0
// Data partition commands: Read, Update, Decrement with chunking and AC changes (§4.6-§4.8, §6).
#include <algorithm>
#include <cstring>

#include "sebind/stsafe/device.hpp"

namespace sebind::stsafe {

namespace {

/// Option-byte bits of an AC change: bit 4 request, bit 3 new change right, bits 2..0 new AC.
std::uint8_t ac_option(const std::optional<AcChange>& change) noexcept {
    if (!change) return 0;
    return static_cast<std::uint8_t>(0x10 | (change->new_change_right ? 0x08 : 0) | (change->new_ac & 0x07));
}

constexpr std::size_t kCounterSize = 4;
constexpr std::size_t kReadPreamble = 6;       // option, zone, offset, length
constexpr std::size_t kUpdatePreamble = 4;     // option, zone, offset
constexpr std::size_t kDecrementPreamble = 8;  // option, zone, offset, amount
constexpr std::uint8_t kAtomicUpdate = 0x80;
/// Offsets are 16-bit on the wire: no zone byte lies beyond 0xFFFF.
constexpr std::size_t kAddressSpace = 0x10000;

}  // namespace

Status Device::read(std::uint8_t zone, std::uint16_t offset, MutableBytes out) noexcept {
    if (out.empty()) return Status::success();
    if (offset + out.size() > kAddressSpace) return Status(Errc::out_of_range);
    SEBIND_TRY_ASSIGN(Protection p, zone_protection(Command::read, zone));
    // Room is kept for the 4-byte counter a counter zone puts before its data (§4.7), so the same
    // chunking works on both zone types: 500 bytes per Read, 496 with R-MAC (§1.7 allows 504/500).
    const std::size_t chunk = payload_budget(p, Direction::response) - kCounterSize;
    std::size_t done = 0;
    while (done < out.size()) {
        const std::size_t n = std::min(chunk, out.size() - done);
        std::uint8_t cmd[kReadPreamble] = {0x00, zone};
        store_be16(&cmd[2], static_cast<std::uint16_t>(offset + done));
        store_be16(&cmd[4], static_cast<std::uint16_t>(n));
        SEBIND_TRY_ASSIGN(Bytes rsp, exchange(Command::read, cmd, p, n));
        if (rsp.size() == n + kCounterSize) rsp = rsp.subspan(kCounterSize);
        if (rsp.size() != n) return Status(Errc::invalid_response);
        std::memcpy(out.data() + done, rsp.data(), n);
        done += n;
    }
    return Status::success();
}

Result<std::uint32_t> Device::read_counter_zone(std::uint8_t zone, std::uint16_t offset, MutableBytes out) noexcept {
    if (offset + out.size() > kAddressSpace) return Errc::out_of_range;
    SEBIND_TRY_ASSIGN(Protection p, zone_protection(Command::read, zone));
    if (out.size() + kCounterSize > payload_budget(p, Direction::response)) return Errc::invalid_argument;
    std::uint8_t cmd[kReadPreamble] = {0x00, zone};
    store_be16(&cmd[2], offset);
    store_be16(&cmd[4], static_cast<std::uint16_t>(out.size()));
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange(Command::read, cmd, p, out.size() + kCounterSize));
    // A data zone answers without the counter: that is the caller asking the wrong zone.
    if (rsp.size() == out.size()) return Errc::invalid_argument;
    if (rsp.size() != out.size() + kCounterSize) return Errc::invalid_response;
    if (!out.empty()) std::memcpy(out.data(), rsp.data() + kCounterSize, out.size());
    return load_be32(rsp.data());
}

Status Device::change_read_ac(std::uint8_t zone, AcChange change) noexcept {
    // A zero-length read carrying only the AC-change request (§4.7). The zone's ACs change, so the
    // cached partition is dropped whatever the outcome.
    const std::uint8_t cmd[kReadPreamble] = {ac_option(change), zone, 0, 0, 0, 0};
    SEBIND_TRY_ASSIGN(Protection p, zone_protection(Command::read, zone));
    m_partition.reset();
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange(Command::read, cmd, p, 0));
    // A counter zone may still report its counter; nothing else is expected.
    return rsp.empty() || rsp.size() == kCounterSize ? Status::success() : Status(Errc::invalid_response);
}

Status Device::update(std::uint8_t zone, std::uint16_t offset, Bytes data, bool atomic,
                      std::optional<AcChange> ac_change) noexcept {
    if (data.empty() && !ac_change) return Status(Errc::invalid_argument);
    // All-or-nothing is only possible within the 64-byte atomicity buffer (§1.7, §4.8).
    if (atomic && data.size() > kAtomicityBufferSize) return Status(Errc::invalid_argument);
    if (offset + data.size() > kAddressSpace) return Status(Errc::out_of_range);
    SEBIND_TRY_ASSIGN(Protection p, zone_protection(Command::update, zone));
    const std::size_t chunk = payload_budget(p, Direction::command) - kUpdatePreamble;  // 500, 496 with C-MAC
    if (ac_change) m_partition.reset();
    std::array<std::uint8_t, kIoBufferSize> cmd{};
    std::size_t done = 0;
    do {
        const std::size_t n = std::min(chunk, data.size() - done);
        const bool last = done + n == data.size();
        // An AC change rides on the last chunk: made earlier it could lock out the rest.
        cmd[0] = static_cast<std::uint8_t>((atomic ? kAtomicUpdate : 0x00) | (last ? ac_option(ac_change) : 0));
        cmd[1] = zone;
        store_be16(&cmd[2], static_cast<std::uint16_t>(offset + done));
        if (n > 0) std::memcpy(&cmd[kUpdatePreamble], data.data() + done, n);
        // A damaged answer is re-read, never re-sent (exchange, §1.6).
        SEBIND_TRY_ASSIGN(Bytes rsp, exchange(Command::update, Bytes(cmd.data(), kUpdatePreamble + n), p, 0));
        if (!rsp.empty()) return Status(Errc::invalid_response);
        done += n;
    } while (done < data.size());
    return Status::success();
}

Result<std::uint32_t> Device::decrement(std::uint8_t zone, std::uint16_t offset, std::uint32_t amount, Bytes data,
                                        std::optional<AcChange> ac_change) noexcept {
    SEBIND_TRY_ASSIGN(Protection p, zone_protection(Command::decrement, zone));
    // 496 data bytes after the 8-byte preamble, 492 with C-MAC (§1.7).
    if (data.size() > payload_budget(p, Direction::command) - kDecrementPreamble) return Errc::invalid_argument;
    if (offset + data.size() > kAddressSpace) return Errc::out_of_range;
    std::array<std::uint8_t, kIoBufferSize> cmd{};
    cmd[0] = ac_option(ac_change);
    cmd[1] = zone;
    store_be16(&cmd[2], offset);
    store_be32(&cmd[4], amount);
    if (!data.empty()) std::memcpy(&cmd[kDecrementPreamble], data.data(), data.size());
    if (ac_change) m_partition.reset();
    SEBIND_TRY_ASSIGN(
        Bytes rsp, exchange(Command::decrement, Bytes(cmd.data(), kDecrementPreamble + data.size()), p, kCounterSize));
    if (rsp.size() != kCounterSize) return Errc::invalid_response;
    return load_be32(rsp.data());
}

}  // namespace sebind::stsafe
