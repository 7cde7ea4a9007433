// SPDX-License-Identifier: Apache-2.0
// Lookups on the typed query results.
#include "sebind/stsafe/types.hpp"

namespace sebind::stsafe {

const ZoneInfo* PartitionInfo::find(std::uint8_t index) const noexcept {
    for (std::size_t i = 0; i < zone_count && i < zones.size(); ++i)
        if (zones[i].index == index) return &zones[i];
    return nullptr;
}

const KeySlotInfo* KeyTable::find(std::uint8_t slot) const noexcept {
    for (std::size_t i = 0; i < slot_count && i < slots.size(); ++i)
        if (slots[i].slot == slot) return &slots[i];
    return nullptr;
}

const CommandAuthorization* CommandAuthorizationTable::find(Command c) const noexcept {
    for (std::size_t i = 0; i < count && i < records.size(); ++i)
        if (records[i].code == static_cast<std::uint8_t>(c)) return &records[i];
    return nullptr;
}

Product product_from_mask(const std::array<std::uint8_t, 3>& mask_id) noexcept {
    // STSELib's rule on the last two mask-ID bytes (§4.14 tag 0x11).
    const std::uint16_t v = static_cast<std::uint16_t>((mask_id[1] << 8) | mask_id[2]);
    if (v >= 0x6000) return Product::a120;
    if (v >= 0x4600) return Product::a110;
    if (v >= 0x4000) return Product::a100;
    return Product::unknown;
}

const char* to_string(Product p) noexcept {
    switch (p) {
        case Product::a100: return "STSAFE-A100";
        case Product::a110: return "STSAFE-A110";
        case Product::a120: return "STSAFE-A120";
        case Product::unknown: break;
    }
    return "unknown";
}

}  // namespace sebind::stsafe
