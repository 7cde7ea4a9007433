// SPDX-License-Identifier: Apache-2.0
// MQTT 5.0 properties (§2.2.2): one table gives each identifier's type, the packets it may
// appear in and its storage slot; encode, decode and validation all read that table.
#include "sebind/mqtt/codec/properties.hpp"

#include <array>

#include "sebind/core/contract.hpp"
#include "sebind/mqtt/codec/topic.hpp"
#include "wire.hpp"

namespace sebind::mqtt {

// Private state for the table-driven code below (const in, const out).
struct PropertiesAccess {
    template <class P>
    static auto& present(P& p) {
        return p.m_present;
    }
    template <class P>
    static auto& numbers(P& p) {
        return p.m_numbers;
    }
    template <class P>
    static auto& strings(P& p) {
        return p.m_strings;
    }
    template <class P>
    static auto& raw(P& p) {
        return p.m_raw;
    }
    template <class P>
    static auto& user_count(P& p) {
        return p.m_user_count;
    }
};

namespace {

enum class Kind : std::uint8_t { none, byte, two, four, varint, text, binary, pair };

constexpr std::uint16_t ctx(PropertyContext c) { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(c)); }
using C = PropertyContext;
constexpr std::uint16_t kPublishWill = ctx(C::publish) | ctx(C::will);
constexpr std::uint16_t kAll = ctx(C::will) | ctx(C::connect) | ctx(C::connack) | ctx(C::publish) | ctx(C::puback) |
                               ctx(C::pubrec) | ctx(C::pubrel) | ctx(C::pubcomp) | ctx(C::subscribe) | ctx(C::suback) |
                               ctx(C::unsubscribe) | ctx(C::unsuback) | ctx(C::disconnect) | ctx(C::auth);

struct Spec {
    Kind kind = Kind::none;
    std::uint8_t slot = 0;       // index into numbers or strings
    std::uint16_t contexts = 0;  // where it may appear (§2.2.2.2, table 2-4)
    std::uint32_t fallback = 0;  // the spec's default when absent
    bool boolean = false;        // only 0 or 1 allowed
    bool non_zero = false;       // 0 is a Protocol Error
};

constexpr std::array<Spec, 43> make_table() {
    std::array<Spec, 43> t{};
    auto num = [&](unsigned id, Kind k, std::uint8_t slot, std::uint16_t c, std::uint32_t def = 0, bool boolean = false,
                   bool non_zero = false) { t[id] = Spec{k, slot, c, def, boolean, non_zero}; };
    auto str = [&](unsigned id, Kind k, std::uint8_t slot, std::uint16_t c) {
        t[id] = Spec{k, slot, c, 0, false, false};
    };
    num(0x01, Kind::byte, 0, kPublishWill, 0, true);                                   // payload format (§3.3.2.3.2)
    num(0x02, Kind::four, 1, kPublishWill);                                            // message expiry
    str(0x03, Kind::text, 0, kPublishWill);                                            // content type
    str(0x08, Kind::text, 1, kPublishWill);                                            // response topic
    str(0x09, Kind::binary, 2, kPublishWill);                                          // correlation data
    num(0x0B, Kind::varint, 2, ctx(C::publish) | ctx(C::subscribe), 0, false, true);   // subscription id (§3.8.2.1.2)
    num(0x11, Kind::four, 3, ctx(C::connect) | ctx(C::connack) | ctx(C::disconnect));  // session expiry
    str(0x12, Kind::text, 3, ctx(C::connack));                                         // assigned client id
    num(0x13, Kind::two, 4, ctx(C::connack));                                          // server keep alive
    str(0x15, Kind::text, 4, ctx(C::connect) | ctx(C::connack) | ctx(C::auth));        // authentication method
    str(0x16, Kind::binary, 5, ctx(C::connect) | ctx(C::connack) | ctx(C::auth));      // authentication data
    num(0x17, Kind::byte, 5, ctx(C::connect), 1, true);                                // request problem info
    num(0x18, Kind::four, 6, ctx(C::will));                                            // will delay interval
    num(0x19, Kind::byte, 7, ctx(C::connect), 0, true);                                // request response info
    str(0x1A, Kind::text, 6, ctx(C::connack));                                         // response information
    str(0x1C, Kind::text, 7, ctx(C::connack) | ctx(C::disconnect));                    // server reference
    str(0x1F, Kind::text, 8,
        kAll & ~(ctx(C::will) | ctx(C::connect) | ctx(C::publish) | ctx(C::subscribe) | ctx(C::unsubscribe)));
    num(0x21, Kind::two, 8, ctx(C::connect) | ctx(C::connack), 65535, false, true);  // receive maximum (§3.1.2.11.3)
    num(0x22, Kind::two, 9, ctx(C::connect) | ctx(C::connack));                      // topic alias maximum
    num(0x23, Kind::two, 10, ctx(C::publish), 0, false, true);                       // topic alias (§3.3.2.3.4)
    num(0x24, Kind::byte, 11, ctx(C::connack), 2, true);                             // maximum QoS (0 or 1 when sent)
    num(0x25, Kind::byte, 12, ctx(C::connack), 1, true);                             // retain available
    t[0x26] = Spec{Kind::pair, 0, kAll, 0, false, false};                            // user property
    num(0x27, Kind::four, 13, ctx(C::connect) | ctx(C::connack), 0, false, true);  // maximum packet size (§3.1.2.11.4)
    num(0x28, Kind::byte, 14, ctx(C::connack), 1, true);                           // wildcard subscription available
    num(0x29, Kind::byte, 15, ctx(C::connack), 1, true);                           // subscription ids available
    num(0x2A, Kind::byte, 16, ctx(C::connack), 1, true);                           // shared subscription available
    return t;
}

constexpr auto kTable = make_table();

const Spec* spec_of(unsigned id) noexcept {
    if (id >= kTable.size() || kTable[id].kind == Kind::none) return nullptr;
    return &kTable[id];
}

bool is_number(Kind k) { return k == Kind::byte || k == Kind::two || k == Kind::four || k == Kind::varint; }

std::uint64_t bit(unsigned id) { return std::uint64_t{1} << id; }

Error check_value(const Spec& s, std::uint32_t v) noexcept {
    if (s.boolean && v > 1) return Error::bad_property;
    if (s.non_zero && v == 0) return Error::bad_property;
    if (s.kind == Kind::byte && v > 0xFF) return Error::bad_property;
    if (s.kind == Kind::two && v > 0xFFFF) return Error::bad_property;
    if (s.kind == Kind::varint && v > kMaxRemainingLength) return Error::bad_property;
    return Error::ok;
}

}  // namespace

