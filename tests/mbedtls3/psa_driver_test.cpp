// SPDX-License-Identifier: Apache-2.0
// The chip as a PSA opaque driver in Mbed TLS 3.6: built-in keys for slot 1, signatures made by
// the emulated chip (counted there), checked with PSA's software verification of the public key;
// the private key cannot be exported.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include <psa/crypto.h>
#include <psa/crypto_driver_stsafe.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "emulated_chip.hpp"
#include "pem.hpp"
#include "process.hpp"
#include "sebind/psa_stsafe/driver.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind {
namespace {

using stsafe::Curve;
using stsafe::kSlotUser;

struct PsaKeyTest : ::testing::TestWithParam<Curve> {
    void SetUp() override {
        auto pub = se->generate_key_pair(kSlotUser, GetParam());
        ASSERT_TRUE(pub);
        public_key = *pub;
        ASSERT_TRUE(psa_stsafe::attach(*se, kSlotUser, public_key).ok());
    }
    void TearDown() override { psa_stsafe::detach(kSlotUser); }

    std::size_t n() const { return stsafe::curve_info(GetParam()).coordinate_size; }
    psa_algorithm_t hash_alg() const { return GetParam() == Curve::p384 ? PSA_ALG_SHA_384 : PSA_ALG_SHA_256; }

