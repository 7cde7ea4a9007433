// SPDX-License-Identifier: Apache-2.0
// A custom mbedtls_pk_info_t whose sign operation is the chip's Generate Signature.
//
// Design (docs/tls-mbedtls.md): the pk type is MBEDTLS_PK_ECKEY and the context starts with an
// mbedtls_ecp_keypair holding only the public point (d stays zero and is never used). mbedTLS
// then treats the key as an EC key everywhere it needs the public part (x509write writes the
// SubjectPublicKeyInfo, TLS picks ECDSA signature algorithms, verification works), while the
// private operation is ours. MBEDTLS_PK_OPAQUE would hide the public point from x509write in
// 2.28 (no PSA), so CSRs could not be built through the same object.
#include "sebind/mbedtls_util/se_key.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk_internal.h>

#include "se_key_common.hpp"
#include "sebind/mbedtls_util/curves.hpp"

namespace sebind::mbedtls_util {

namespace {

struct SeKeyContext {
    mbedtls_ecp_keypair ec;  // must stay first: mbedtls_pk_ec() casts the context to it
    stsafe::Device* device = nullptr;
    std::uint8_t slot = 0;
    stsafe::Curve curve = stsafe::Curve::p256;
    std::uint32_t signatures = 0;
    Status last_error;
};

std::size_t se_get_bitlen(const void* ctx) { return static_cast<const SeKeyContext*>(ctx)->ec.grp.pbits; }

int se_can_do(mbedtls_pk_type_t type) {
    // Answering only ECKEY would make the TLS client announce an "anonymous" signature algorithm
    // (field notes): the key must also claim ECDSA.
    return type == MBEDTLS_PK_ECKEY || type == MBEDTLS_PK_ECDSA;
}

int se_verify(void* ctx, mbedtls_md_type_t, const unsigned char* hash, std::size_t hash_len, const unsigned char* sig,
              std::size_t sig_len) {
    auto* k = static_cast<SeKeyContext*>(ctx);
    const int rc = mbedtls_ecdsa_read_signature(&k->ec, hash, hash_len, sig, sig_len);
    return rc == MBEDTLS_ERR_ECP_SIG_LEN_MISMATCH ? MBEDTLS_ERR_PK_SIG_LEN_MISMATCH : rc;
}

int se_sign(void* ctx, mbedtls_md_type_t, const unsigned char* hash, std::size_t hash_len, unsigned char* sig,
            std::size_t* sig_len, int (*)(void*, unsigned char*, std::size_t), void*) {
    auto* k = static_cast<SeKeyContext*>(ctx);
    // last_error describes this signature: a key shared by many connections must not blame the
    // chip for a later handshake's unrelated failure.
    k->last_error = Status();
    // The driver fits the digest to the slot's curve (a SHA-384 suite hands a P-256 key 48 bytes).
    auto s = k->device->generate_signature(k->slot, Bytes(hash, hash_len));
    if (!s) {
        k->last_error = s.status();
        return to_mbedtls_error(s.status());
    }
    ++k->signatures;
    // mbedTLS 2.28 passes no output size: the buffer holds MBEDTLS_PK_SIGNATURE_MAX_SIZE bytes.
    return mbedtls_util::write_der_signature(s->r.view(), s->s.view(), sig, sig_len);
}

void* se_alloc() {
    void* mem = std::calloc(1, sizeof(SeKeyContext));
    if (!mem) return nullptr;
    auto* k = new (mem) SeKeyContext();
    mbedtls_ecp_keypair_init(&k->ec);
    return k;
}

void se_free(void* ctx) {
    auto* k = static_cast<SeKeyContext*>(ctx);
    mbedtls_ecp_keypair_free(&k->ec);
    k->~SeKeyContext();
    std::free(k);
}

void se_debug(const void* ctx, mbedtls_pk_debug_item* items) {
    items->type = MBEDTLS_PK_DEBUG_ECP;
    items->name = "se.Q";
    // mbedtls_pk_debug_item has a non-const pointer but the debug module only reads it.
    items->value = const_cast<mbedtls_ecp_point*>(&static_cast<const SeKeyContext*>(ctx)->ec.Q);
}

// Positional, as pk_internal.h is C; the restartable members exist only with
// MBEDTLS_ECP_RESTARTABLE (off in Debian), and are left empty: the chip signs in one go, and
// mbedTLS only takes the restartable path when a restart context is passed.
const mbedtls_pk_info_t kSeKeyInfo = {
    MBEDTLS_PK_ECKEY, "SEBIND_SE_EC", se_get_bitlen, se_can_do, se_verify, se_sign,
#if defined(MBEDTLS_ECDSA_C) && defined(MBEDTLS_ECP_RESTARTABLE)
    nullptr,          nullptr,  // verify_rs, sign_rs
#endif
    nullptr,  // decrypt
    nullptr,  // encrypt
    nullptr,  // check_pair: the pairing check is a chip-signed challenge (identity::verify_pair)
    se_alloc,         se_free,
#if defined(MBEDTLS_ECDSA_C) && defined(MBEDTLS_ECP_RESTARTABLE)
    nullptr,          nullptr,  // rs_alloc, rs_free
#endif
    se_debug,
};

}  // namespace

Status setup_se_key(mbedtls_pk_context& pk, stsafe::Device& device, std::uint8_t slot,
                    const stsafe::PublicKey& public_key) noexcept {
    SEBIND_TRY(detail::check_slot_curve(device, slot, public_key));
    const stsafe::Curve curve = public_key.curve;
    if (mbedtls_pk_setup(&pk, &kSeKeyInfo) != 0) return Status(Errc::buffer_too_small);
    auto* k = static_cast<SeKeyContext*>(pk.pk_ctx);
    k->device = &device;
    k->slot = slot;
    k->curve = curve;
    int rc = mbedtls_ecp_group_load(&k->ec.grp, mbedtls_util::group_of(curve));
    if (rc == 0) rc = mbedtls_util::read_point(public_key.x.view(), public_key.y.view(), k->ec.Q);
    if (rc == 0) rc = mbedtls_ecp_check_pubkey(&k->ec.grp, &k->ec.Q);
    if (rc != 0) {
        mbedtls_pk_free(&pk);
        mbedtls_pk_init(&pk);
        return Status(Errc::invalid_argument);
    }
    return Status::success();
}

bool is_se_key(const mbedtls_pk_context& pk) noexcept { return pk.pk_info == &kSeKeyInfo; }

stsafe::Device* se_key_device(const mbedtls_pk_context& pk) noexcept {
    return is_se_key(pk) ? static_cast<const SeKeyContext*>(pk.pk_ctx)->device : nullptr;
}

std::uint32_t se_key_signatures(const mbedtls_pk_context& pk) noexcept {
    return is_se_key(pk) ? static_cast<const SeKeyContext*>(pk.pk_ctx)->signatures : 0;
}

Status se_key_last_error(const mbedtls_pk_context& pk) noexcept {
    return is_se_key(pk) ? static_cast<const SeKeyContext*>(pk.pk_ctx)->last_error : Status();
}

}  // namespace sebind::mbedtls_util
