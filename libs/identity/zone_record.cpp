// SPDX-License-Identifier: Apache-2.0
// Identity-zone layout codec: header (magic, version, active copy, generation, slot, curve,
// record size, record digest, CRC-16) and records (public key + certificate).
#include "sebind/identity/zone_record.hpp"

#include <cstring>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "sebind/core/reader.hpp"
#include "sebind/stsafe/crc.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::identity {

namespace {
constexpr std::uint8_t kMagic[4] = {'S', 'B', 'I', 'D'};
constexpr std::uint8_t kVersion = 1;
}  // namespace

std::array<std::uint8_t, kHeaderSize> encode_header(const ZoneHeader& h) noexcept {
    std::array<std::uint8_t, kHeaderSize> out{};
    std::memcpy(out.data(), kMagic, 4);
    out[4] = kVersion;
    out[5] = h.active_copy;
    store_be32(&out[6], h.generation);
    out[10] = h.slot;
    out[11] = static_cast<std::uint8_t>(h.curve);
    store_be16(&out[12], h.record_size);
    std::memcpy(&out[14], h.record_digest.data(), 16);
    store_be16(&out[30], stsafe::crc16(Bytes(out.data(), 30)));
    return out;
}

Result<ZoneHeader> decode_header(Bytes data) noexcept {
    if (data.size() < kHeaderSize || std::memcmp(data.data(), kMagic, 4) != 0) return Errc::does_not_exist;
    if (data[4] != kVersion || stsafe::crc16(data.first(30)) != load_be16(&data[30])) return Errc::corrupted_data;
    ZoneHeader h;
    h.active_copy = data[5];
    h.generation = load_be32(&data[6]);
    h.slot = data[10];
    h.record_size = load_be16(&data[12]);
    std::memcpy(h.record_digest.data(), &data[14], 16);
    if (h.active_copy > 1 || data[11] > 3) return Errc::corrupted_data;
    h.curve = static_cast<stsafe::Curve>(data[11]);
    return h;
}

std::vector<std::uint8_t> encode_record(const Record& r) {
    std::vector<std::uint8_t> out(1 + 4 + 2 * stsafe::kMaxCoordinateSize);
    auto n = stsafe::write_public_key(r.public_key, out);
    out.resize(n ? *n : 0);
    out.push_back(static_cast<std::uint8_t>(r.certificate.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(r.certificate.size()));
    out.insert(out.end(), r.certificate.begin(), r.certificate.end());
    return out;
}

Result<Record> decode_record(Bytes data, stsafe::Curve curve) {
    const std::size_t key_size = 5 + 2 * stsafe::curve_info(curve).coordinate_size;
    if (data.size() < key_size) return Errc::corrupted_data;
    auto key = stsafe::parse_public_key(data.first(key_size), curve);
    if (!key) return Errc::corrupted_data;
    ByteReader r(data.subspan(key_size));
    Bytes der;
    if (!r.len16_bytes(der) || !r.at_end()) return Errc::corrupted_data;
    Record out;
    out.public_key = *key;
    out.certificate.assign(der.begin(), der.end());
    return out;
}

std::array<std::uint8_t, 16> record_digest(Bytes record) noexcept {
    std::uint8_t full[32];
#if MBEDTLS_VERSION_MAJOR >= 3
    mbedtls_sha256(record.data(), record.size(), full, 0);
#else
    mbedtls_sha256_ret(record.data(), record.size(), full, 0);
#endif
    std::array<std::uint8_t, 16> out{};
    std::memcpy(out.data(), full, 16);
    return out;
}

CopyArea copy_area(std::size_t zone_size, std::uint8_t index) noexcept {
    if (zone_size <= kHeaderArea) return {};
    const std::size_t size = (zone_size - kHeaderArea) / 2;
    return {kHeaderArea + index * size, size};
}

Result<Record> decode_zone_image(Bytes zone) {
    auto h = decode_header(zone);
    if (!h) return h.status();
    const CopyArea area = copy_area(zone.size(), h->active_copy);
    if (h->record_size > area.size || area.offset + h->record_size > zone.size()) return Errc::corrupted_data;
    const Bytes record = zone.subspan(area.offset, h->record_size);
    if (record_digest(record) != h->record_digest) return Errc::corrupted_data;
    return decode_record(record, h->curve);
}

}  // namespace sebind::identity
