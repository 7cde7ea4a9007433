// SPDX-License-Identifier: Apache-2.0
// The opaque driver's entry points (declared by psa/crypto_driver_stsafe.h, which
// ports/mbedtls3/stsafe-opaque-driver.patch adds to Mbed TLS 3.6 with the dispatch to them) and
// the platform function that makes the chip's slots built-in keys. All in this one translation
// unit: a program that calls attach() links these definitions, which replace the library's weak
// defaults.
#include "sebind/psa_stsafe/driver.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <psa/crypto_driver_stsafe.h>

namespace sebind::psa_stsafe {

namespace {

// Built-in key identifiers: a block inside MBEDTLS_PSA_KEY_ID_BUILTIN_MIN..MAX. Each slot has
// kHandles identifiers (id = base + handle * kSlots + slot); handle 0 is key_id(slot), the others
// go to new_key_id() callers, so that each user of the slot (each pk context) has its own counts.
constexpr std::uint8_t kSlots = 2;                                             // slot 0 (factory) and slot 1 (user)
constexpr std::uint8_t kHandles = 32;                                          // identifiers per slot
constexpr psa_key_id_t kKeyIdBase = MBEDTLS_PSA_KEY_ID_BUILTIN_MIN + 0xA110u;  // 0x7fffa110, 0x7fffa111
static_assert(kKeyIdBase + kSlots * kHandles - 1 <= MBEDTLS_PSA_KEY_ID_BUILTIN_MAX);

struct Counts {
    std::uint32_t signatures = 0;
    Status last_error;
};

struct SlotBinding {
    stsafe::Device* device = nullptr;
    stsafe::PublicKey public_key;
    Counts slot;                             // every signature of the slot since attach
    std::array<Counts, kHandles> handles{};  // per key identifier
    std::uint8_t next_handle = 1;
};

std::array<SlotBinding, kSlots> g_slots;

psa_key_id_t id_of(std::uint8_t slot, std::uint8_t handle) noexcept { return kKeyIdBase + handle * kSlots + slot; }

/// The slot and handle of one of the chip's key identifiers.
bool split_id(psa_key_id_t id, std::uint8_t& slot, std::uint8_t& handle) noexcept {
    if (id < kKeyIdBase || id >= kKeyIdBase + kSlots * kHandles) return false;
    slot = static_cast<std::uint8_t>((id - kKeyIdBase) % kSlots);
    handle = static_cast<std::uint8_t>((id - kKeyIdBase) / kSlots);
    return true;
}

SlotBinding* binding(psa_drv_slot_number_t slot) noexcept {
    if (slot >= kSlots || g_slots[slot].device == nullptr) return nullptr;
    return &g_slots[slot];
}

psa_ecc_family_t family() noexcept { return PSA_ECC_FAMILY_SECP_R1; }

std::size_t bits_of(stsafe::Curve curve) noexcept { return stsafe::curve_info(curve).coordinate_size * 8; }

/// The point is on its curve: PSA validates a public key it imports.
bool on_curve(const stsafe::PublicKey& key) noexcept {
    const std::size_t n = stsafe::curve_info(key.curve).coordinate_size;
    if (key.x.size() != n || key.y.size() != n) return false;
    std::array<std::uint8_t, 1 + 2 * stsafe::kMaxCoordinateSize> point{};
    point[0] = 0x04;
    std::memcpy(point.data() + 1, key.x.data(), n);
    std::memcpy(point.data() + 1 + n, key.y.data(), n);
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_PUBLIC_KEY(family()));
    mbedtls_svc_key_id_t id = MBEDTLS_SVC_KEY_ID_INIT;
    if (psa_import_key(&a, point.data(), 1 + 2 * n, &id) != PSA_SUCCESS) return false;
    (void)psa_destroy_key(id);
    return true;
}

bool read_slot_number(const std::uint8_t* key_buffer, std::size_t key_buffer_size,
                      psa_drv_slot_number_t& slot) noexcept {
    if (key_buffer == nullptr || key_buffer_size != sizeof(psa_drv_slot_number_t)) return false;
    std::memcpy(&slot, key_buffer, sizeof slot);
    return true;
}

}  // namespace

psa_key_id_t key_id(std::uint8_t slot) noexcept { return kKeyIdBase + slot; }

