// SPDX-License-Identifier: Apache-2.0
// The parts of the chip key's pk binding that do not depend on how the key reaches mbedTLS (a
// pk_info in 2.28: se_key.cpp; PSA in 3.6: se_key_psa.cpp): the public point of a pk context,
// the one mapping of chip failures to mbedTLS codes, and the slot check before binding a key.
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#if MBEDTLS_VERSION_MAJOR >= 3
#include <psa/crypto.h>
#endif

#include "se_key_common.hpp"
#include "sebind/mbedtls_util/curves.hpp"
#include "sebind/mbedtls_util/se_key.hpp"

// Mbed TLS 3 dropped the pk module's hardware error for the platform's.
#if MBEDTLS_VERSION_MAJOR >= 3
#define SEBIND_PK_HW_FAILED MBEDTLS_ERR_PLATFORM_HW_ACCEL_FAILED
#else
#define SEBIND_PK_HW_FAILED MBEDTLS_ERR_PK_HW_ACCEL_FAILED
#endif

namespace sebind::mbedtls_util {

Status detail::check_slot_curve(stsafe::Device& device, std::uint8_t slot,
                                const stsafe::PublicKey& public_key) noexcept {
    auto curve = device.slot_curve(slot);
    if (!curve) return curve.status();
    return *curve == public_key.curve ? Status() : Status(Errc::invalid_argument);
}

Result<stsafe::PublicKey> public_key_of(const mbedtls_pk_context& pk) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    // Any EC key, opaque (PSA) ones included: the group and the uncompressed point it writes.
    // The curve from the key's PSA attributes (3.6 exports no group accessor for pk contexts).
    psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
    // A usage the key's policy allows: verify for a public key, sign for a chip (opaque) key.
    if (!mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY) ||
        (mbedtls_pk_get_psa_attributes(&pk, PSA_KEY_USAGE_VERIFY_HASH, &attrs) != 0 &&
         mbedtls_pk_get_psa_attributes(&pk, PSA_KEY_USAGE_SIGN_HASH, &attrs) != 0))
        return Errc::not_supported;
    const psa_ecc_family_t family = PSA_KEY_TYPE_ECC_GET_FAMILY(psa_get_key_type(&attrs));
    const std::size_t bits = psa_get_key_bits(&attrs);
    psa_reset_key_attributes(&attrs);
    std::optional<stsafe::Curve> curve;
    if (family == PSA_ECC_FAMILY_SECP_R1 && bits == 256) curve = stsafe::Curve::p256;
    if (family == PSA_ECC_FAMILY_SECP_R1 && bits == 384) curve = stsafe::Curve::p384;
    if (family == PSA_ECC_FAMILY_BRAINPOOL_P_R1 && bits == 256) curve = stsafe::Curve::brainpool_p256r1;
    if (family == PSA_ECC_FAMILY_BRAINPOOL_P_R1 && bits == 384) curve = stsafe::Curve::brainpool_p384r1;
    if (!curve) return Errc::not_supported;
    unsigned char buf[1 + 2 * stsafe::kMaxCoordinateSize];
    unsigned char* p = buf + sizeof buf;
    const int len = mbedtls_pk_write_pubkey(&p, buf, &pk);
    const std::size_t n = stsafe::curve_info(*curve).coordinate_size;
    if (len != static_cast<int>(1 + 2 * n) || p[0] != 0x04) return Errc::invalid_argument;
    stsafe::PublicKey out;
    out.curve = *curve;
    out.x.assign(Bytes(p + 1, n));
    out.y.assign(Bytes(p + 1 + n, n));
    return out;
#else
    const mbedtls_ecp_keypair* ec = mbedtls_pk_ec(pk);
    if (!ec) return Errc::not_supported;
    return mbedtls_util::public_key_of(*ec);
#endif
}

int to_mbedtls_error(Status status) noexcept {
    // mbedTLS 2.28 has no pk code for "the key refused" or "the key is missing": those become
    // FEATURE_UNAVAILABLE (the operation is not available with this key), every failure of the
    // chip or the bus HW_ACCEL_FAILED. The Status itself stays in se_key_last_error.
    switch (status.code()) {
        case Errc::ok: return 0;
        case Errc::invalid_argument:
        case Errc::out_of_range: return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
        case Errc::buffer_too_small: return MBEDTLS_ERR_PK_ALLOC_FAILED;
        case Errc::does_not_exist:
        case Errc::not_permitted:
        case Errc::not_supported:
        case Errc::already_exists:
        case Errc::expired: return MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE;
        case Errc::invalid_signature: return MBEDTLS_ERR_ECP_VERIFY_FAILED;
        case Errc::communication_failure:
        case Errc::busy:
        case Errc::integrity_failure:
        case Errc::invalid_response:
        case Errc::hardware_failure:
        case Errc::storage_failure:
        case Errc::corrupted_data:
        case Errc::timeout: return SEBIND_PK_HW_FAILED;
    }
    return SEBIND_PK_HW_FAILED;
}

}  // namespace sebind::mbedtls_util
