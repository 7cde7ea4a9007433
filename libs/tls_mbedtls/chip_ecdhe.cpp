// SPDX-License-Identifier: Apache-2.0
// Ephemeral ECDH in the chip's slot 0xFF (§4.13, §4.17) as mbedTLS points and numbers, and the
// probe that tells whether mbedTLS's ECDH reaches the hook in this program.
#include "sebind/tls_mbedtls/chip_ecdhe.hpp"

#include <mbedtls/ecdh.h>

#include "sebind/mbedtls_util/curves.hpp"

namespace sebind::tls_mbedtls {

namespace {

/// Loads `group` and checks it is an A110 curve.
Result<stsafe::Curve> load_group(mbedtls_ecp_group_id group, mbedtls_ecp_group& grp) noexcept {
    const auto curve = curve_of_group(group);
    if (!curve) return Errc::not_supported;
    if (mbedtls_ecp_group_load(&grp, group) != 0) return Errc::not_supported;
    return *curve;
}

// The probe's RNG: reached only when mbedTLS's own ECDH runs (the hook answers the probe without
// drawing randomness); its failure then stops that ECDH at once.
int probe_rng(void* reached, unsigned char*, std::size_t) {
    *static_cast<bool*>(reached) = true;
    return MBEDTLS_ERR_ECP_RANDOM_FAILED;
}

}  // namespace

std::optional<stsafe::Curve> curve_of_group(mbedtls_ecp_group_id group) noexcept {
    return mbedtls_util::curve_of(group);
}

Status chip_ecdhe_public(stsafe::Device& device, mbedtls_ecp_group_id group, mbedtls_ecp_point& q) noexcept {
    mbedtls_ecp_group grp;
    mbedtls_ecp_group_init(&grp);
    struct Guard {
        mbedtls_ecp_group* g;
        ~Guard() { mbedtls_ecp_group_free(g); }
    } guard{&grp};
    SEBIND_TRY_ASSIGN(stsafe::Curve curve, load_group(group, grp));
    // Usage limit 1 (the driver forces it, §9 pitfall 9) and key establishment only: the
    // ephemeral key can then never sign, whatever the chip's own rule for slot 0xFF is.
    SEBIND_TRY_ASSIGN(stsafe::PublicKey key,
                      device.generate_key_pair(stsafe::kSlotEphemeral, curve, 1, stsafe::mode::kKeyEstablishment));
    int rc = mbedtls_util::read_point(key.x.view(), key.y.view(), q);
    if (rc == 0) rc = mbedtls_ecp_check_pubkey(&grp, &q);
    return rc == 0 ? Status::success() : Status(Errc::invalid_response);
}

Status chip_ecdhe_shared(stsafe::Device& device, mbedtls_ecp_group_id group, const mbedtls_ecp_point& peer,
                         mbedtls_mpi& z) noexcept {
    mbedtls_ecp_group grp;
    mbedtls_ecp_group_init(&grp);
    struct Guard {
        mbedtls_ecp_group* g;
        ~Guard() { mbedtls_ecp_group_free(g); }
    } guard{&grp};
    SEBIND_TRY_ASSIGN(stsafe::Curve curve, load_group(group, grp));
    // A point off the curve is the classic invalid-curve attack; the chip refuses it too (0x19),
    // but refusing here keeps the ephemeral key for a retry and gives a clearer error.
    if (mbedtls_ecp_check_pubkey(&grp, &peer) != 0) return Status(Errc::invalid_argument);
    stsafe::PublicKey p;
    p.curve = curve;
    const std::size_t n = stsafe::curve_info(curve).coordinate_size;
    p.x.resize(n);
    p.y.resize(n);
    if (mbedtls_util::write_point(peer, n, p.x.data(), p.y.data()) != 0) return Status(Errc::invalid_argument);
    SEBIND_TRY_ASSIGN(stsafe::SharedSecret secret, device.establish_key(stsafe::kSlotEphemeral, p));
    return mbedtls_mpi_read_binary(&z, secret.value.data(), secret.value.size()) == 0 ? Status::success()
                                                                                      : Status(Errc::buffer_too_small);
}

int chip_ecdhe_rng(void* binding, unsigned char* out, std::size_t size) {
    auto* b = static_cast<ChipEcdheBinding*>(binding);
    return b->f_rng(b->p_rng, out, size);
}

bool chip_ecdhe_available() noexcept {
    // The hook answers a binding without a device with BAD_INPUT_DATA and draws no randomness;
    // mbedTLS's own ECDH draws the private key first and so reaches probe_rng.
    bool reached = false;
    ChipEcdheBinding probe;
    probe.f_rng = probe_rng;
    probe.p_rng = &reached;
    mbedtls_ecdh_context ctx;
    mbedtls_ecdh_init(&ctx);
    unsigned char buf[2 * 48 + 2];
    std::size_t len = 0;
    int rc = mbedtls_ecdh_setup(&ctx, MBEDTLS_ECP_DP_SECP256R1);
    if (rc == 0) rc = mbedtls_ecdh_make_public(&ctx, &len, buf, sizeof buf, chip_ecdhe_rng, &probe);
    mbedtls_ecdh_free(&ctx);
    return rc == MBEDTLS_ERR_ECP_BAD_INPUT_DATA && !reached;
}

}  // namespace sebind::tls_mbedtls
