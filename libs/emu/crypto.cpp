// SPDX-License-Identifier: Apache-2.0
// mbedTLS-backed cryptography of the chip model. Private scalars are wiped from every temporary.
#include "crypto.hpp"

#include <cstring>

#include <mbedtls/aes.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "sebind/mbedtls_util/curves.hpp"

namespace sebind::emu {

Rng::Rng(std::uint64_t seed) : m_seed(seed) {
    mbedtls_ctr_drbg_init(&m_drbg);
    mbedtls_entropy_init(&m_entropy);
    static constexpr unsigned char kPersonal[] = "sebind emulated STSAFE-A110";
    if (seed == 0) {
        m_ok = mbedtls_ctr_drbg_seed(&m_drbg, mbedtls_entropy_func, &m_entropy, kPersonal, sizeof kPersonal) == 0;
    } else {
        m_ok = mbedtls_ctr_drbg_seed(&m_drbg, &Rng::seeded_entropy, this, kPersonal, sizeof kPersonal) == 0;
    }
}

Rng::~Rng() {
    mbedtls_ctr_drbg_free(&m_drbg);
    mbedtls_entropy_free(&m_entropy);
}

int Rng::seeded_entropy(void* self, unsigned char* out, std::size_t n) {
    // splitmix64 stream from the test seed: reproducible, deliberately not secret.
    auto* rng = static_cast<Rng*>(self);
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t z = (rng->m_seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        out[i] = static_cast<unsigned char>(z ^ (z >> 31));
    }
    return 0;
}

int Rng::callback(void* self, unsigned char* out, std::size_t n) {
    return mbedtls_ctr_drbg_random(&static_cast<Rng*>(self)->m_drbg, out, n);
}

void Rng::fill(MutableBytes out) noexcept {
    // ctr_drbg hands out at most 1024 bytes per call.
    for (std::size_t done = 0; done < out.size();) {
        const std::size_t n = std::min<std::size_t>(out.size() - done, MBEDTLS_CTR_DRBG_MAX_REQUEST);
        if (callback(this, out.data() + done, n) != 0) std::memset(out.data() + done, 0, n);
        done += n;
    }
}

Curves::Curves() {
    for (auto& g : m_groups) mbedtls_ecp_group_init(&g);
}

Curves::~Curves() {
    for (auto& g : m_groups) mbedtls_ecp_group_free(&g);
}

mbedtls_ecp_group* Curves::group(stsafe::Curve curve) noexcept {
    const auto i = static_cast<std::size_t>(curve);
    if (i >= kCount) return nullptr;
    if (!m_loaded[i]) m_loaded[i] = mbedtls_ecp_group_load(&m_groups[i], mbedtls_util::group_of(curve)) == 0;
    return m_loaded[i] ? &m_groups[i] : nullptr;
}

namespace {

/// A cached EC group plus scratch numbers, freed (and the scalar wiped) on scope exit.
struct Ec {
    mbedtls_ecp_group* grp;
    mbedtls_mpi d, r, s, z;
    mbedtls_ecp_point q;
    std::size_t n = 0;
    bool ok = false;
    Ec(Curves& curves, stsafe::Curve curve) : grp(curves.group(curve)) {
        mbedtls_mpi_init(&d);
        mbedtls_mpi_init(&r);
        mbedtls_mpi_init(&s);
        mbedtls_mpi_init(&z);
        mbedtls_ecp_point_init(&q);
        n = stsafe::curve_info(curve).coordinate_size;
        ok = grp != nullptr;
    }
    ~Ec() {
        mbedtls_mpi_free(&d);  // mbedtls_mpi_free zeroises the limbs
        mbedtls_mpi_free(&r);
        mbedtls_mpi_free(&s);
        mbedtls_mpi_free(&z);
        mbedtls_ecp_point_free(&q);
    }
    Ec(const Ec&) = delete;
    Ec& operator=(const Ec&) = delete;

