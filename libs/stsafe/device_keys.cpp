// SPDX-License-Identifier: Apache-2.0
// Key commands: Generate Key, Generate/Verify Signature, Establish Key, local envelopes
// (§4.11, §4.13, §4.15-§4.17). Sizes always come from the slot's curve as the chip reports it.
#include <algorithm>
#include <cstring>

#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::stsafe {

Result<PublicKey> Device::generate_key_pair(std::uint8_t slot, Curve curve, std::uint16_t usage_limit,
                                            std::uint16_t mode_of_operation) noexcept {
    const CurveInfo& info = curve_info(curve);
    // The ephemeral slot is single use; the legacy middleware forces the limit to 1 (§4.13).
    if (slot == kSlotEphemeral) usage_limit = 1;
    std::array<std::uint8_t, 8 + 16> cmd{};
    cmd[0] = static_cast<std::uint8_t>(Tag::private_key_slot);
    cmd[1] = slot;
    store_be16(&cmd[2], usage_limit);
    store_be16(&cmd[4], mode_of_operation);
    store_be16(&cmd[6], static_cast<std::uint16_t>(info.oid_size));
    std::memcpy(&cmd[8], info.oid, info.oid_size);
    if (slot < m_slot_curves.size()) m_slot_curves[slot].reset();
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::generate_key, Bytes(cmd.data(), 8 + info.oid_size),
                                               5 + 2 * info.coordinate_size));
    return parse_public_key(rsp, curve);
}

Status Device::generate_local_envelope_key(std::uint8_t slot, EnvelopeKeyType type) noexcept {
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(Tag::local_envelope_keys), slot, static_cast<std::uint8_t>(type)};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::generate_key, cmd, 0));
    return rsp.empty() ? Status::success() : Status(Errc::invalid_response);
}

Result<Signature> Device::generate_signature(std::uint8_t slot, Bytes digest) noexcept {
    if (digest.empty() || digest.size() > 64) return Errc::invalid_argument;
    SEBIND_TRY_ASSIGN(Curve curve, slot_curve(slot));
    const std::size_t n = curve_info(curve).coordinate_size;
    // ECDSA uses the leftmost bits of a longer digest; a shorter one is a smaller integer.
    std::array<std::uint8_t, 3 + kMaxCoordinateSize> cmd{};
    cmd[0] = slot;
    store_be16(&cmd[1], static_cast<std::uint16_t>(n));
    if (digest.size() >= n) {
        std::memcpy(&cmd[3], digest.data(), n);
    } else {
        std::memcpy(&cmd[3 + n - digest.size()], digest.data(), digest.size());
    }
    // An all-zero digest hangs A100/A110 (§4.15, §9 pitfall 8).
    if (std::all_of(&cmd[3], &cmd[3 + n], [](std::uint8_t b) { return b == 0; })) return Errc::invalid_argument;
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::generate_signature, Bytes(cmd.data(), 3 + n), 4 + 2 * n));
    auto sig = parse_signature(rsp, curve);
    if (sig) ++m_stats.signatures;
    return sig;
}

Result<bool> Device::verify_signature(const PublicKey& key, const Signature& signature, Bytes digest) noexcept {
    const CurveInfo& info = curve_info(key.curve);
    const std::size_t n = info.coordinate_size;
    if (signature.curve != key.curve || signature.r.size() != n || signature.s.size() != n) return Errc::invalid_argument;
    if (digest.empty() || digest.size() > 64) return Errc::invalid_argument;
    std::array<std::uint8_t, 1 + 2 + 16 + 1 + 4 * (2 + kMaxCoordinateSize) + 2 + 64> cmd{};
    std::size_t at = 0;
    auto put16 = [&](std::size_t v) { store_be16(&cmd[at], static_cast<std::uint16_t>(v)); at += 2; };
    auto put = [&](Bytes b) { std::memcpy(&cmd[at], b.data(), b.size()); at += b.size(); };
    cmd[at++] = 0x00;  // message authentication (§4.16)
    put16(info.oid_size);
    put(Bytes(info.oid, info.oid_size));
    SEBIND_TRY_ASSIGN(std::size_t key_size, write_public_key(key, MutableBytes(&cmd[at], cmd.size() - at)));
    at += key_size;
    put16(n);
    put(signature.r);
    put16(n);
    put(signature.s);
    put16(digest.size());
    put(digest);
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::verify_signature, Bytes(cmd.data(), at), 1));
    if (rsp.size() != 1) return Errc::invalid_response;
    return rsp[0] != 0;
}

Result<SharedSecret> Device::establish_key(std::uint8_t slot, const PublicKey& peer) noexcept {
    SEBIND_TRY_ASSIGN(Curve curve, slot_curve(slot));
    if (peer.curve != curve) return Errc::invalid_argument;
    std::array<std::uint8_t, 1 + 5 + 2 * kMaxCoordinateSize> cmd{};
    cmd[0] = slot;
    SEBIND_TRY_ASSIGN(std::size_t key_size, write_public_key(peer, MutableBytes(&cmd[1], cmd.size() - 1)));
    const std::size_t n = curve_info(curve).coordinate_size;
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::establish_key, Bytes(cmd.data(), 1 + key_size), 2 + n));
    return parse_shared_secret(rsp, curve);
}

Result<std::size_t> Device::wrap(std::uint8_t slot, Bytes plaintext, MutableBytes envelope) noexcept {
    // AES key wrap works on 8-byte semiblocks and adds one (§4.11).
    if (plaintext.empty() || plaintext.size() % 8 != 0 || plaintext.size() > 480) return Errc::invalid_argument;
    if (envelope.size() < plaintext.size() + 8) return Errc::buffer_too_small;
    std::array<std::uint8_t, 1 + 480> cmd{};
    cmd[0] = slot;
    std::memcpy(&cmd[1], plaintext.data(), plaintext.size());
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::wrap_local_envelope, Bytes(cmd.data(), 1 + plaintext.size()),
                                               plaintext.size() + 8));
    if (rsp.size() != plaintext.size() + 8) return Errc::invalid_response;
    std::memcpy(envelope.data(), rsp.data(), rsp.size());
    return rsp.size();
}

Result<std::size_t> Device::unwrap(std::uint8_t slot, Bytes envelope, MutableBytes plaintext) noexcept {
    if (envelope.size() < 16 || envelope.size() % 8 != 0 || envelope.size() > 488) return Errc::invalid_argument;
    if (plaintext.size() < envelope.size() - 8) return Errc::buffer_too_small;
    std::array<std::uint8_t, 1 + 488> cmd{};
    cmd[0] = slot;
    std::memcpy(&cmd[1], envelope.data(), envelope.size());
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::unwrap_local_envelope, Bytes(cmd.data(), 1 + envelope.size()),
                                               envelope.size() + 8));
    if (rsp.size() != envelope.size() - 8) return Errc::invalid_response;
    std::memcpy(plaintext.data(), rsp.data(), rsp.size());
    secure_zero(m_plain.data(), m_plain.capacity());
    return rsp.size();
}

}  // namespace sebind::stsafe
