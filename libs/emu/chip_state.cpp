// SPDX-License-Identifier: Apache-2.0
// Blank A110 layout and the state file codec ("SEBEMU" v1 + SHA-256).
#include "chip_state.hpp"

#include <cstring>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "sebind/core/reader.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::emu {

ZoneState* ChipState::zone(std::uint8_t index) noexcept {
    for (ZoneState& z : zones)
        if (z.index == index) return &z;
    return nullptr;
}

const CommandAcState* ChipState::command(std::uint8_t code) const noexcept {
    for (const CommandAcState& c : command_table)
        if (c.code == code) return &c;
    return nullptr;
}

ChipState blank_a110(const std::array<std::uint8_t, 9>& serial) {
    ChipState s;
    // Product data TLVs of a real A110 (§4.14 tag 0x11), serial replaced, and Perso ID (0x0B)
    // set to "EMU": how tools recognise the emulator (docs/emulator.md).
    constexpr std::uint8_t head[] = {0x01, 0x03, 0xAA, 0x46, 0x02, 0x02, 0x09};
    constexpr std::uint8_t rest[] = {0x03, 0x02, 0x01, 0xFB, 0x04, 0x02, 0x00, 0x40, 0x05, 0x02, 0x18, 0xE8,
                                     0x06, 0x02, 0x93, 0x11, 0x07, 0x01, 0x45, 0x08, 0x02, 0x93, 0x51, 0x09,
                                     0x03, 0x00, 0x00, 0x00, 0x0A, 0x03, 0x00, 0x00, 0x00, 0x0B, 0x03, 'E',
                                     'M',  'U',  0x0C, 0x03, 0x00, 0x00, 0x00, 0x0D, 0x03, 0x00, 0x00, 0x00};
    std::array<std::uint8_t, sizeof head + 9 + sizeof rest> pd{};
    std::memcpy(pd.data(), head, sizeof head);
    std::memcpy(pd.data() + sizeof head, serial.data(), serial.size());
    std::memcpy(pd.data() + sizeof head + serial.size(), rest, sizeof rest);
    s.product_data.assign(pd.begin(), pd.end());

    // Zone layout of a real A110 (§6.2). Counter zones start at 0x00FFFFFF [I].
    struct Layout {
        std::uint8_t index;
        stsafe::ZoneType type;
        std::uint8_t ac;
        std::uint16_t size;
    };
    const Layout layout[] = {
        {0, stsafe::ZoneType::data, 0x07, 1000},  {1, stsafe::ZoneType::data, 0x08, 700},
        {2, stsafe::ZoneType::data, 0x08, 600},   {3, stsafe::ZoneType::data, 0x08, 600},
        {4, stsafe::ZoneType::data, 0x08, 1696},  {5, stsafe::ZoneType::counter, 0x08, 64},
        {6, stsafe::ZoneType::counter, 0x08, 64}, {7, stsafe::ZoneType::data, 0x08, 1578},
    };
    for (const Layout& l : layout) {
        ZoneState z;
        z.index = l.index;
        z.type = l.type;
        z.ac = l.ac;
        z.counter = l.type == stsafe::ZoneType::counter ? 0x00FFFFFF : 0;
        z.data.assign(l.size, 0x00);
        s.zones.push_back(std::move(z));
    }
    // Command authorisation table of a real A110 (§4.14 tag 0x24).
    s.command_table = {{0x08, 0, 0}, {0x09, 0, 0}, {0x0A, 0, 0}, {0x0E, 3, 2}, {0x0F, 3, 1},
                       {0x16, 1, 0}, {0x18, 1, 0}, {0x1B, 0, 0}, {0x1C, 0, 0}};
    s.slots[0].mode = 0;
    s.slots[1].mode = 0;
    return s;
}

