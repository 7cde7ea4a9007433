// SPDX-License-Identifier: Apache-2.0
// General commands and queries: Echo, Reset, Generate Random, Hibernate, Query (§4.2-§4.4,
// §4.10, §4.14).
#include <cstring>

#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::stsafe {

Result<std::size_t> Device::echo(Bytes data, MutableBytes out) noexcept {
    if (data.empty() || data.size() > max_data_chunk(kMaxReadChunk, kMaxReadChunkWithMac)) return Errc::invalid_argument;
    if (out.size() < data.size()) return Errc::buffer_too_small;
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::echo, data, data.size()));
    if (rsp.size() != data.size() || std::memcmp(rsp.data(), data.data(), data.size()) != 0)
        return Errc::integrity_failure;
    std::memmove(out.data(), rsp.data(), rsp.size());
    return rsp.size();
}

Status Device::reset() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::reset, {}, 0));
    return rsp.empty() ? Status::success() : Status(Errc::invalid_response);
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
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(mode)};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::hibernate, cmd, 0));
    return rsp.empty() ? Status::success() : Status(Errc::invalid_response);
}

Result<Bytes> Device::query(Tag tag, std::size_t expected_payload) noexcept {
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(tag)};
    return exchange_auto(Command::query, cmd, expected_payload);
}

Result<ProductData> Device::query_product_data() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::product_data, 64));
    return parse_product_data(rsp);
}

Result<PartitionInfo> Device::query_partition() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::data_partition, 49));
    auto info = parse_partition(rsp);
    if (info) m_partition = *info;
    return info;
}

Result<KeyTable> Device::query_key_table() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::private_key_table, 40));
    auto table = parse_key_table(rsp);
    if (table) {
        for (std::uint8_t slot : {kSlotFactory, kSlotUser}) {
            const KeySlotInfo* s = table->find(slot);
            m_slot_curves[slot] = (s && s->present) ? s->curve : std::nullopt;
        }
    }
    return table;
}

Result<HostKeySlotInfo> Device::query_host_key_slot() noexcept {
    // Never protected: this is how the counter is (re)synchronised (§7.1).
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(Tag::host_key_slot)};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange(Command::query, cmd, Protection{}, 4));
    return parse_host_key_slot(rsp);
}

Result<LifeCycle> Device::query_life_cycle() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::life_cycle, 1));
    return parse_life_cycle(rsp);
}

Result<I2cParameters> Device::query_i2c_parameters() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::i2c_parameters, 2));
    return parse_i2c_parameters(rsp);
}

Result<CommandAuthorizationTable> Device::query_command_authorization() noexcept {
    // Unprotected on purpose: the table itself decides what needs protection.
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(Tag::command_authorization)};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange(Command::query, cmd, Protection{}, 29));
    auto table = parse_command_authorization(rsp);
    if (table) m_command_table = *table;
    return table;
}

Result<EnvelopeKeyTable> Device::query_local_envelope_keys() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::local_envelope_keys, 7));
    return parse_local_envelope_keys(rsp);
}

Result<Curve> Device::slot_curve(std::uint8_t slot) noexcept {
    if (slot < m_slot_curves.size() && m_slot_curves[slot]) return *m_slot_curves[slot];
    SEBIND_TRY_ASSIGN(KeyTable table, query_key_table());
    const KeySlotInfo* s = table.find(slot);
    if (!s || !s->present) return Status(Errc::does_not_exist);
    if (!s->curve) return Status(Errc::not_supported);
    return *s->curve;
}

}  // namespace sebind::stsafe
