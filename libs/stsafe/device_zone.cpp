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

}  // namespace

Status Device::read(std::uint8_t zone, std::uint16_t offset, MutableBytes out) noexcept {
    const std::size_t chunk = max_data_chunk(kMaxReadChunk, kMaxReadChunkWithMac);
    std::size_t done = 0;
    while (done < out.size()) {
        const std::size_t n = std::min(chunk, out.size() - done);
        if (offset + done + n > 0xFFFF) return Status(Errc::out_of_range);
        std::uint8_t cmd[6] = {0x00, zone};
        store_be16(&cmd[2], static_cast<std::uint16_t>(offset + done));
        store_be16(&cmd[4], static_cast<std::uint16_t>(n));
        SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::read, cmd, n));
        // A counter zone answers with its counter first (§4.7); anything else is malformed.
        if (rsp.size() == n + 4) rsp = rsp.subspan(4);
        if (rsp.size() != n) return Status(Errc::invalid_response);
        std::memcpy(out.data() + done, rsp.data(), n);
        done += n;
    }
    return Status::success();
}

Result<std::uint32_t> Device::read_counter_zone(std::uint8_t zone, std::uint16_t offset, MutableBytes out) noexcept {
    if (out.size() + 4 > max_data_chunk(kMaxReadChunk, kMaxReadChunkWithMac)) return Errc::invalid_argument;
    std::uint8_t cmd[6] = {0x00, zone};
    store_be16(&cmd[2], offset);
    store_be16(&cmd[4], static_cast<std::uint16_t>(out.size()));
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::read, cmd, out.size() + 4));
    if (rsp.size() != out.size() + 4) return Errc::invalid_response;
    if (!out.empty()) std::memcpy(out.data(), rsp.data() + 4, out.size());
    return load_be32(rsp.data());
}

Status Device::change_read_ac(std::uint8_t zone, AcChange change) noexcept {
    // A zero-length read carrying only the AC-change request (§4.7).
    const std::uint8_t cmd[6] = {ac_option(change), zone, 0, 0, 0, 0};
    m_partition.reset();
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::read, cmd, 0));
    (void)rsp;
    return Status::success();
}

Status Device::update(std::uint8_t zone, std::uint16_t offset, Bytes data, bool atomic,
                      std::optional<AcChange> ac_change) noexcept {
    if (data.empty() && !ac_change) return Status(Errc::invalid_argument);
    if (atomic && data.size() > kAtomicityBufferSize) return Status(Errc::invalid_argument);
    if (offset + data.size() > 0xFFFF) return Status(Errc::out_of_range);
    const std::size_t chunk = atomic ? kAtomicityBufferSize : max_data_chunk(kMaxUpdateChunk, kMaxUpdateChunkWithMac);
    if (ac_change) m_partition.reset();
    std::array<std::uint8_t, 4 + kMaxUpdateChunk> cmd{};
    std::size_t done = 0;
    do {
        const std::size_t n = std::min(chunk, data.size() - done);
        const bool last = done + n == data.size();
        // An AC change rides on the last chunk: made earlier it could lock out the rest.
        cmd[0] = static_cast<std::uint8_t>((atomic ? 0x80 : 0x00) | (last ? ac_option(ac_change) : 0));
        cmd[1] = zone;
        store_be16(&cmd[2], static_cast<std::uint16_t>(offset + done));
        if (n) std::memcpy(&cmd[4], data.data() + done, n);
        SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::update, Bytes(cmd.data(), 4 + n), 0));
        if (!rsp.empty()) return Status(Errc::invalid_response);
        done += n;
    } while (done < data.size());
    return Status::success();
}

Result<std::uint32_t> Device::decrement(std::uint8_t zone, std::uint16_t offset, std::uint32_t amount, Bytes data,
                                        std::optional<AcChange> ac_change) noexcept {
    if (data.size() > max_data_chunk(kMaxUpdateChunk - 4, kMaxUpdateChunkWithMac - 4)) return Errc::invalid_argument;
    std::array<std::uint8_t, 8 + kMaxUpdateChunk> cmd{};
    cmd[0] = ac_option(ac_change);
    cmd[1] = zone;
    store_be16(&cmd[2], offset);
    store_be32(&cmd[4], amount);
    if (!data.empty()) std::memcpy(&cmd[8], data.data(), data.size());
    if (ac_change) m_partition.reset();
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::decrement, Bytes(cmd.data(), 8 + data.size()), 4));
    if (rsp.size() != 4) return Errc::invalid_response;
    return load_be32(rsp.data());
}

}  // namespace sebind::stsafe