Status attach(stsafe::Device& device, std::uint8_t slot, const stsafe::PublicKey& public_key) noexcept {
    if (slot >= kSlots) return Status(Errc::invalid_argument);
    if (psa_crypto_init() != PSA_SUCCESS) return Status(Errc::not_supported);
    if (!on_curve(public_key)) return Status(Errc::invalid_argument);
    SlotBinding& b = g_slots[slot];
    const auto same = [](Bytes x, Bytes y) {
        return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
    };
    if (b.device == &device && b.public_key.curve == public_key.curve && same(b.public_key.x, public_key.x) &&
        same(b.public_key.y, public_key.y))
        return Status();  // the same key again (e.g. a second pk context): its users keep their counts
    // A key PSA loaded before keeps its old attributes in its slot cache until purged.
    for (std::uint8_t h = 0; h < kHandles; ++h) (void)psa_purge_key(mbedtls_svc_key_id_t{id_of(slot, h)});
    b = SlotBinding{};
    b.device = &device;
    b.public_key = public_key;
    return Status();
}

psa_key_id_t new_key_id(std::uint8_t slot) noexcept {
    if (slot >= kSlots) return 0;
    SlotBinding& b = g_slots[slot];
    const std::uint8_t h = b.next_handle;
    b.next_handle = static_cast<std::uint8_t>(h + 1 < kHandles ? h + 1 : 1);
    b.handles[h] = Counts{};
    return id_of(slot, h);
}

void detach(std::uint8_t slot) noexcept {
    if (slot >= kSlots) return;
    for (std::uint8_t h = 0; h < kHandles; ++h) (void)psa_purge_key(mbedtls_svc_key_id_t{id_of(slot, h)});
    g_slots[slot] = SlotBinding{};
}

std::optional<std::uint8_t> slot_of(psa_key_id_t id) noexcept {
    std::uint8_t slot = 0, handle = 0;
    if (!split_id(id, slot, handle)) return std::nullopt;
    return slot;
}

stsafe::Device* device(std::uint8_t slot) noexcept { return slot < kSlots ? g_slots[slot].device : nullptr; }

std::uint32_t signatures(std::uint8_t slot) noexcept { return slot < kSlots ? g_slots[slot].slot.signatures : 0; }

Status last_error(std::uint8_t slot) noexcept { return slot < kSlots ? g_slots[slot].slot.last_error : Status(); }

std::uint32_t key_signatures(psa_key_id_t id) noexcept {
    std::uint8_t slot = 0, handle = 0;
    return split_id(id, slot, handle) ? g_slots[slot].handles[handle].signatures : 0;
}

Status key_last_error(psa_key_id_t id) noexcept {
    std::uint8_t slot = 0, handle = 0;
    return split_id(id, slot, handle) ? g_slots[slot].handles[handle].last_error : Status();
}

psa_status_t to_psa_status(Status status) noexcept {
    switch (status.code()) {
        case Errc::ok: return PSA_SUCCESS;
        case Errc::not_permitted: return PSA_ERROR_NOT_PERMITTED;
        case Errc::does_not_exist: return PSA_ERROR_DOES_NOT_EXIST;
        case Errc::invalid_argument:
        case Errc::out_of_range: return PSA_ERROR_INVALID_ARGUMENT;
        case Errc::buffer_too_small: return PSA_ERROR_BUFFER_TOO_SMALL;
        case Errc::not_supported: return PSA_ERROR_NOT_SUPPORTED;
        case Errc::communication_failure:
        case Errc::busy:
        case Errc::timeout: return PSA_ERROR_COMMUNICATION_FAILURE;
        case Errc::integrity_failure:
        case Errc::invalid_response:
        case Errc::corrupted_data: return PSA_ERROR_CORRUPTION_DETECTED;
        case Errc::invalid_signature: return PSA_ERROR_INVALID_SIGNATURE;
        default: return PSA_ERROR_HARDWARE_FAILURE;
    }
}

}  // namespace sebind::psa_stsafe

using sebind::psa_stsafe::binding;
using sebind::psa_stsafe::bits_of;
using sebind::psa_stsafe::Counts;
using sebind::psa_stsafe::family;
using sebind::psa_stsafe::read_slot_number;
using sebind::psa_stsafe::split_id;

