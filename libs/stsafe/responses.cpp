// SPDX-License-Identifier: Apache-2.0
// Response payload parsers (§4.14-§4.17, §5.4, §6.3). Untrusted input: every length is checked
// with ByteReader, nothing is read beyond the payload, impossible values are rejected.
#include "sebind/stsafe/responses.hpp"

#include <cstring>

#include "sebind/core/reader.hpp"

namespace sebind::stsafe {

namespace {
constexpr Errc kBad = Errc::invalid_response;
}

Result<ProductData> parse_product_data(Bytes payload) noexcept {
    // A sequence of tag, length, value records (§4.14 tag 0x11).
    ProductData out;
    if (payload.size() > out.raw.capacity()) return kBad;
    out.raw.assign(payload);
    ByteReader r(payload);
    bool have_mask = false;
    while (r.remaining() > 0) {
        std::uint8_t tag = 0, len = 0;
        Bytes value;
        if (!r.u8(tag) || !r.u8(len) || !r.take(len, value)) return kBad;
        auto u16 = [&](std::uint16_t& field) {
            if (len == 2) field = load_be16(value.data());
        };
        switch (tag) {
            case 0x01:
                if (len != 3) return kBad;
                std::memcpy(out.mask_id.data(), value.data(), 3);
                have_mask = true;
                break;
            case 0x02:
                if (len != 9) return kBad;
                std::memcpy(out.product_number.data(), value.data(), 9);
                break;
            case 0x03: u16(out.io_buffer_size); break;
            case 0x04: u16(out.atomicity_buffer_size); break;
            case 0x05: u16(out.nvm_size); break;
            case 0x06: u16(out.test_date); break;
            case 0x07:
                if (len == 1) out.internal_product_version = value[0];
                break;
            case 0x08: u16(out.module_date); break;
            default: break;  // A110 traceability TLVs (0x09..0x0D) stay in `raw`.
        }
    }
    if (!have_mask) return kBad;
    return out;
}

Result<PartitionInfo> parse_partition(Bytes payload) noexcept {
    ByteReader r(payload);
    PartitionInfo out;
    if (!r.u8(out.zone_count) || out.zone_count > kMaxZones) return kBad;
    for (std::size_t i = 0; i < out.zone_count; ++i) {
        ZoneInfo& z = out.zones[i];
        std::uint8_t type = 0, ac = 0;
        if (!r.u8(z.index) || !r.u8(type) || !r.u8(ac) || !r.be16(z.size)) return kBad;
        if (type > 1) return kBad;
        z.type = static_cast<ZoneType>(type);
        // AC byte: bit 7 read CR, bits 6..4 read AC, bit 3 update CR, bits 2..0 update AC.
        z.read_change_right = (ac & 0x80) != 0;
        z.read_ac = static_cast<std::uint8_t>((ac >> 4) & 0x07);
        z.update_change_right = (ac & 0x08) != 0;
        z.update_ac = static_cast<std::uint8_t>(ac & 0x07);
        if (z.type == ZoneType::counter && !r.be32(z.counter)) return kBad;
    }
    if (!r.at_end()) return kBad;
    return out;
}

Result<KeyTable> parse_key_table(Bytes payload) noexcept {
    ByteReader r(payload);
    KeyTable out;
    if (!r.u8(out.slot_count) || out.slot_count > kMaxKeySlots) return kBad;
    if (!r.u8(out.filler) || !r.be16(out.global_usage_limit)) return kBad;
    for (std::size_t i = 0; i < out.slot_count; ++i) {
        KeySlotInfo& s = out.slots[i];
        std::uint8_t presence = 0;
        if (!r.u8(s.slot) || !r.u8(presence) || !r.be16(s.mode)) return kBad;
        s.present = (presence & 0x01) != 0;
        if (s.present) {
            Bytes oid;
            if (!r.len16_bytes(oid)) return kBad;
            s.curve = curve_from_oid(oid);
        }
    }
    if (!r.at_end()) return kBad;
    return out;
}

Result<HostKeySlotInfo> parse_host_key_slot(Bytes payload) noexcept {
    ByteReader r(payload);
    HostKeySlotInfo out;
    std::uint8_t presence = 0;
    if (!r.u8(presence) || presence > 1) return kBad;
    out.present = presence == 1;
    // The counter bytes may be absent when no key is present (§4.14 tag 0x17 [I]).
    if (r.remaining() == 0 && !out.present) return out;
    if (!r.be24(out.counter) || !r.at_end()) return kBad;
    return out;
}

Result<LifeCycle> parse_life_cycle(Bytes payload) noexcept {
    if (payload.size() != 1) return kBad;
    switch (payload[0]) {
        case 0x01:
        case 0x03:
        case 0x04:
        case 0x81:
        case 0x83: return static_cast<LifeCycle>(payload[0]);
        default: return kBad;
    }
}

Result<I2cParameters> parse_i2c_parameters(Bytes payload) noexcept {
    if (payload.size() != 2 || (payload[0] & 0x01) != 0) return kBad;
    I2cParameters out;
    out.address = static_cast<std::uint8_t>(payload[0] >> 1);
    out.locked = (payload[1] & 0x01) != 0;
    out.low_power_mode = static_cast<std::uint8_t>((payload[1] >> 1) & 0x03);
    return out;
}

Result<CommandAuthorizationTable> parse_command_authorization(Bytes payload) noexcept {
    ByteReader r(payload);
    CommandAuthorizationTable out;
    if (!r.u8(out.change_rights) || !r.u8(out.count) || out.count > kMaxCommandAuthorizations) return kBad;
    for (std::size_t i = 0; i < out.count; ++i) {
        CommandAuthorization& rec = out.records[i];
        std::uint8_t ac = 0;
        if (!r.u8(rec.code) || !r.u8(ac) || !r.u8(rec.encryption_flags)) return kBad;
        if (ac > static_cast<std::uint8_t>(CommandAccess::admin_or_host) || rec.encryption_flags > 3) return kBad;
        rec.access = static_cast<CommandAccess>(ac);
    }
    if (!r.at_end()) return kBad;
    return out;
}

Result<EnvelopeKeyTable> parse_local_envelope_keys(Bytes payload) noexcept {
    ByteReader r(payload);
    EnvelopeKeyTable out;
    if (!r.u8(out.count) || out.count > out.slots.size()) return kBad;
    for (std::size_t i = 0; i < out.count; ++i) {
        EnvelopeKeySlot& s = out.slots[i];
        std::uint8_t presence = 0;
        if (!r.u8(s.slot) || !r.u8(presence)) return kBad;
        s.present = presence != 0;
        if (s.present) {
            std::uint8_t type = 0;
            if (!r.u8(type) || type > 1) return kBad;
            s.type = static_cast<EnvelopeKeyType>(type);
        }
    }
    if (!r.at_end()) return kBad;
    return out;
}

Result<PublicKey> parse_public_key(Bytes payload, Curve curve) noexcept {
    const std::size_t n = curve_info(curve).coordinate_size;
    ByteReader r(payload);
    std::uint8_t format = 0;
    Bytes x, y;
    if (!r.u8(format) || format != 0x04 || !r.len16_bytes(x) || !r.len16_bytes(y) || !r.at_end()) return kBad;
    if (x.size() != n || y.size() != n) return kBad;
    PublicKey out;
    out.curve = curve;
    out.x.assign(x);
    out.y.assign(y);
    return out;
}

Result<std::size_t> write_public_key(const PublicKey& key, MutableBytes out) noexcept {
    const std::size_t n = curve_info(key.curve).coordinate_size;
    if (key.x.size() != n || key.y.size() != n) return Errc::invalid_argument;
    const std::size_t size = 1 + 2 + n + 2 + n;
    if (out.size() < size) return Errc::buffer_too_small;
    out[0] = 0x04;
    store_be16(&out[1], static_cast<std::uint16_t>(n));
    std::memcpy(&out[3], key.x.data(), n);
    store_be16(&out[3 + n], static_cast<std::uint16_t>(n));
    std::memcpy(&out[5 + n], key.y.data(), n);
    return size;
}

namespace {
/// Left-pads an unsigned big-endian integer of 1..n bytes to exactly `n` bytes (§4.15: the legacy
/// middleware and wolfSSL read the length prefixes rather than assume the curve size).
bool fit_integer(Bytes value, std::size_t n, ByteBuffer<kMaxCoordinateSize>& out) noexcept {
    if (value.size() > n || value.empty()) return false;
    out.resize(n);
    std::memset(out.data(), 0, n - value.size());
    std::memcpy(out.data() + (n - value.size()), value.data(), value.size());
    return true;
}
}  // namespace

Result<Signature> parse_signature(Bytes payload, Curve curve) noexcept {
    const std::size_t n = curve_info(curve).coordinate_size;
    ByteReader r(payload);
    Bytes rv, sv;
    if (!r.len16_bytes(rv) || !r.len16_bytes(sv) || !r.at_end()) return kBad;
    Signature out;
    out.curve = curve;
    if (!fit_integer(rv, n, out.r) || !fit_integer(sv, n, out.s)) return kBad;
    return out;
}

Result<SharedSecret> parse_shared_secret(Bytes payload, Curve curve) noexcept {
    ByteReader r(payload);
    Bytes secret;
    if (!r.len16_bytes(secret) || !r.at_end() || secret.size() != curve_info(curve).coordinate_size) return kBad;
    SharedSecret out;
    out.value.assign(secret);
    return out;
}

Result<std::size_t> der_total_length(Bytes first) noexcept {
    if (first.size() < 2 || first[0] != 0x30) return kBad;
    if (first[1] < 0x80) return std::size_t{first[1]} + 2;
    if (first[1] == 0x81) {
        if (first.size() < 3 || first[2] < 0x80) return kBad;
        return std::size_t{first[2]} + 3;
    }
    if (first[1] == 0x82) {
        if (first.size() < 4) return kBad;
        const std::size_t len = load_be16(&first[2]);
        if (len < 0x100) return kBad;
        return len + 4;
    }
    return kBad;
}

}  // namespace sebind::stsafe
