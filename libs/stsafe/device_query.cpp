// SPDX-License-Identifier: Apache-2.0
// Query commands (§4.14) and the caches built on them: command-AC table, zone ACs, key table.
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::stsafe {

namespace {

// First-read sizes for a real A110 (§4.14): one read when the chip answers as expected, a second
// whole read otherwise.
constexpr std::size_t kProductDataSize = 64;
constexpr std::size_t kPartitionSize = 1 + 6 * 5 + 2 * 9;                 // §6.2: 6 data + 2 counter zones
constexpr std::size_t kKeyTableSize = 4 + (4 + 2 + 8) + (4 + 2 + 9) + 4;  // slot 0 P-256, slot 1, 0xFF
constexpr std::size_t kCommandTableSize = 2 + 9 * 3;

}  // namespace

Result<Bytes> Device::query(Tag tag, std::size_t expected_payload) noexcept {
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(tag)};
    return exchange_auto(Command::query, cmd, expected_payload);
}

Result<ProductData> Device::query_product_data() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::product_data, kProductDataSize));
    return parse_product_data(rsp);
}

Result<PartitionInfo> Device::query_partition() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::data_partition, kPartitionSize));
    auto info = parse_partition(rsp);
    if (info) m_partition = *info;
    return info;
}

Result<KeyTable> Device::query_key_table() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::private_key_table, kKeyTableSize));
    auto table = parse_key_table(rsp);
    if (table) m_key_table = *table;
    return table;
}

Result<const KeyTable*> Device::key_table() noexcept {
    if (!m_key_table) SEBIND_TRY(query_key_table().status());
    return &*m_key_table;
}

Result<HostKeySlotInfo> Device::query_host_key_slot() noexcept {
    // Never protected (protection_for): this is how the counter is learnt (§7.1).
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::host_key_slot, 4));
    auto info = parse_host_key_slot(rsp);
    // A fresh reading is as good as a sync.
    if (info && info->present && m_host_keys) m_counter = info->counter;
    return info;
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
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::command_authorization, kCommandTableSize));
    auto table = parse_command_authorization(rsp);
    if (table) m_command_table = *table;
    return table;
}

Result<EnvelopeKeyTable> Device::query_local_envelope_keys() noexcept {
    SEBIND_TRY_ASSIGN(Bytes rsp, query(Tag::local_envelope_keys, 7));
    return parse_local_envelope_keys(rsp);
}

Result<Curve> Device::slot_curve(std::uint8_t slot) noexcept {
    const KeySlotInfo* s = nullptr;
    KeyTable fresh;
    if (slot == kSlotEphemeral) {
        // The ephemeral key is volatile (used once, lost on reset): remember only the one we made,
        // and otherwise ask the chip every time.
        if (m_ephemeral_curve) return *m_ephemeral_curve;
        SEBIND_TRY_ASSIGN(fresh, query_key_table());
        s = fresh.find(slot);
    } else {
        SEBIND_TRY_ASSIGN(const KeyTable* table, key_table());
        s = table->find(slot);
    }
    if (s == nullptr || !s->present) return Status(Errc::does_not_exist);
    if (!s->curve) return Status(Errc::not_supported);
    return *s->curve;
}

}  // namespace sebind::stsafe
