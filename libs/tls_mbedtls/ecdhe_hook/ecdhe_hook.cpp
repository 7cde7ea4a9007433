// SPDX-License-Identifier: Apache-2.0
// mbedTLS 2.28's two ECDH primitives, replaced: calls marked by chip_ecdhe_rng go to the chip's
// ephemeral slot, every other call computes exactly what mbedTLS's own code does.
//
// How this reaches the handshake (docs/tls-mbedtls.md, "ECDHE on the chip"): the TLS client
// calls mbedtls_ecdh_make_public / mbedtls_ecdh_calc_secret, which call these two functions.
//  * An mbedTLS built with MBEDTLS_ECDH_GEN_PUBLIC_ALT and MBEDTLS_ECDH_COMPUTE_SHARED_ALT (a
//    firmware's own build) leaves them to the application: this file is their definition.
//  * Debian 12's shared libmbedcrypto 2.28 defines them itself, but calls them through its PLT
//    (checked with objdump on 2.28.3), so a definition in the executable takes precedence (ELF
//    symbol interposition). This file is therefore built as an object library that is linked
//    straight into the executable; chip_ecdhe_available() checks at run time that it works.
#include <mbedtls/ecdh.h>

#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/tls_mbedtls/chip_ecdhe.hpp"

using sebind::tls_mbedtls::ChipEcdheBinding;

namespace {

using Rng = int (*)(void*, unsigned char*, std::size_t);

/// The chip's binding when this call is marked for it.
ChipEcdheBinding* chip_binding(Rng f_rng, void* p_rng) {
    return f_rng == sebind::tls_mbedtls::chip_ecdhe_rng ? static_cast<ChipEcdheBinding*>(p_rng) : nullptr;
}

int chip_error(ChipEcdheBinding& b, sebind::Status s) {
    b.last_error = s;
    if (s.code() == sebind::Errc::not_supported || s.code() == sebind::Errc::invalid_argument)
        return MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
    return sebind::mbedtls_util::to_mbedtls_error(s);
}

}  // namespace

extern "C" int mbedtls_ecdh_gen_public(mbedtls_ecp_group* grp, mbedtls_mpi* d, mbedtls_ecp_point* Q, Rng f_rng,
                                       void* p_rng) {
    if (ChipEcdheBinding* b = chip_binding(f_rng, p_rng)) {
        if (!b->device) return MBEDTLS_ERR_ECP_BAD_INPUT_DATA;  // chip_ecdhe_available()'s probe
        const sebind::Status s = sebind::tls_mbedtls::chip_ecdhe_public(*b->device, grp->id, *Q);
        if (!s.ok()) return chip_error(*b, s);
        b->last_error = s;
        ++b->generated;
        // The private key is in the chip: d stays 0 and only compute_shared below reads it.
        return mbedtls_mpi_lset(d, 0);
    }
    // mbedTLS's own: a random scalar, then d * G.
    int ret = mbedtls_ecp_gen_privkey(grp, d, f_rng, p_rng);
    if (ret == 0) ret = mbedtls_ecp_mul(grp, Q, d, &grp->G, f_rng, p_rng);
    return ret;
}

extern "C" int mbedtls_ecdh_compute_shared(mbedtls_ecp_group* grp, mbedtls_mpi* z, const mbedtls_ecp_point* Q,
                                           const mbedtls_mpi* d, Rng f_rng, void* p_rng) {
    if (ChipEcdheBinding* b = chip_binding(f_rng, p_rng)) {
        if (!b->device) return MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
        const sebind::Status s = sebind::tls_mbedtls::chip_ecdhe_shared(*b->device, grp->id, *Q, *z);
        if (!s.ok()) return chip_error(*b, s);
        b->last_error = s;
        ++b->established;
        return 0;
    }
    // mbedTLS's own (SEC1 3.3.1): z = x(d * Q), refusing the point at infinity.
    mbedtls_ecp_point p;
    mbedtls_ecp_point_init(&p);
    int ret = mbedtls_ecp_mul(grp, &p, d, Q, f_rng, p_rng);
    if (ret == 0 && mbedtls_ecp_is_zero(&p)) ret = MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
    if (ret == 0) ret = mbedtls_mpi_copy(z, &p.X);
    mbedtls_ecp_point_free(&p);
    return ret;
}
