// SPDX-License-Identifier: Apache-2.0
// Key commands: Generate Key, Generate/Verify Signature, Establish Key, local envelopes
// (§4.11, §4.13, §4.15-§4.17). Sizes always come from the slot's curve as the chip reports it.
#include <algorithm>
#include <cstring>

#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::stsafe {

namespace {

constexpr std::size_t kSemiblock = 8;
constexpr std::size_t kMaxWrapPlaintext = 480;

/// Fits a digest to the key size as ECDSA does (§4.15): the leftmost `n` bytes of a longer digest,
/// a shorter one left-padded with zeros (the same integer).
void fit_digest(Bytes digest, std::size_t n, std::uint8_t* out) noexcept {
    if (digest.size() >= n) {
        std::memcpy(out, digest.data(), n);
    } else {
        std::memset(out, 0, n - digest.size());
        std::memcpy(out + (n - digest.size()), digest.data(), digest.size());
    }
}

}  // namespace

Result<PublicKey> Device::generate_key_pair(std::uint8_t slot, Curve curve, std::uint16_t usage_limit,
                                            std::uint16_t mode_of_operation) noexcept {
    const CurveInfo& info = curve_info(curve);
    // The ephemeral slot is single use; the legacy middleware forces the limit to 1 and the chip
    // refuses anything else (§4.13, §9 pitfall 9).
    if (slot == kSlotEphemeral) usage_limit = 1;
    std::array<std::uint8_t, 8 + 16> cmd{};
    cmd[0] = static_cast<std::uint8_t>(Tag::private_key_slot);
    cmd[1] = slot;
    store_be16(&cmd[2], usage_limit);
    store_be16(&cmd[4], mode_of_operation);
    store_be16(&cmd[6], static_cast<std::uint16_t>(info.oid_size));
    std::memcpy(&cmd[8], info.oid, info.oid_size);
    // The protection decision may read the key table (slot 1's generate-key AC), so the cached
    // table is dropped only afterwards: whatever the outcome, the slot may have changed.
    SEBIND_TRY_ASSIGN(Protection p, protection_for(Command::generate_key, Bytes(cmd.data(), 8 + info.oid_size)));
    m_key_table.reset();
    if (slot == kSlotEphemeral) m_ephemeral_curve.reset();
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange(Command::generate_key, Bytes(cmd.data(), 8 + info.oid_size), p,
                                          5 + 2 * info.coordinate_size));
    auto key = parse_public_key(rsp, curve);
    if (key && slot == kSlotEphemeral) m_ephemeral_curve = curve;
    return key;
}

Status Device::generate_local_envelope_key(std::uint8_t slot, EnvelopeKeyType type) noexcept {
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(Tag::local_envelope_keys), slot,
                                static_cast<std::uint8_t>(type)};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::generate_key, cmd, 0));
    return rsp.empty() ? Status::success() : Status(Errc::invalid_response);
}

