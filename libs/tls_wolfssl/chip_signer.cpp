// SPDX-License-Identifier: Apache-2.0
// ECC signing through the chip for wolfSSL, and the key wolfSSL loads in place of the private key.
//
// wolfSSL 5.5 has no opaque-key object for a TLS client; what it does have (ssl.c, key loading,
// WOLF_PRIVATE_KEY_ID builds) is a fallback: when an ECC sign PK callback is already registered
// on the context and the "private key" buffer does not decode as a private key, it is decoded as
// a public key and accepted. Key type and size then come from that public key (TLS 1.3 picks
// ecdsa_secp384r1_sha384 for a P-384 key), and every signature goes to the callback. The order
// matters: the callback must be set before wolfSSL_CTX_use_PrivateKey_buffer (docs/tls-wolfssl.md).
#include "chip_signer.hpp"

#include <optional>

#include "sebind/stsafe/protocol.hpp"

namespace sebind::tls_wolfssl {

int chip_sign(WOLFSSL*, const unsigned char* in, unsigned int in_size, unsigned char* out, word32* out_size,
              const unsigned char*, unsigned int, void* ctx) noexcept {
    auto* signer = static_cast<ChipSigner*>(ctx);
    if (signer == nullptr || signer->device == nullptr) return BAD_FUNC_ARG;
    signer->last_digest_size = in_size;
    // The driver fits the digest to the slot's curve (leftmost bytes of a longer one, as ECDSA
    // does) and reads the curve from the chip; nothing to cut here.
    auto sig = signer->device->generate_signature(signer->slot, Bytes(in, in_size));
    if (!sig) {
        signer->last_error = sig.status();
        // wolfSSL only passes an int up: WC_HW_E ("error with hardware crypto use") for every
        // chip failure; the Status itself stays in last_error for the diagnosis.
        return WC_HW_E;
    }
    ++signer->signatures;
    // R and S come fixed-size from the chip; wolfCrypt writes the DER SEQUENCE of two INTEGERs.
    return wc_ecc_rs_raw_to_sig(sig->r.data(), static_cast<word32>(sig->r.size()), sig->s.data(),
                                static_cast<word32>(sig->s.size()), out, out_size);
}

namespace {

std::optional<stsafe::Curve> curve_of(int wolf_curve_id) noexcept {
    switch (wolf_curve_id) {
        case ECC_SECP256R1: return stsafe::Curve::p256;
        case ECC_SECP384R1: return stsafe::Curve::p384;
        case ECC_BRAINPOOLP256R1: return stsafe::Curve::brainpool_p256r1;
        case ECC_BRAINPOOLP384R1: return stsafe::Curve::brainpool_p384r1;
        default: return std::nullopt;
    }
}

}  // namespace

Result<LeafKey> leaf_key(Bytes leaf_der) noexcept {
    WOLFSSL_X509* x509 = wolfSSL_X509_d2i(nullptr, leaf_der.data(), static_cast<int>(leaf_der.size()));
    if (x509 == nullptr) return Errc::invalid_argument;
    LeafKey out;
    int size = 0;
    const bool ec = wolfSSL_X509_get_pubkey_type(x509) == ECDSAk;
    if (ec && wolfSSL_X509_get_pubkey_buffer(x509, nullptr, &size) == WOLFSSL_SUCCESS && size > 0) {
        out.spki.resize(static_cast<std::size_t>(size));
        if (wolfSSL_X509_get_pubkey_buffer(x509, out.spki.data(), &size) != WOLFSSL_SUCCESS) out.spki.clear();
    }
    wolfSSL_X509_free(x509);
    if (out.spki.empty()) return Errc::not_supported;
    ecc_key key;
    if (wc_ecc_init(&key) != 0) return Errc::not_supported;
    word32 index = 0;
    std::optional<stsafe::Curve> curve;
    if (wc_EccPublicKeyDecode(out.spki.data(), &index, &key, static_cast<word32>(out.spki.size())) == 0)
        curve = curve_of(wc_ecc_get_curve_id(key.idx));
    wc_ecc_free(&key);
    if (!curve) return Errc::not_supported;
    out.curve = *curve;
    return out;
}

}  // namespace sebind::tls_wolfssl