bool Properties::has(PropertyId id) const noexcept { return (m_present & bit(static_cast<unsigned>(id))) != 0; }

std::uint32_t Properties::number(PropertyId id) const noexcept {
    const Spec* s = spec_of(static_cast<unsigned>(id));
    if (s == nullptr || !is_number(s->kind)) return 0;
    return has(id) ? m_numbers[s->slot] : s->fallback;
}

std::string_view Properties::text(PropertyId id) const noexcept {
    const Spec* s = spec_of(static_cast<unsigned>(id));
    if (s == nullptr || s->kind != Kind::text || !has(id)) return {};
    return {reinterpret_cast<const char*>(m_strings[s->slot].data()), m_strings[s->slot].size()};
}

Bytes Properties::binary(PropertyId id) const noexcept {
    const Spec* s = spec_of(static_cast<unsigned>(id));
    if (s == nullptr || s->kind != Kind::binary || !has(id)) return {};
    return m_strings[s->slot];
}

Properties& Properties::set_number(PropertyId id, std::uint32_t value) noexcept {
    const Spec* s = spec_of(static_cast<unsigned>(id));
    SEBIND_EXPECTS(s != nullptr && is_number(s->kind));
    m_numbers[s->slot] = value;
    m_present |= bit(static_cast<unsigned>(id));
    return *this;
}

Properties& Properties::set_text(PropertyId id, std::string_view value) noexcept {
    const Spec* s = spec_of(static_cast<unsigned>(id));
    SEBIND_EXPECTS(s != nullptr && s->kind == Kind::text);
    m_strings[s->slot] = detail::Writer::as_bytes(value);
    m_present |= bit(static_cast<unsigned>(id));
    return *this;
}

Properties& Properties::set_binary(PropertyId id, Bytes value) noexcept {
    const Spec* s = spec_of(static_cast<unsigned>(id));
    SEBIND_EXPECTS(s != nullptr && s->kind == Kind::binary);
    m_strings[s->slot] = value;
    m_present |= bit(static_cast<unsigned>(id));
    return *this;
}

void Properties::clear(PropertyId id) noexcept { m_present &= ~bit(static_cast<unsigned>(id)); }

