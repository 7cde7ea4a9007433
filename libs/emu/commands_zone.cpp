// SPDX-License-Identifier: Apache-2.0
// Emulator handlers for the data partition: Read, Update, Decrement, access conditions (§4.6-§4.8,
// §6). NVM model: an atomic Update is one all-or-nothing write; a plain Update one write per
// 64-byte page, which a power loss can tear inside the page.
#include <algorithm>
#include <cstring>

#include "chip_impl.hpp"

namespace sebind::emu {

namespace ds = stsafe;

namespace {
constexpr std::size_t kPage = ds::kAtomicityBufferSize;
constexpr std::uint8_t read_ac_of(std::uint8_t ac_byte) { return static_cast<std::uint8_t>((ac_byte >> 4) & 0x07); }
constexpr std::uint8_t update_ac_of(std::uint8_t ac_byte) { return static_cast<std::uint8_t>(ac_byte & 0x07); }
}  // namespace

std::uint8_t ChipImpl::check_zone_ac(std::uint8_t ac, const Request& req) const noexcept {
    // 0 always; 1 host C-MAC on this very command; every other value is unsatisfiable (§6.1 [I]).
    if (ac == static_cast<std::uint8_t>(ds::ZoneAccess::always)) return 0x00;
    if (ac == static_cast<std::uint8_t>(ds::ZoneAccess::host) && req.host_mac) return 0x00;
    return 0x11;
}

std::uint8_t ChipImpl::apply_ac_change(ZoneState& zone, std::uint8_t option, bool read_ac) noexcept {
    if (!(option & 0x10)) return (option & 0x0F) ? 0x02 : 0x00;
    const std::uint8_t shift = read_ac ? 4 : 0;
    const bool change_right = (zone.ac >> (shift + 3)) & 0x01;
    const std::uint8_t current = static_cast<std::uint8_t>((zone.ac >> shift) & 0x07);
    const std::uint8_t wanted = option & 0x07;
    const bool keep_right = (option & 0x08) != 0;
    // Only with the change right, and only towards a stricter (numerically higher) condition
    // (§6.1; reverting HOST to ALWAYS returned 0x11 on hardware).
    if (!change_right || wanted < current) return 0x11;
    const std::uint8_t mask = static_cast<std::uint8_t>(0x0F << shift);
    zone.ac = static_cast<std::uint8_t>((zone.ac & ~mask) | ((wanted | (keep_right ? 0x08 : 0)) << shift));
    return 0x00;
}

std::uint8_t ChipImpl::cmd_read(const Request& req, Reply& reply) noexcept {
    if (req.payload.size() != 6) return 0x02;
    const std::uint8_t option = req.payload[0];
    if (option & 0xE0) return 0x02;
    ZoneState* zone = m_state.zone(req.payload[1]);
    if (!zone) return 0x10;
    if (std::uint8_t st = check_zone_ac(read_ac_of(zone->ac), req)) return st;
    const std::size_t offset = load_be16(&req.payload[2]);
    const std::size_t length = load_be16(&req.payload[4]);
    const bool counter = zone->type == ds::ZoneType::counter;
    if (length + (counter ? 4 : 0) > ds::kMaxReadChunk) return 0x06;
    if (offset + length > zone->data.size()) return 0x14;
    if (option & 0x10) {
        ZoneState changed = *zone;
        if (std::uint8_t st = apply_ac_change(changed, option, true)) return st;
        *zone = std::move(changed);
        if (!nvm_write()) return kNoResponse;
    } else if (option & 0x0F) {
        return 0x02;
    }
    if (counter) {
        std::uint8_t c[4];
        store_be32(c, zone->counter);
        reply.put(c);
    }
    reply.put(Bytes(zone->data).subspan(offset, length));
    return 0x00;
}

std::uint8_t ChipImpl::cmd_update(const Request& req, Reply&) noexcept {
    if (req.payload.size() < 4) return 0x02;
    const std::uint8_t option = req.payload[0];
    if (option & 0x60) return 0x02;
    const bool atomic = (option & 0x80) != 0;
    ZoneState* zone = m_state.zone(req.payload[1]);
    if (!zone) return 0x10;
    if (std::uint8_t st = check_zone_ac(update_ac_of(zone->ac), req)) return st;
    const std::size_t offset = load_be16(&req.payload[2]);
    const Bytes data = req.payload.subspan(4);
    if (data.empty() && !(option & 0x10)) return 0x02;
    if (atomic && data.size() > ds::kAtomicityBufferSize) return 0x06;
    if (offset + data.size() > zone->data.size()) return 0x14;
    ZoneState target = *zone;
    if (std::uint8_t st = apply_ac_change(target, static_cast<std::uint8_t>(option & 0x1F), false)) return st;
    const std::uint8_t final_ac = target.ac;

    if (atomic || data.empty()) {
        if (!data.empty()) std::memcpy(zone->data.data() + offset, data.data(), data.size());
        zone->ac = final_ac;
        return nvm_write() ? 0x00 : kNoResponse;
    }
    // Page by page: a power loss leaves earlier pages new, later pages old and the page being
    // written torn anywhere inside (a prefix new, the rest old) [I].
    std::size_t done = 0;
    while (done < data.size()) {
        const std::size_t at = offset + done;
        const std::size_t n = std::min(data.size() - done, kPage - at % kPage);
        std::uint8_t previous[kPage];
        std::memcpy(previous, zone->data.data() + at, n);
        std::memcpy(zone->data.data() + at, data.data() + done, n);
        done += n;
        const PageWrite page{zone->data.data() + at, Bytes(previous, n), &zone->ac, zone->ac};
        if (done == data.size()) zone->ac = final_ac;
        if (!nvm_write(&page)) return kNoResponse;
    }
    return 0x00;
}

std::uint8_t ChipImpl::cmd_decrement(const Request& req, Reply& reply) noexcept {
    if (req.payload.size() < 8) return 0x02;
    const std::uint8_t option = req.payload[0];
    if (option & 0xE0) return 0x02;
    ZoneState* zone = m_state.zone(req.payload[1]);
    if (!zone) return 0x10;
    if (zone->type != ds::ZoneType::counter) return 0x12;
    if (std::uint8_t st = check_zone_ac(update_ac_of(zone->ac), req)) return st;
    const std::size_t offset = load_be16(&req.payload[2]);
    const std::uint32_t amount = load_be32(&req.payload[4]);
    const Bytes data = req.payload.subspan(8);
    if (offset + data.size() > zone->data.size()) return 0x14;
    if (amount == 0) return 0x03;
    // A one-way counter never goes below zero (§6.1).
    if (amount > zone->counter) return 0x13;
    ZoneState target = *zone;
    if (std::uint8_t st = apply_ac_change(target, option, false)) return st;
    target.counter -= amount;
    if (!data.empty()) std::memcpy(target.data.data() + offset, data.data(), data.size());
    *zone = std::move(target);
    if (!nvm_write()) return kNoResponse;
    std::uint8_t c[4];
    store_be32(c, zone->counter);
    reply.put(c);
    return 0x00;
}

}  // namespace sebind::emu
