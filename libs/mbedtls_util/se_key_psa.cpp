// SPDX-License-Identifier: Apache-2.0
// The chip key as an mbedtls_pk_context in Mbed TLS 3.6 (the mbedtls3 configuration): an opaque pk
// over the slot's PSA built-in key (sebind::psa_stsafe), so CSRs, the pairing check, TLS and the
// C API use the chip through the same se_key.hpp calls as on 2.28, where a custom pk_info does it
// (se_key.cpp). Every private-key operation is the driver's sign_hash, i.e. the chip's.
#include <mbedtls/pk.h>

#include "se_key_common.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/psa_stsafe/driver.hpp"

namespace sebind::mbedtls_util {

namespace {

/// The key identifier behind an opaque pk context (Mbed TLS 3.6 exports no accessor: the
/// context's private field is read).
psa_key_id_t key_of(const mbedtls_pk_context& pk) noexcept {
    if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_OPAQUE) return 0;
    return MBEDTLS_SVC_KEY_ID_GET_KEY_ID(pk.MBEDTLS_PRIVATE(priv_id));
}

}  // namespace

Status setup_se_key(mbedtls_pk_context& pk, stsafe::Device& device, std::uint8_t slot,
                    const stsafe::PublicKey& public_key) noexcept {
    SEBIND_TRY(detail::check_slot_curve(device, slot, public_key));
    if (Status s = psa_stsafe::attach(device, slot, public_key); !s.ok()) return s;
    // An identifier of its own: this context's signatures are counted apart from other users'.
    if (mbedtls_pk_setup_opaque(&pk, mbedtls_svc_key_id_t{psa_stsafe::new_key_id(slot)}) != 0) {
        mbedtls_pk_free(&pk);
        mbedtls_pk_init(&pk);
        return Status(Errc::not_supported);
    }
    return Status::success();
}

bool is_se_key(const mbedtls_pk_context& pk) noexcept { return psa_stsafe::slot_of(key_of(pk)).has_value(); }

stsafe::Device* se_key_device(const mbedtls_pk_context& pk) noexcept {
    const auto slot = psa_stsafe::slot_of(key_of(pk));
    return slot ? psa_stsafe::device(*slot) : nullptr;
}

std::uint32_t se_key_signatures(const mbedtls_pk_context& pk) noexcept {
    return psa_stsafe::key_signatures(key_of(pk));
}

Status se_key_last_error(const mbedtls_pk_context& pk) noexcept { return psa_stsafe::key_last_error(key_of(pk)); }

}  // namespace sebind::mbedtls_util
