// SPDX-License-Identifier: Apache-2.0
// Emulator handlers: Echo, Reset, Generate Random, Hibernate, Query, Put Attribute, Delete,
// Verify Password (§4.2-§4.4, §4.9, §4.10, §4.12, §4.14, §4.18).
#include <cstring>

#include "chip_impl.hpp"

namespace sebind::emu {

namespace ds = stsafe;

std::uint8_t ChipImpl::cmd_echo(const Request& req, Reply& reply) noexcept {
    if (req.payload.empty()) return 0x02;
    return reply.put(req.payload) ? 0x00 : 0x06;
}

std::uint8_t ChipImpl::cmd_reset(const Request& req, Reply&) noexcept {
    if (!req.payload.empty()) return 0x02;
    clear_volatile();
    return 0x00;
}

std::uint8_t ChipImpl::cmd_random(const Request& req, Reply& reply) noexcept {
    if (req.payload.size() != 2) return 0x02;
    // Subject 1 (entity-authentication challenge) exists on the A100 only (§4.4).
    if (req.payload[0] != 0x00 || req.payload[1] == 0) return 0x03;
    reply.payload.resize(req.payload[1]);
    m_rng.fill(MutableBytes(reply.payload.data(), reply.payload.size()));
    return 0x00;
}

std::uint8_t ChipImpl::cmd_hibernate(const Request& req, Reply&) noexcept {
    if (req.payload.size() != 1) return 0x02;
    if (req.payload[0] != 0x01 && req.payload[0] != 0x02) return 0x03;
    // The response is still readable; the next write finds the chip asleep (§1.8 [I]).
    m_asleep = true;
    m_sleep_mode = req.payload[0];
    return 0x00;
}

std::uint8_t ChipImpl::cmd_query(const Request& req, Reply& reply) noexcept {
    if (req.payload.size() != 1) return 0x02;
    switch (static_cast<ds::Tag>(req.payload[0])) {
        case ds::Tag::product_data: reply.put(m_state.product_data); return 0x00;
        case ds::Tag::life_cycle: reply.put8(m_state.life_cycle); return 0x00;
        case ds::Tag::i2c_parameters: reply.put(m_state.i2c_parameters); return 0x00;
        case ds::Tag::data_partition:
            reply.put8(static_cast<std::uint8_t>(m_state.zones.size()));
            for (const ZoneState& z : m_state.zones) {
                reply.put8(z.index);
                reply.put8(static_cast<std::uint8_t>(z.type));
                reply.put8(z.ac);
                reply.put16(z.data.size());
                if (z.type == ds::ZoneType::counter) {
                    std::uint8_t c[4];
                    store_be32(c, z.counter);
                    reply.put(c);
                }
            }
            return 0x00;
        case ds::Tag::private_key_table: {
            // slot count, filler, global usage limit (0xFFFF: none [I]), then slots 0, 1, 0xFF.
            reply.put8(3);
            reply.put8(0);
            reply.put16(0xFFFF);
            auto record = [&](std::uint8_t slot, const KeySlotState& k) {
                reply.put8(slot);
                reply.put8(k.present ? 1 : 0);
                reply.put16(k.mode);
                if (k.present) {
                    const auto& info = ds::curve_info(k.curve);
                    reply.put16(info.oid_size);
                    reply.put(Bytes(info.oid, info.oid_size));
                }
            };
            record(0, m_state.slots[0]);
            record(1, m_state.slots[1]);
            record(ds::kSlotEphemeral, m_ephemeral);
            return 0x00;
        }
        case ds::Tag::host_key_slot: {
            reply.put8(m_state.host_keys_present ? 1 : 0);
            std::uint8_t c[3];
            store_be24(c, m_state.host_keys_present ? m_state.sequence_counter : 0);
            reply.put(c);
            return 0x00;
        }
        case ds::Tag::command_authorization:
            reply.put8(m_state.command_change_rights);
            reply.put8(static_cast<std::uint8_t>(m_state.command_table.size()));
            for (const CommandAcState& c : m_state.command_table) {
                reply.put8(c.code);
                reply.put8(c.ac);
                reply.put8(c.encryption);
            }
            return 0x00;
        case ds::Tag::local_envelope_keys:
            reply.put8(2);
            for (std::uint8_t i = 0; i < 2; ++i) {
                reply.put8(i);
                reply.put8(m_state.envelope_keys[i].present ? 1 : 0);
                if (m_state.envelope_keys[i].present) reply.put8(m_state.envelope_keys[i].type);
            }
            return 0x00;
        case ds::Tag::password:
            // presence, remaining tries [I].
            reply.put8(m_state.password_present ? 1 : 0);
            reply.put8(m_state.password_tries);
            return 0x00;
        default: return 0x10;
    }
}

std::uint8_t ChipImpl::cmd_put_attribute(const Request& req, Reply&) noexcept {
    if (req.payload.empty()) return 0x02;
    const Bytes value = req.payload.subspan(1);
    switch (static_cast<ds::Tag>(req.payload[0])) {
        case ds::Tag::host_key_slot:
            if (value.size() != 32) return 0x02;
            if (m_state.host_keys_present) return 0x11;  // write-once (§9 pitfall 4)
            std::memcpy(m_state.host_mac_key.data(), value.data(), 16);
            std::memcpy(m_state.host_cipher_key.data(), value.data() + 16, 16);
            m_state.host_keys_present = true;
            m_state.sequence_counter = 0;  // initial counter after provisioning [I]
            return nvm_write() ? 0x00 : kNoResponse;
        case ds::Tag::i2c_parameters:
            if (value.size() != 2) return 0x02;
            if (m_state.i2c_parameters[1] & 0x01) return 0x11;  // locked
            if ((value[0] & 0x01) || (value[1] & 0xF8)) return 0x03;
            if (((value[1] >> 1) & 0x03) != 0 && ((value[1] >> 1) & 0x03) != 2) return 0x03;
            if ((value[0] >> 1) < 0x08 || (value[0] >> 1) > 0x77) return 0x03;
            // Takes effect at the next power-up (chip.cpp, power_cycle) [I].
            m_state.i2c_parameters = {value[0], value[1]};
            return nvm_write() ? 0x00 : kNoResponse;
        case ds::Tag::life_cycle: {
            if (value.size() != 1) return 0x02;
            const std::uint8_t to = value[0];
            if (to != 0x03 && to != 0x83 && to != 0x04) return 0x03;
            if (m_state.life_cycle == static_cast<std::uint8_t>(ds::LifeCycle::terminated)) return 0x0F;
            // Lock, unlock and terminate need a verified password (STSELib flow, §4.12 [I]).
            if (!m_password_verified) return 0x11;
            m_state.life_cycle = to;
            return nvm_write() ? 0x00 : kNoResponse;
        }
        case ds::Tag::password:
            // 16-byte password; extra bytes of unknown meaning are ignored [I]. Settable only
            // while no password is present (after Delete).
            if (value.size() < 16) return 0x02;
            if (m_state.password_present) return 0x11;
            std::memcpy(m_state.password.data(), value.data(), 16);
            m_state.password_present = true;
            m_state.password_tries = kPasswordTries;
            return nvm_write() ? 0x00 : kNoResponse;
        case ds::Tag::command_ac:
        case ds::Tag::command_encryption:
            // The A110 table's change rights are clear: one-way and already final (§4.14).
            return 0x11;
        default: return 0x03;
    }
}

std::uint8_t ChipImpl::cmd_delete(const Request& req, Reply&) noexcept {
    if (req.payload.size() != 1) return 0x02;
    if (req.payload[0] != static_cast<std::uint8_t>(ds::Tag::password)) return 0x03;
    m_state.password_present = false;
    m_state.password.fill(0);
    m_state.password_tries = kPasswordTries;
    return nvm_write() ? 0x00 : kNoResponse;
}

std::uint8_t ChipImpl::cmd_verify_password(const Request& req, Reply& reply) noexcept {
    if (req.payload.size() != 16) return 0x02;
    if (!m_state.password_present) return 0x0A;
    if (m_state.password_tries == 0) return 0x1A;
    const bool match = constant_time_equal(req.payload, m_state.password);
    m_state.password_tries = match ? kPasswordTries : static_cast<std::uint8_t>(m_state.password_tries - 1);
    m_password_verified = match;
    if (!nvm_write()) return kNoResponse;
    reply.put8(match ? 1 : 0);
    reply.put8(m_state.password_tries);
    return 0x00;
}

}  // namespace sebind::emu