Result<Signature> Device::generate_signature(std::uint8_t slot, Bytes digest) noexcept {
    if (digest.empty()) return Errc::invalid_argument;
    // R/S size comes from the slot's curve as the chip reports it, never from the digest (§9
    // pitfall 7). Slot 0xFF is sent as asked: the chip itself refuses to sign with it.
    SEBIND_TRY_ASSIGN(Curve curve, slot_curve(slot));
    const std::size_t n = curve_info(curve).coordinate_size;
    std::array<std::uint8_t, 3 + kMaxCoordinateSize> cmd{};
    cmd[0] = slot;
    store_be16(&cmd[1], static_cast<std::uint16_t>(n));
    fit_digest(digest, n, &cmd[3]);
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
    if (signature.curve != key.curve || signature.r.size() != n || signature.s.size() != n)
        return Errc::invalid_argument;
    if (digest.empty()) return Errc::invalid_argument;
    std::array<std::uint8_t, 1 + 2 + 16 + 1 + 4 * (2 + kMaxCoordinateSize) + 2 + kMaxCoordinateSize> cmd{};
    std::size_t at = 0;
    auto put16 = [&](std::size_t v) {
        store_be16(&cmd[at], static_cast<std::uint16_t>(v));
        at += 2;
    };
    auto put = [&](Bytes b) {
        std::memcpy(&cmd[at], b.data(), b.size());
        at += b.size();
    };
    cmd[at++] = 0x00;  // message authentication (§4.16)
    put16(info.oid_size);
    put(Bytes(info.oid, info.oid_size));
    SEBIND_TRY_ASSIGN(std::size_t key_size, write_public_key(key, MutableBytes(&cmd[at], cmd.size() - at)));
    at += key_size;
    put16(n);
    put(signature.r);
    put16(n);
    put(signature.s);
    // Fitted exactly as generate_signature does, so that what one signs the other verifies.
    put16(n);
    fit_digest(digest, n, &cmd[at]);
    at += n;
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
    // The ephemeral key is good for one Establish Key (§5.1): forget it whatever the answer.
    if (slot == kSlotEphemeral) m_ephemeral_curve.reset();
    auto rsp = exchange_auto(Command::establish_key, Bytes(cmd.data(), 1 + key_size), 2 + n);
    if (!rsp) return rsp.status();
    auto secret = parse_shared_secret(*rsp, curve);
    wipe_buffers();  // the secret must not linger in the frame buffers
    return secret;
}

Result<std::size_t> Device::wrap(std::uint8_t slot, Bytes plaintext, MutableBytes envelope) noexcept {
    // AES key wrap works on 8-byte semiblocks and adds one; 480 bytes at most (§4.11, §1.7).
    if (plaintext.empty() || plaintext.size() % 8 != 0 || plaintext.size() > kMaxWrapPlaintext)
        return Errc::invalid_argument;
    if (envelope.size() < plaintext.size() + kSemiblock) return Errc::buffer_too_small;
    std::array<std::uint8_t, 1 + kMaxWrapPlaintext> cmd{};
    cmd[0] = slot;
    std::memcpy(&cmd[1], plaintext.data(), plaintext.size());
    auto rsp = exchange_auto(Command::wrap_local_envelope, Bytes(cmd.data(), 1 + plaintext.size()),
                             plaintext.size() + kSemiblock);
    secure_zero(cmd.data(), cmd.size());
    Result<std::size_t> out = Errc::invalid_response;
    if (!rsp) {
        out = rsp.status();
    } else if (rsp->size() == plaintext.size() + kSemiblock) {
        std::memcpy(envelope.data(), rsp->data(), rsp->size());
        out = rsp->size();
    }
    wipe_buffers();  // an unencrypted Wrap leaves the plaintext in the command frame
    return out;
}

Result<std::size_t> Device::unwrap(std::uint8_t slot, Bytes envelope, MutableBytes plaintext) noexcept {
    if (envelope.size() < 2 * kSemiblock || envelope.size() % 8 != 0 ||
        envelope.size() > kMaxWrapPlaintext + kSemiblock)
        return Errc::invalid_argument;
    if (plaintext.size() < envelope.size() - kSemiblock) return Errc::buffer_too_small;
    std::array<std::uint8_t, 1 + kMaxWrapPlaintext + kSemiblock> cmd{};
    cmd[0] = slot;
    std::memcpy(&cmd[1], envelope.data(), envelope.size());
    auto rsp = exchange_auto(Command::unwrap_local_envelope, Bytes(cmd.data(), 1 + envelope.size()),
                             envelope.size() - kSemiblock);
    Result<std::size_t> out = Errc::invalid_response;
    if (!rsp) {
        out = rsp.status();
    } else if (rsp->size() == envelope.size() - kSemiblock) {
        std::memcpy(plaintext.data(), rsp->data(), rsp->size());
        out = rsp->size();
    }
    wipe_buffers();  // the plaintext must not linger in the response buffers
    return out;
}

}  // namespace sebind::stsafe