extern "C" {

psa_status_t mbedtls_psa_platform_get_builtin_key(mbedtls_svc_key_id_t key_id, psa_key_lifetime_t* lifetime,
                                                  psa_drv_slot_number_t* slot_number) {
    std::uint8_t slot = 0, handle = 0;
    if (!split_id(MBEDTLS_SVC_KEY_ID_GET_KEY_ID(key_id), slot, handle) || binding(slot) == nullptr)
        return PSA_ERROR_DOES_NOT_EXIST;
    *lifetime = PSA_KEY_LIFETIME_FROM_PERSISTENCE_AND_LOCATION(PSA_KEY_PERSISTENCE_READ_ONLY,
                                                               MBEDTLS_PSA_CRYPTO_STSAFE_LOCATION);
    *slot_number = slot;
    return PSA_SUCCESS;
}

psa_status_t mbedtls_stsafe_opaque_get_builtin_key(psa_drv_slot_number_t slot_number, psa_key_attributes_t* attributes,
                                                   std::uint8_t* key_buffer, std::size_t key_buffer_size,
                                                   std::size_t* key_buffer_length) {
    const auto* b = binding(slot_number);
    if (b == nullptr) return PSA_ERROR_DOES_NOT_EXIST;
    psa_set_key_type(attributes, PSA_KEY_TYPE_ECC_KEY_PAIR(family()));
    psa_set_key_bits(attributes, bits_of(b->public_key.curve));
    // Signing only; no PSA_KEY_USAGE_EXPORT: psa_export_key is refused before any driver.
    psa_set_key_usage_flags(attributes, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE);
    // Randomized ECDSA with any hash, and the deterministic variant too: TLS 1.2 in Mbed TLS 3.6
    // asks an opaque key for whichever the build prefers. The chip signs the same way for both
    // (a verifier cannot tell them apart).
    psa_set_key_algorithm(attributes, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
    psa_set_key_enrollment_algorithm(attributes, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_ANY_HASH));
    if (key_buffer_size < sizeof(psa_drv_slot_number_t)) return PSA_ERROR_BUFFER_TOO_SMALL;
    std::memcpy(key_buffer, &slot_number, sizeof slot_number);
    *key_buffer_length = sizeof slot_number;
    return PSA_SUCCESS;
}

psa_status_t mbedtls_stsafe_opaque_sign_hash(const psa_key_attributes_t* attributes, const std::uint8_t* key_buffer,
                                             std::size_t key_buffer_size, psa_algorithm_t alg, const std::uint8_t* hash,
                                             std::size_t hash_length, std::uint8_t* signature,
                                             std::size_t signature_size, std::size_t* signature_length) {
    psa_drv_slot_number_t slot = 0;
    if (!read_slot_number(key_buffer, key_buffer_size, slot)) return PSA_ERROR_CORRUPTION_DETECTED;
    auto* b = binding(slot);
    if (b == nullptr) return PSA_ERROR_DOES_NOT_EXIST;
    if (!PSA_ALG_IS_ECDSA(alg)) return PSA_ERROR_NOT_SUPPORTED;
    const std::size_t n = sebind::stsafe::curve_info(b->public_key.curve).coordinate_size;
    if (signature_size < 2 * n) return PSA_ERROR_BUFFER_TOO_SMALL;
    // The counts of the slot and of the key identifier used (each pk context has its own).
    std::uint8_t id_slot = 0, handle = 0;
    if (!split_id(MBEDTLS_SVC_KEY_ID_GET_KEY_ID(psa_get_key_id(attributes)), id_slot, handle) || id_slot != slot)
        return PSA_ERROR_CORRUPTION_DETECTED;
    Counts& key = b->handles[handle];
    // last_error describes this signature only.
    b->slot.last_error = key.last_error = sebind::Status();
    // The driver fits the digest to the slot's curve (a SHA-384 suite hands a P-256 key 48 bytes).
    auto s = b->device->generate_signature(static_cast<std::uint8_t>(slot), sebind::Bytes(hash, hash_length));
    if (!s) {
        b->slot.last_error = key.last_error = s.status();
        return sebind::psa_stsafe::to_psa_status(s.status());
    }
    if (s->r.size() != n || s->s.size() != n) return PSA_ERROR_HARDWARE_FAILURE;
    ++b->slot.signatures;
    ++key.signatures;
    // PSA's ECDSA signature format: R then S, each the curve's size, big-endian.
    std::memcpy(signature, s->r.data(), n);
    std::memcpy(signature + n, s->s.data(), n);
    *signature_length = 2 * n;
    return PSA_SUCCESS;
}

psa_status_t mbedtls_stsafe_opaque_export_public_key(const psa_key_attributes_t* /*attributes*/,
                                                     const std::uint8_t* key_buffer, std::size_t key_buffer_size,
                                                     std::uint8_t* data, std::size_t data_size,
                                                     std::size_t* data_length) {
    psa_drv_slot_number_t slot = 0;
    if (!read_slot_number(key_buffer, key_buffer_size, slot)) return PSA_ERROR_CORRUPTION_DETECTED;
    const auto* b = binding(slot);
    if (b == nullptr) return PSA_ERROR_DOES_NOT_EXIST;
    const std::size_t n = b->public_key.x.size();
    if (data_size < 1 + 2 * n) return PSA_ERROR_BUFFER_TOO_SMALL;
    data[0] = 0x04;  // uncompressed point (SEC 1, 2.3.3)
    std::memcpy(data + 1, b->public_key.x.data(), n);
    std::memcpy(data + 1 + n, b->public_key.y.data(), n);
    *data_length = 1 + 2 * n;
    return PSA_SUCCESS;
}

}  // extern "C"