namespace detail {

bool next_user_property(Bytes block, std::size_t& pos, UserProperty& out) noexcept {
    // The block was validated on decode, so every read below succeeds.
    Reader r(block.subspan(pos));
    while (!r.at_end()) {
        std::uint8_t id = 0;
        std::uint32_t id_value = 0;
        if (!r.varint(id_value)) return false;
        id = static_cast<std::uint8_t>(id_value);
        const Spec* s = spec_of(id);
        if (s == nullptr) return false;
        std::uint8_t b8;
        std::uint16_t b16;
        std::uint32_t b32;
        Bytes bin;
        std::string_view a, b;
        bool ok = true;
        switch (s->kind) {
            case Kind::byte: ok = r.u8(b8); break;
            case Kind::two: ok = r.be16(b16); break;
            case Kind::four: ok = r.be32(b32); break;
            case Kind::varint: ok = r.varint(b32); break;
            case Kind::text:
            case Kind::binary: ok = r.binary(bin); break;
            case Kind::pair:
                if (!r.str(a) || !r.str(b)) return false;
                out = {a, b};
                pos = block.size() - r.remaining();
                return true;
            case Kind::none: return false;
        }
        if (!ok) return false;
    }
    pos = block.size();
    return false;
}

Error check_properties(const Properties& p, PropertyContext c) noexcept {
    const Properties& mp = p;
    const std::uint64_t present = PropertiesAccess::present(mp);
    for (unsigned id = 0; id < kTable.size(); ++id) {
        if ((present & bit(id)) == 0) continue;
        const Spec* s = spec_of(id);
        if (s == nullptr || (s->contexts & ctx(c)) == 0) return Error::bad_property;
        if (is_number(s->kind)) {
            if (check_value(*s, PropertiesAccess::numbers(mp)[s->slot]) != Error::ok) return Error::bad_property;
        } else {
            const Bytes v = PropertiesAccess::strings(mp)[s->slot];
            if (v.size() > kMaxString) return Error::value_too_large;
            if (s->kind == Kind::text && !is_valid_utf8(v)) return Error::bad_utf8;
        }
    }
    if (!p.user_properties.empty() && (kTable[0x26].contexts & ctx(c)) == 0) return Error::bad_property;
    for (const auto& u : p.user_properties) {
        if (u.name.size() > kMaxString || u.value.size() > kMaxString) return Error::value_too_large;
        if (!is_valid_utf8(u.name) || !is_valid_utf8(u.value)) return Error::bad_utf8;
    }
    // A decoded set is re-encodable: its received User Properties were validated on decode.
    return Error::ok;
}

namespace {

void write_property_list(Writer& w, const Properties& p) noexcept {
    const Properties& mp = p;
    const std::uint64_t present = PropertiesAccess::present(mp);
    for (unsigned id = 0; id < kTable.size(); ++id) {
        if ((present & bit(id)) == 0) continue;
        const Spec& s = kTable[id];
        w.varint(id);  // identifiers are Variable Byte Integers (§2.2.2.2); all current ones are 1 byte
        const std::uint32_t v = is_number(s.kind) ? PropertiesAccess::numbers(mp)[s.slot] : 0;
        switch (s.kind) {
            case Kind::byte: w.u8(static_cast<std::uint8_t>(v)); break;
            case Kind::two: w.be16(static_cast<std::uint16_t>(v)); break;
            case Kind::four: w.be32(v); break;
            case Kind::varint: w.varint(v); break;
            case Kind::text:
            case Kind::binary: w.len16(PropertiesAccess::strings(mp)[s.slot]); break;
            case Kind::pair:
            case Kind::none: break;
        }
    }
    p.for_each_user_property([&](const UserProperty& u) {
        w.varint(0x26);
        w.str(u.name);
        w.str(u.value);
    });
}

}  // namespace

void write_properties(Writer& w, const Properties& p) noexcept {
    Writer counter;
    write_property_list(counter, p);
    w.varint(static_cast<std::uint32_t>(counter.size()));
    write_property_list(w, p);
}

Error read_properties(Reader& r, PropertyContext c, Properties& out) noexcept {
    out = Properties{};
    std::uint32_t length = 0;
    Bytes block;
    if (!r.varint(length) || !r.take(length, block)) return r.error();
    PropertiesAccess::raw(out) = block;
    Reader pr(block);
    std::uint64_t& present = PropertiesAccess::present(out);
    while (!pr.at_end()) {
        std::uint32_t id = 0;
        if (!pr.varint(id)) return pr.error();
        const Spec* s = spec_of(id);
        if (s == nullptr || (s->contexts & ctx(c)) == 0) return Error::bad_property;
        if (s->kind == Kind::pair) {
            std::string_view name, value;
            if (!pr.str(name) || !pr.str(value)) return pr.error();
            ++PropertiesAccess::user_count(out);
            continue;
        }
        // Only User Property, and Subscription Identifier in a PUBLISH, may repeat (§3.3.2.3.8).
        const bool repeat_ok = id == 0x0B && c == PropertyContext::publish;
        if ((present & bit(id)) != 0 && !repeat_ok) return Error::bad_property;
        if (is_number(s->kind)) {
            std::uint32_t v = 0;
            std::uint8_t b8 = 0;
            std::uint16_t b16 = 0;
            bool ok = false;
            switch (s->kind) {
                case Kind::byte:
                    ok = pr.u8(b8);
                    v = b8;
                    break;
                case Kind::two:
                    ok = pr.be16(b16);
                    v = b16;
                    break;
                case Kind::four: ok = pr.be32(v); break;
                default: ok = pr.varint(v); break;
            }
            if (!ok) return pr.error();
            if (check_value(*s, v) != Error::ok) return Error::bad_property;
            if ((present & bit(id)) == 0) PropertiesAccess::numbers(out)[s->slot] = v;
        } else {
            Bytes v;
            if (s->kind == Kind::text) {
                std::string_view sv;
                if (!pr.str(sv)) return pr.error();
                v = Writer::as_bytes(sv);
            } else if (!pr.binary(v)) {
                return pr.error();
            }
            PropertiesAccess::strings(out)[s->slot] = v;
        }
        present |= bit(id);
    }
    return Error::ok;
}

}  // namespace detail
}  // namespace sebind::mqtt