namespace {

// The state file's SHA-256 (mbedTLS 2.28 names the function *_ret, 3.x without the suffix).
void sha256(Bytes data, std::uint8_t (&digest)[32]) {
#if MBEDTLS_VERSION_MAJOR >= 3
    mbedtls_sha256(data.data(), data.size(), digest, 0);
#else
    mbedtls_sha256_ret(data.data(), data.size(), digest, 0);
#endif
}

constexpr std::uint8_t kMagic[8] = {'S', 'E', 'B', 'E', 'M', 'U', 0x00, 0x01};

class Writer {
public:
    void u8(std::uint8_t v) { m_out.push_back(v); }
    void b(bool v) { u8(v ? 1 : 0); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void raw(Bytes data) { m_out.insert(m_out.end(), data.begin(), data.end()); }
    void blob(Bytes data) {
        u16(static_cast<std::uint16_t>(data.size()));
        raw(data);
    }
    std::vector<std::uint8_t>& out() { return m_out; }

private:
    std::vector<std::uint8_t> m_out;
};

bool read_bool(ByteReader& r, bool& out) {
    std::uint8_t v = 0;
    if (!r.u8(v) || v > 1) return false;
    out = v == 1;
    return true;
}

bool read_blob(ByteReader& r, std::vector<std::uint8_t>& out) {
    Bytes b;
    if (!r.len16_bytes(b)) return false;
    out.assign(b.begin(), b.end());
    return true;
}

template <std::size_t N>
bool read_array(ByteReader& r, std::array<std::uint8_t, N>& out) {
    Bytes b;
    if (!r.take(N, b)) return false;
    std::memcpy(out.data(), b.data(), N);
    return true;
}

}  // namespace

std::vector<std::uint8_t> encode_state(const ChipState& s) {
    Writer w;
    w.raw(kMagic);
    w.blob(s.product_data);
    w.u8(s.life_cycle);
    w.raw(s.i2c_parameters);
    for (const KeySlotState& k : s.slots) {
        w.b(k.present);
        w.u8(static_cast<std::uint8_t>(k.curve));
        w.blob(k.private_scalar);
        w.blob(k.x);
        w.blob(k.y);
        w.u16(k.mode);
        w.u16(k.usage_limit);
        w.u16(k.usage_count);
    }
    w.b(s.host_keys_present);
    w.raw(s.host_mac_key);
    w.raw(s.host_cipher_key);
    w.u32(s.sequence_counter);
    for (const EnvelopeKeyState& e : s.envelope_keys) {
        w.b(e.present);
        w.u8(e.type);
        w.raw(e.key);
    }
    w.b(s.password_present);
    w.raw(s.password);
    w.u8(s.password_tries);
    w.u8(s.command_change_rights);
    w.u8(static_cast<std::uint8_t>(s.command_table.size()));
    for (const CommandAcState& c : s.command_table) {
        w.u8(c.code);
        w.u8(c.ac);
        w.u8(c.encryption);
    }
    w.u8(static_cast<std::uint8_t>(s.zones.size()));
    for (const ZoneState& z : s.zones) {
        w.u8(z.index);
        w.u8(static_cast<std::uint8_t>(z.type));
        w.u8(z.ac);
        w.u32(z.counter);
        w.blob(z.data);
    }
    std::uint8_t digest[32];
    sha256(w.out(), digest);
    w.raw(digest);
    return std::move(w.out());
}

Result<ChipState> decode_state(Bytes data) {
    constexpr Errc kBad = Errc::corrupted_data;
    if (data.size() < sizeof kMagic + 32 || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) return kBad;
    const Bytes body = data.first(data.size() - 32);
    std::uint8_t digest[32];
    sha256(body, digest);
    if (!constant_time_equal(Bytes(digest, 32), data.last(32))) return kBad;

    ByteReader r(body.subspan(sizeof kMagic));
    ChipState s;
    std::uint8_t curve = 0, count = 0;
    if (!read_blob(r, s.product_data) || !r.u8(s.life_cycle) || !read_array(r, s.i2c_parameters)) return kBad;
    for (KeySlotState& k : s.slots) {
        if (!read_bool(r, k.present) || !r.u8(curve) || curve > 3) return kBad;
        k.curve = static_cast<stsafe::Curve>(curve);
        if (!read_blob(r, k.private_scalar) || !read_blob(r, k.x) || !read_blob(r, k.y)) return kBad;
        if (!r.be16(k.mode) || !r.be16(k.usage_limit) || !r.be16(k.usage_count)) return kBad;
        const std::size_t n = stsafe::curve_info(k.curve).coordinate_size;
        if (k.present && (k.private_scalar.size() != n || k.x.size() != n || k.y.size() != n)) return kBad;
    }
    if (!read_bool(r, s.host_keys_present) || !read_array(r, s.host_mac_key) || !read_array(r, s.host_cipher_key) ||
        !r.be32(s.sequence_counter) || s.sequence_counter > 0xFFFFFF)
        return kBad;
    for (EnvelopeKeyState& e : s.envelope_keys)
        if (!read_bool(r, e.present) || !r.u8(e.type) || e.type > 1 || !read_array(r, e.key)) return kBad;
    if (!read_bool(r, s.password_present) || !read_array(r, s.password) || !r.u8(s.password_tries)) return kBad;
    if (s.password_tries > kPasswordTries) return kBad;
    // Bounds that keep every Query answer inside the I/O buffer, and no duplicate entries, so a
    // state that passes here is one the chip can serve (the state file is fuzzed, §11).
    if (!r.u8(s.command_change_rights) || !r.u8(count) || count > kMaxCommandRecords) return kBad;
    for (std::uint8_t i = 0; i < count; ++i) {
        CommandAcState c;
        if (!r.u8(c.code) || !r.u8(c.ac) || !r.u8(c.encryption) || s.command(c.code)) return kBad;
        s.command_table.push_back(c);
    }
    if (!r.u8(count) || count > stsafe::kMaxZones) return kBad;
    for (std::uint8_t i = 0; i < count; ++i) {
        ZoneState z;
        std::uint8_t type = 0;
        if (!r.u8(z.index) || !r.u8(type) || type > 1 || !r.u8(z.ac) || !r.be32(z.counter) || !read_blob(r, z.data) ||
            s.zone(z.index))
            return kBad;
        z.type = static_cast<stsafe::ZoneType>(type);
        s.zones.push_back(std::move(z));
    }
    if (!r.at_end() || s.product_data.size() > 128) return kBad;
    return s;
}

}  // namespace sebind::emu