    /// psa_verify_hash with the public key imported as a software key (not the driver).
    psa_status_t verify(psa_algorithm_t alg, const std::vector<unsigned char>& digest,
                        const std::vector<unsigned char>& sig) const {
        std::vector<unsigned char> point = {0x04};
        point.insert(point.end(), public_key.x.begin(), public_key.x.end());
        point.insert(point.end(), public_key.y.begin(), public_key.y.end());
        psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
        psa_set_key_type(&a, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
        psa_set_key_usage_flags(&a, PSA_KEY_USAGE_VERIFY_HASH);
        psa_set_key_algorithm(&a, alg);
        mbedtls_svc_key_id_t id = MBEDTLS_SVC_KEY_ID_INIT;
        if (psa_import_key(&a, point.data(), point.size(), &id) != PSA_SUCCESS) return PSA_ERROR_GENERIC_ERROR;
        const psa_status_t st = psa_verify_hash(id, alg, digest.data(), digest.size(), sig.data(), sig.size());
        psa_destroy_key(id);
        return st;
    }

    test::TempDir dir;
    test::EmulatedChip rig{dir.file("se")};
    stsafe::Device* se = rig.device.get();
    stsafe::PublicKey public_key;
};

TEST_P(PsaKeyTest, BuiltInKeyIsTheChipSlotAndSignsOnTheChip) {
    const mbedtls_svc_key_id_t id{psa_stsafe::key_id(kSlotUser)};
    psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
    ASSERT_EQ(psa_get_key_attributes(id, &attrs), PSA_SUCCESS);
    EXPECT_EQ(PSA_KEY_LIFETIME_GET_LOCATION(psa_get_key_lifetime(&attrs)), MBEDTLS_PSA_CRYPTO_STSAFE_LOCATION);
    EXPECT_EQ(psa_get_key_type(&attrs), PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    EXPECT_EQ(psa_get_key_bits(&attrs), n() * 8);
    EXPECT_EQ(psa_get_key_usage_flags(&attrs) & PSA_KEY_USAGE_EXPORT, 0u);
    psa_reset_key_attributes(&attrs);

    const auto digest = test::hash(GetParam() == Curve::p384 ? "SHA384" : "SHA256", "sebind");
    for (psa_algorithm_t alg : {PSA_ALG_ECDSA(hash_alg()), PSA_ALG_DETERMINISTIC_ECDSA(hash_alg())}) {
        const auto before = rig.chip->stats().signatures;
        std::vector<unsigned char> sig(PSA_SIGNATURE_MAX_SIZE);
        std::size_t len = 0;
        ASSERT_EQ(psa_sign_hash(id, alg, digest.data(), digest.size(), sig.data(), sig.size(), &len), PSA_SUCCESS);
        sig.resize(len);
        EXPECT_EQ(len, 2 * n());
        EXPECT_EQ(rig.chip->stats().signatures - before, 1u);  // counted by the emulated chip
        EXPECT_EQ(verify(alg, digest, sig), PSA_SUCCESS);
        sig[len / 2] ^= 1;  // S altered: the check above could fail
        EXPECT_EQ(verify(alg, digest, sig), PSA_ERROR_INVALID_SIGNATURE);
    }
    EXPECT_EQ(psa_stsafe::signatures(kSlotUser), 2u);
}

TEST_P(PsaKeyTest, PrivateKeyIsNotExportableAndPublicKeyIsTheSlots) {
    const mbedtls_svc_key_id_t id{psa_stsafe::key_id(kSlotUser)};
    std::array<unsigned char, 256> out{};
    std::size_t len = 0;
    EXPECT_EQ(psa_export_key(id, out.data(), out.size(), &len), PSA_ERROR_NOT_PERMITTED);
    EXPECT_EQ(len, 0u);
    ASSERT_EQ(psa_export_public_key(id, out.data(), out.size(), &len), PSA_SUCCESS);
    ASSERT_EQ(len, 1 + 2 * n());
    EXPECT_EQ(out[0], 0x04);
    EXPECT_EQ(std::vector<unsigned char>(out.begin() + 1, out.begin() + 1 + static_cast<long>(n())),
              std::vector<unsigned char>(public_key.x.begin(), public_key.x.end()));
    EXPECT_EQ(
        std::vector<unsigned char>(out.begin() + 1 + static_cast<long>(n()), out.begin() + static_cast<long>(len)),
        std::vector<unsigned char>(public_key.y.begin(), public_key.y.end()));
}

TEST_P(PsaKeyTest, DetachedSlotIsNoKeyAndChipRefusalIsReported) {
    const mbedtls_svc_key_id_t id{psa_stsafe::key_id(kSlotUser)};
    const auto digest = test::hash(GetParam() == Curve::p384 ? "SHA384" : "SHA256", "sebind");
    std::vector<unsigned char> sig(PSA_SIGNATURE_MAX_SIZE);
    std::size_t len = 0;

    // A key with a usage limit of 1: the second signature is the chip's refusal, passed through.
    auto pub = se->generate_key_pair(kSlotUser, GetParam(), 1);
    ASSERT_TRUE(pub);
    ASSERT_TRUE(psa_stsafe::attach(*se, kSlotUser, *pub).ok());
    ASSERT_EQ(psa_sign_hash(id, PSA_ALG_ECDSA(hash_alg()), digest.data(), digest.size(), sig.data(), sig.size(), &len),
              PSA_SUCCESS);
    EXPECT_EQ(psa_sign_hash(id, PSA_ALG_ECDSA(hash_alg()), digest.data(), digest.size(), sig.data(), sig.size(), &len),
              PSA_ERROR_NOT_PERMITTED);
    EXPECT_EQ(psa_stsafe::last_error(kSlotUser).code(), Errc::not_permitted);

    psa_stsafe::detach(kSlotUser);
    const auto before = rig.chip->stats().commands;
    EXPECT_NE(psa_sign_hash(id, PSA_ALG_ECDSA(hash_alg()), digest.data(), digest.size(), sig.data(), sig.size(), &len),
              PSA_SUCCESS);
    EXPECT_EQ(rig.chip->stats().commands, before);
}

TEST(PsaKeyAttach, RefusesAPointOffTheCurveAndOtherSlots) {
    test::TempDir dir;
    test::EmulatedChip rig{dir.file("se")};
    auto pub = rig.device->generate_key_pair(kSlotUser, Curve::p256);
    ASSERT_TRUE(pub);
    EXPECT_EQ(psa_stsafe::attach(*rig.device, stsafe::kSlotEphemeral, *pub).code(), Errc::invalid_argument);
    auto bad = *pub;
    bad.y[0] ^= 1;
    EXPECT_EQ(psa_stsafe::attach(*rig.device, kSlotUser, bad).code(), Errc::invalid_argument);
    psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
    EXPECT_NE(psa_get_key_attributes(mbedtls_svc_key_id_t{psa_stsafe::key_id(kSlotUser)}, &attrs), PSA_SUCCESS);
}

TEST(PsaFactoryKey, Slot0WithTheKeyOfItsZone0CertificateSignsWhatTheCertificateVerifies) {
    test::TempDir dir;
    test::EmulatedChip rig{dir.file("se")};
    // The factory certificate: DER at offset 0 of zone 0, its length from its own header.
    std::uint8_t head[4];
    ASSERT_TRUE(rig.device->read(0, 0, head).ok());
    auto total = stsafe::der_total_length(head);
    ASSERT_TRUE(total);
    std::vector<std::uint8_t> der(*total);
    ASSERT_TRUE(rig.device->read(0, 0, der).ok());
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    ASSERT_EQ(mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()), 0);
    // Its public point, as mbedtls_pk_write_pubkey writes it (backwards from the end).
    unsigned char buf[160];
    unsigned char* p = buf + sizeof buf;
    const int len = mbedtls_pk_write_pubkey(&p, buf, &crt.pk);
    ASSERT_EQ(len, 65);  // the A110's factory key is P-256
    stsafe::PublicKey key;
    key.curve = Curve::p256;
    key.x.assign(Bytes(p + 1, 32));
    key.y.assign(Bytes(p + 33, 32));
    ASSERT_TRUE(psa_stsafe::attach(*rig.device, stsafe::kSlotFactory, key).ok());

    const auto digest = test::hash("SHA256", "factory identity");
    std::vector<unsigned char> sig(PSA_SIGNATURE_MAX_SIZE);
    std::size_t sig_len = 0;
    const auto before = rig.chip->stats().signatures;
    ASSERT_EQ(
        psa_sign_hash(mbedtls_svc_key_id_t{psa_stsafe::key_id(stsafe::kSlotFactory)}, PSA_ALG_ECDSA(PSA_ALG_SHA_256),
                      digest.data(), digest.size(), sig.data(), sig.size(), &sig_len),
        PSA_SUCCESS);
    EXPECT_EQ(rig.chip->stats().signatures - before, 1u);
    ASSERT_EQ(sig_len, 64u);
    stsafe::Signature rs;
    rs.curve = Curve::p256;
    rs.r.assign(Bytes(sig.data(), 32));
    rs.s.assign(Bytes(sig.data() + 32, 32));
    const auto sig_der = test::signature_der(rs);
    EXPECT_EQ(
        mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig_der.data(), sig_der.size()), 0);
    const auto other = test::hash("SHA256", "another message");
    EXPECT_NE(mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, other.data(), other.size(), sig_der.data(), sig_der.size()),
              0);
    psa_stsafe::detach(stsafe::kSlotFactory);
    mbedtls_x509_crt_free(&crt);
}

INSTANTIATE_TEST_SUITE_P(Curves, PsaKeyTest, ::testing::Values(Curve::p256, Curve::p384),
                         [](const auto& p) { return p.param == Curve::p384 ? "P384" : "P256"; });

}  // namespace
}  // namespace sebind
