// SPDX-License-Identifier: Apache-2.0
// The emulator's "factory": a fresh chip with a slot-0 key and a device certificate signed by a
// factory CA whose private key exists only during init_chip. Also Chip::open/create_in_memory.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if defined(MBEDTLS_USE_PSA_CRYPTO)
#include <psa/crypto.h>
#endif

#include <sys/stat.h>

#include "chip_impl.hpp"
#include "sebind/core/hex.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/mbedtls_util/curves.hpp"

namespace sebind::emu {

namespace {

/// An mbedtls_pk_context holding an EC key; freed (private part wiped) on scope exit.
struct Pk {
    mbedtls_pk_context ctx;
    Pk() { mbedtls_pk_init(&ctx); }
    ~Pk() { mbedtls_pk_free(&ctx); }
    Pk(const Pk&) = delete;
    Pk& operator=(const Pk&) = delete;

    bool setup(const KeySlotState& key, bool with_private) {
        if (mbedtls_pk_setup(&ctx, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0) return false;
        mbedtls_ecp_keypair* ec = mbedtls_pk_ec(ctx);
        return mbedtls_ecp_group_load(&ec->grp, mbedtls_util::group_of(key.curve)) == 0 &&
               mbedtls_util::read_point(key.x, key.y, ec->Q) == 0 &&
               (!with_private ||
                mbedtls_mpi_read_binary(&ec->d, key.private_scalar.data(), key.private_scalar.size()) == 0);
    }
};

/// Writes one certificate (DER) signed by `issuer_key`.
Status write_certificate(Rng& rng, mbedtls_pk_context& subject_key, mbedtls_pk_context& issuer_key,
                         const std::string& subject, const std::string& issuer, bool is_ca, std::uint32_t days,
                         std::vector<std::uint8_t>& der) {
    mbedtls_x509write_cert crt;
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    std::uint8_t serial_bytes[16];
    rng.fill(serial_bytes);
    serial_bytes[0] &= 0x7F;  // positive INTEGER
    const std::time_t now = std::time(nullptr);
    const std::string from = mbedtls_util::x509_time(now - 3600);
    const std::string to = mbedtls_util::x509_time(now + static_cast<std::time_t>(days) * 86400);
    std::vector<std::uint8_t> buf(4096);
    int rc = mbedtls_mpi_read_binary(&serial, serial_bytes, sizeof serial_bytes);
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &subject_key);
    mbedtls_x509write_crt_set_issuer_key(&crt, &issuer_key);
#if MBEDTLS_VERSION_MAJOR >= 3
    if (rc == 0) rc = mbedtls_x509write_crt_set_serial_raw(&crt, serial_bytes, sizeof serial_bytes);
#else
    if (rc == 0) rc = mbedtls_x509write_crt_set_serial(&crt, &serial);
#endif
    if (rc == 0) rc = mbedtls_x509write_crt_set_subject_name(&crt, subject.c_str());
    if (rc == 0) rc = mbedtls_x509write_crt_set_issuer_name(&crt, issuer.c_str());
    if (rc == 0) rc = mbedtls_x509write_crt_set_validity(&crt, from.c_str(), to.c_str());
    if (rc == 0) rc = mbedtls_x509write_crt_set_basic_constraints(&crt, is_ca ? 1 : 0, is_ca ? 0 : -1);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_key_usage(
            &crt, is_ca ? (MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)
                        : (MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_AGREEMENT));
#if defined(MBEDTLS_SHA1_C)  // the key identifiers are SHA-1 hashes; sebind's 3.6 config has no SHA-1
    if (rc == 0) rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt);
    if (rc == 0) rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt);
#endif
    int len = rc == 0 ? mbedtls_x509write_crt_der(&crt, buf.data(), buf.size(), &Rng::callback, &rng) : rc;
    mbedtls_x509write_crt_free(&crt);
    mbedtls_mpi_free(&serial);
    if (len <= 0) return Status(Errc::hardware_failure);
    der.assign(buf.end() - len, buf.end());
    return Status::success();
}