    bool load_point(Bytes x, Bytes y) {
        return x.size() == n && y.size() == n && mbedtls_util::read_point(x, y, q) == 0;
    }
    bool write(const mbedtls_mpi& v, std::vector<std::uint8_t>& out) const {
        out.assign(n, 0);
        return mbedtls_mpi_write_binary(&v, out.data(), n) == 0;
    }
};

}  // namespace

Status generate_key(Curves& curves, Rng& rng, stsafe::Curve curve, KeySlotState& slot) noexcept {
    Ec ec(curves, curve);
    if (!ec.ok || mbedtls_ecp_gen_keypair(ec.grp, &ec.d, &ec.q, &Rng::callback, &rng) != 0)
        return Status(Errc::hardware_failure);
    KeySlotState fresh;
    fresh.present = true;
    fresh.curve = curve;
    if (!ec.write(ec.d, fresh.private_scalar) || !ec.write(ec.q.X, fresh.x) || !ec.write(ec.q.Y, fresh.y))
        return Status(Errc::hardware_failure);
    fresh.mode = slot.mode;
    fresh.usage_limit = slot.usage_limit;
    if (!slot.private_scalar.empty()) secure_zero(slot.private_scalar.data(), slot.private_scalar.size());
    slot = std::move(fresh);
    return Status::success();
}

Status sign_digest(Curves& curves, Rng& rng, const KeySlotState& key, Bytes digest, std::vector<std::uint8_t>& r,
                   std::vector<std::uint8_t>& s) noexcept {
    Ec ec(curves, key.curve);
    if (!ec.ok || mbedtls_mpi_read_binary(&ec.d, key.private_scalar.data(), key.private_scalar.size()) != 0)
        return Status(Errc::hardware_failure);
    if (mbedtls_ecdsa_sign(ec.grp, &ec.r, &ec.s, &ec.d, digest.data(), digest.size(), &Rng::callback, &rng) != 0)
        return Status(Errc::hardware_failure);
    if (!ec.write(ec.r, r) || !ec.write(ec.s, s)) return Status(Errc::hardware_failure);
    return Status::success();
}

Result<bool> verify_digest(Curves& curves, stsafe::Curve curve, Bytes x, Bytes y, Bytes r, Bytes s,
                           Bytes digest) noexcept {
    Ec ec(curves, curve);
    if (!ec.ok) return Errc::hardware_failure;
    if (!ec.load_point(x, y) || mbedtls_ecp_check_pubkey(ec.grp, &ec.q) != 0) return Errc::invalid_argument;
    if (mbedtls_mpi_read_binary(&ec.r, r.data(), r.size()) != 0 ||
        mbedtls_mpi_read_binary(&ec.s, s.data(), s.size()) != 0)
        return Errc::invalid_argument;
    return mbedtls_ecdsa_verify(ec.grp, digest.data(), digest.size(), &ec.q, &ec.r, &ec.s) == 0;
}

Status ecdh(Curves& curves, Rng& rng, const KeySlotState& key, Bytes x, Bytes y,
            std::vector<std::uint8_t>& secret) noexcept {
    Ec ec(curves, key.curve);
    if (!ec.ok) return Status(Errc::hardware_failure);
    if (!ec.load_point(x, y) || mbedtls_ecp_check_pubkey(ec.grp, &ec.q) != 0) return Status(Errc::invalid_argument);
    if (mbedtls_mpi_read_binary(&ec.d, key.private_scalar.data(), key.private_scalar.size()) != 0 ||
        mbedtls_ecdh_compute_shared(ec.grp, &ec.z, &ec.q, &ec.d, &Rng::callback, &rng) != 0 || !ec.write(ec.z, secret))
        return Status(Errc::hardware_failure);
    return Status::success();
}

namespace {
constexpr std::uint8_t kDefaultIv[8] = {0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6};
// The chip's envelope keys are AES-128 or AES-256; AES-192 is accepted so that every RFC 3394
// §4 vector can be checked.
constexpr bool valid_kek_size(std::size_t n) { return n == 16 || n == 24 || n == 32; }
}  // namespace

// mbedTLS can do this (nist_kw.c) but Debian 12 builds it without MBEDTLS_NIST_KW_C, so the
// RFC 3394 §2.2.1 index-based algorithm is written here on top of AES-ECB.
Status aes_key_wrap(Bytes key, Bytes plaintext, std::vector<std::uint8_t>& out) noexcept {
    if (plaintext.size() < 8 || plaintext.size() % 8 != 0 || !valid_kek_size(key.size()))
        return Status(Errc::invalid_argument);
    const std::size_t n = plaintext.size() / 8;
    out.assign(plaintext.size() + 8, 0);
    std::memcpy(out.data(), kDefaultIv, 8);
    std::memcpy(out.data() + 8, plaintext.data(), plaintext.size());
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    bool ok = mbedtls_aes_setkey_enc(&aes, key.data(), static_cast<unsigned>(key.size() * 8)) == 0;
    std::uint8_t block[16];
    for (std::size_t j = 0; ok && j < 6; ++j) {
        for (std::size_t i = 1; i <= n; ++i) {
            std::memcpy(block, out.data(), 8);
            std::memcpy(block + 8, out.data() + 8 * i, 8);
            ok = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, block, block) == 0;
            std::uint64_t t = n * j + i;
            for (int b = 7; b >= 0; --b, t >>= 8) block[b] ^= static_cast<std::uint8_t>(t);
            std::memcpy(out.data(), block, 8);
            std::memcpy(out.data() + 8 * i, block + 8, 8);
        }
    }
    mbedtls_aes_free(&aes);
    secure_zero(block, sizeof block);
    return ok ? Status::success() : Status(Errc::hardware_failure);
}

Status aes_key_unwrap(Bytes key, Bytes envelope, std::vector<std::uint8_t>& out) noexcept {
    if (envelope.size() < 16 || envelope.size() % 8 != 0 || !valid_kek_size(key.size()))
        return Status(Errc::invalid_argument);
    const std::size_t n = envelope.size() / 8 - 1;
    std::uint8_t a[8];
    std::memcpy(a, envelope.data(), 8);
    out.assign(envelope.begin() + 8, envelope.end());
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    bool ok = mbedtls_aes_setkey_dec(&aes, key.data(), static_cast<unsigned>(key.size() * 8)) == 0;
    std::uint8_t block[16];
    for (std::size_t j = 6; ok && j-- > 0;) {
        for (std::size_t i = n; i >= 1; --i) {
            std::memcpy(block, a, 8);
            std::uint64_t t = n * j + i;
            for (int b = 7; b >= 0; --b, t >>= 8) block[b] ^= static_cast<std::uint8_t>(t);
            std::memcpy(block + 8, out.data() + 8 * (i - 1), 8);
            ok = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT, block, block) == 0;
            std::memcpy(a, block, 8);
            std::memcpy(out.data() + 8 * (i - 1), block + 8, 8);
        }
    }
    mbedtls_aes_free(&aes);
    secure_zero(block, sizeof block);
    if (!ok) return Status(Errc::hardware_failure);
    if (!constant_time_equal(Bytes(a, 8), Bytes(kDefaultIv, 8))) {
        secure_zero(out.data(), out.size());
        out.clear();
        return Status(Errc::integrity_failure);
    }
    return Status::success();
}

}  // namespace sebind::emu
