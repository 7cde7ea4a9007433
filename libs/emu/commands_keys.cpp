// SPDX-License-Identifier: Apache-2.0
// Emulator handlers for keys: Generate Key, Generate/Verify Signature, Establish Key and local
// envelopes (§4.11, §4.13, §4.15-§4.17, §5). No handler ever returns a private scalar.
#include <algorithm>
#include <cstring>

#include "chip_impl.hpp"
#include "sebind/core/reader.hpp"

namespace sebind::emu {

namespace ds = stsafe;

KeySlotState* ChipImpl::key_slot(std::uint8_t slot) noexcept {
    if (slot == ds::kSlotFactory) return &m_state.slots[0];
    if (slot == ds::kSlotUser) return &m_state.slots[1];
    if (slot == ds::kSlotEphemeral) return &m_ephemeral;
    return nullptr;
}

std::uint8_t ChipImpl::consume_key_use(KeySlotState& key, std::uint8_t slot) noexcept {
    if (slot == ds::kSlotEphemeral) {
        // One use, then gone (§5.1).
        secure_zero(key.private_scalar.data(), key.private_scalar.size());
        key = KeySlotState{};
        return 0x00;
    }
    if (key.usage_limit == 0xFFFF) return 0x00;  // unlimited [I]
    ++key.usage_count;
    return nvm_write() ? 0x00 : kNoResponse;
}

namespace {

bool usage_left(const KeySlotState& key) { return key.usage_limit == 0xFFFF || key.usage_count < key.usage_limit; }

/// Mode 0x0000 (what STSELib sends) is treated as "no restriction" [I]; otherwise the bit rules.
bool allows(const KeySlotState& key, std::uint16_t bit) { return key.mode == 0 || (key.mode & bit) != 0; }

void put_point(Reply& reply, const KeySlotState& key) {
    reply.put8(0x04);
    reply.put16(key.x.size());
    reply.put(key.x);
    reply.put16(key.y.size());
    reply.put(key.y);
}

}  // namespace

std::uint8_t ChipImpl::cmd_generate_key(const Request& req, Reply& reply) noexcept {
    ByteReader r(req.payload);
    std::uint8_t tag = 0, slot = 0;
    if (!r.u8(tag) || !r.u8(slot)) return 0x02;

    if (tag == static_cast<std::uint8_t>(ds::Tag::local_envelope_keys)) {
        std::uint8_t type = 0;
        if (!r.u8(type)) return 0x02;  // trailing seed bytes of the legacy API are ignored
        if (slot > 1 || type > 1) return 0x03;
        EnvelopeKeyState& e = m_state.envelope_keys[slot];
        if (e.present) return 0x11;  // write-once per slot (§9 pitfall 5)
        e.present = true;
        e.type = type;
        e.key.fill(0);
        m_rng.fill(MutableBytes(e.key.data(), type == 0 ? 16 : 32));
        return nvm_write() ? 0x00 : kNoResponse;
    }
    if (tag != static_cast<std::uint8_t>(ds::Tag::private_key_slot)) return 0x03;

    std::uint16_t usage = 0, mode = 0;
    Bytes oid;
    if (!r.be16(usage) || !r.be16(mode) || !r.len16_bytes(oid) || !r.at_end()) return 0x02;
    const auto curve = ds::curve_from_oid(oid);
    if (!curve) return 0x03;
    if (slot == ds::kSlotFactory) return 0x11;  // pre-provisioned, never regenerated
    if (slot != ds::kSlotUser && slot != ds::kSlotEphemeral) return 0x10;
    if (slot == ds::kSlotEphemeral && usage != 1) return 0x03;  // [I] the only meaningful limit
    KeySlotState& target = *key_slot(slot);
    // Mode bits 5..4 of the existing key: regeneration needs a host C-MAC (§5.3 [S]).
    if (slot == ds::kSlotUser && target.present && (target.mode & 0x0030) && !req.host_mac) return 0x11;

    KeySlotState fresh;
    fresh.mode = mode;
    fresh.usage_limit = usage;
    if (!generate_key(m_curves, m_rng, *curve, fresh).ok()) return 0x05;
    if (!target.private_scalar.empty()) secure_zero(target.private_scalar.data(), target.private_scalar.size());
    target = std::move(fresh);
    if (slot == ds::kSlotUser && !nvm_write()) return kNoResponse;
    put_point(reply, target);
    return 0x00;
}

std::uint8_t ChipImpl::cmd_sign(const Request& req, Reply& reply) noexcept {
    ByteReader r(req.payload);
    std::uint8_t slot = 0;
    Bytes digest;
    if (!r.u8(slot) || !r.len16_bytes(digest) || !r.at_end()) return 0x02;
    if (slot == ds::kSlotEphemeral) return 0x1B;  // ephemeral keys only establish keys [I]
    KeySlotState* key = key_slot(slot);
    if (!key) return 0x10;
    if (!key->present) return 0x0A;
    if (!allows(*key, ds::mode::kSignDigests)) return 0x1B;
    if (!usage_left(*key)) return 0x0B;
    if (digest.empty() || digest.size() > 64) return 0x02;
    if (std::all_of(digest.begin(), digest.end(), [](std::uint8_t b) { return b == 0; })) {
        // A100/A110 hang on an all-zero digest (§4.15): busy until power is cycled.
        m_hung = true;
        return kNoResponse;
    }
    std::vector<std::uint8_t> rv, sv;
    if (!sign_digest(m_curves, m_rng, *key, digest, rv, sv).ok()) return 0x05;
    if (std::uint8_t st = consume_key_use(*key, slot)) return st;
    ++m_stats.signatures;
    reply.put16(rv.size());
    reply.put(rv);
    reply.put16(sv.size());
    reply.put(sv);
    return 0x00;
}

std::uint8_t ChipImpl::cmd_verify(const Request& req, Reply& reply) noexcept {
    ByteReader r(req.payload);
    std::uint8_t subject = 0, format = 0;
    Bytes oid, x, y, rv, sv, digest;
    if (!r.u8(subject)) return 0x02;
    if (subject != 0x00) return 0x03;  // entity authentication is A100 only
    if (!r.len16_bytes(oid) || !r.u8(format) || !r.len16_bytes(x) || !r.len16_bytes(y) || !r.len16_bytes(rv) ||
        !r.len16_bytes(sv) || !r.len16_bytes(digest) || !r.at_end())
        return 0x02;
    const auto curve = ds::curve_from_oid(oid);
    if (!curve) return 0x03;
    const std::size_t n = ds::curve_info(*curve).coordinate_size;
    if (format != 0x04 || x.size() != n || y.size() != n) return 0x19;
    if (rv.empty() || sv.empty() || rv.size() > n || sv.size() > n || digest.empty() || digest.size() > 64) return 0x02;
    auto valid = verify_digest(m_curves, *curve, x, y, rv, sv, digest);
    if (!valid) return valid.status().code() == Errc::invalid_argument ? 0x19 : 0x05;
    reply.put8(*valid ? 0x01 : 0x00);
    return 0x00;
}

std::uint8_t ChipImpl::cmd_establish_key(const Request& req, Reply& reply) noexcept {
    ByteReader r(req.payload);
    std::uint8_t slot = 0, format = 0;
    Bytes x, y;
    if (!r.u8(slot) || !r.u8(format) || !r.len16_bytes(x) || !r.len16_bytes(y) || !r.at_end()) return 0x02;
    KeySlotState* key = key_slot(slot);
    if (!key) return 0x10;
    if (!key->present) return 0x0A;
    if (!allows(*key, ds::mode::kKeyEstablishment)) return 0x1B;
    if (!usage_left(*key)) return 0x0B;
    const std::size_t n = ds::curve_info(key->curve).coordinate_size;
    if (format != 0x04 || x.size() != n || y.size() != n) return 0x19;
    std::vector<std::uint8_t> secret;
    Status st = ecdh(m_curves, m_rng, *key, x, y, secret);
    if (st.code() == Errc::invalid_argument) return 0x19;
    if (!st.ok()) return 0x05;
    if (std::uint8_t c = consume_key_use(*key, slot)) return c;
    ++m_stats.key_establishments;
    reply.put16(secret.size());
    reply.put(secret);
    secure_zero(secret.data(), secret.size());
    return 0x00;
}

std::uint8_t ChipImpl::cmd_wrap(const Request& req, Reply& reply) noexcept {
    if (req.payload.size() < 1 + 8) return 0x02;
    const std::uint8_t slot = req.payload[0];
    const Bytes plain = req.payload.subspan(1);
    if (slot > 1) return 0x10;
    const EnvelopeKeyState& e = m_state.envelope_keys[slot];
    if (!e.present) return 0x0A;
    if (plain.size() % 8 != 0 || plain.size() > 480) return 0x02;
    std::vector<std::uint8_t> out;
    if (!aes_key_wrap(Bytes(e.key.data(), e.type == 0 ? 16 : 32), plain, out).ok()) return 0x05;
    reply.put(out);
    return 0x00;
}

std::uint8_t ChipImpl::cmd_unwrap(const Request& req, Reply& reply) noexcept {
    if (req.payload.size() < 1 + 16) return 0x02;
    const std::uint8_t slot = req.payload[0];
    const Bytes envelope = req.payload.subspan(1);
    if (slot > 1) return 0x10;
    const EnvelopeKeyState& e = m_state.envelope_keys[slot];
    if (!e.present) return 0x0A;
    if (envelope.size() % 8 != 0 || envelope.size() > 488) return 0x02;
    std::vector<std::uint8_t> out;
    Status st = aes_key_unwrap(Bytes(e.key.data(), e.type == 0 ? 16 : 32), envelope, out);
    if (st.code() == Errc::integrity_failure) return 0x02;  // not an envelope of this key [I]
    if (!st.ok()) return 0x05;
    reply.put(out);
    secure_zero(out.data(), out.size());
    return 0x00;
}

}  // namespace sebind::emu