/// Builds a chip: serial, layout, slot-0 key, factory CA, device certificate in zone 0.
Status manufacture(const InitOptions& options, ChipState& state, std::string& ca_pem) {
#if defined(MBEDTLS_USE_PSA_CRYPTO)
    // With MBEDTLS_USE_PSA_CRYPTO (Mbed TLS 3.6), pk signs through PSA, which must be started.
    if (psa_crypto_init() != PSA_SUCCESS) return Status(Errc::hardware_failure);
#endif
    Rng rng(options.seed);
    Curves curves;
    if (!rng.ok()) return Status(Errc::hardware_failure);
    std::array<std::uint8_t, 9> serial{};
    rng.fill(serial);
    state = blank_a110(serial);

    KeySlotState& slot0 = state.slots[0];
    slot0.mode = stsafe::mode::kSignDigests | stsafe::mode::kKeyEstablishment;
    slot0.usage_limit = 0xFFFF;
    SEBIND_TRY(generate_key(curves, rng, stsafe::Curve::p256, slot0));

    KeySlotState ca_key;
    SEBIND_TRY(generate_key(curves, rng, stsafe::Curve::p256, ca_key));
    Pk ca, device;
    if (!ca.setup(ca_key, true) || !device.setup(slot0, false)) return Status(Errc::hardware_failure);
    secure_zero(ca_key.private_scalar.data(), ca_key.private_scalar.size());

    // X.509 tools often print non-ASCII as '?': the certificates carry an ASCII form of kBanner.
    const std::string banner = "EMULATED - development only";
    const std::string ca_name = "CN=sebind emulated factory CA (" + banner + "),O=sebind";
    const std::string cn = options.device_common_name.empty() ? "STSAFE-A110 EMU " + to_hex(serial)
                                                              : options.device_common_name;
    const std::string device_name = "CN=" + cn + ",O=sebind " + banner;

    std::vector<std::uint8_t> ca_der, device_der;
    SEBIND_TRY(write_certificate(rng, ca.ctx, ca.ctx, ca_name, ca_name, true, options.certificate_days + 365, ca_der));
    SEBIND_TRY(
        write_certificate(rng, device.ctx, ca.ctx, device_name, ca_name, false, options.certificate_days, device_der));
    ZoneState* zone0 = state.zone(0);
    if (!zone0 || device_der.size() > zone0->data.size()) return Status(Errc::hardware_failure);
    std::copy(device_der.begin(), device_der.end(), zone0->data.begin());
    return mbedtls_util::certificate_pem(ca_der, ca_pem) == 0 ? Status::success() : Status(Errc::hardware_failure);
}

Status make_dirs(const std::string& dir) {
    std::string path;
    for (std::size_t i = 0; i <= dir.size(); ++i) {
        if (i == dir.size() || (dir[i] == '/' && i > 0)) {
            path = dir.substr(0, i);
            if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Status(Errc::storage_failure);
        }
    }
    return Status::success();
}

}  // namespace

Status init_chip(std::string_view dir_view, const InitOptions& options) {
    const std::string dir(dir_view);
    if (dir.empty()) return Status(Errc::invalid_argument);
    SEBIND_TRY(make_dirs(dir));
    const std::string state_path = dir + "/" + kStateFile;
    struct stat st {};
    if (::stat(state_path.c_str(), &st) == 0) return Status(Errc::already_exists);

    ChipState state;
    std::string ca_pem;
    SEBIND_TRY(manufacture(options, state, ca_pem));
    SEBIND_TRY(write_file_atomic(dir + "/" + kFactoryCaFile,
                                 Bytes(reinterpret_cast<const std::uint8_t*>(ca_pem.data()), ca_pem.size()), 0644));
    const auto encoded = encode_state(state);
    return write_file_atomic(state_path, encoded);
}

Result<std::unique_ptr<Chip>> Chip::open(std::string_view dir_view, const OpenOptions& options) {
    const std::string dir(dir_view);
    auto data = read_file(dir + "/" + kStateFile);
    if (!data) return data.status();
    auto state = decode_state(*data);
    if (!state) return state.status();
    auto store = options.persist ? make_file_store(dir) : make_memory_store(std::move(*data));
    return std::unique_ptr<Chip>(new ChipImpl(std::move(*state), std::move(store), options, 0));
}

Result<std::unique_ptr<Chip>> Chip::create_in_memory(const InitOptions& init, const OpenOptions& options) {
    ChipState state;
    std::string ca_pem;
    SEBIND_TRY(manufacture(init, state, ca_pem));
    auto encoded = encode_state(state);
    // The same seed keeps the chip's own randomness reproducible in tests.
    const std::uint64_t seed = init.seed ? init.seed ^ 0x5EB1D5EB1D5EB1Dull : 0;
    return std::unique_ptr<Chip>(new ChipImpl(std::move(state), make_memory_store(std::move(encoded)), options, seed));
}

}  // namespace sebind::emu
