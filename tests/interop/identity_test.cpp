// SPDX-License-Identifier: Apache-2.0
// Issue 3 end to end against real peers: a blank emulated chip gets a key, a chip-signed CSR
// (`openssl req -verify`), a certificate (sebind pki sign or `openssl x509 -req`), stores it
// power-safely, passes the pairing check, and authenticates to `openssl s_server -Verify 1`.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "emulated_chip.hpp"
#include "peer.hpp"
#include "pem.hpp"
#include "process.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/dev_pki.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "tls_client.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using test::run;

namespace {

class Identity : public ::testing::Test {
protected:
    /// A self-signed server certificate for CN/SAN localhost on `curve` ("P-256" / "P-384").
    void make_server(const std::string& curve) {
        auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:" + curve, "-nodes",
                      "-keyout", dir.file("server.key"), "-out", dir.file("server.pem"), "-subj", "/CN=localhost",
                      "-addext", "subjectAltName=DNS:localhost", "-days", "30"});
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }

    /// `openssl x509 -req` with a throwaway openssl CA (the "any other CA" path).
    std::string openssl_ca_sign(const std::string& csr_file, int days = 30) {
        if (!std::filesystem::exists(dir.file("oca.pem"))) {
            auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-keyout", dir.file("oca.key"), "-out", dir.file("oca.pem"), "-subj", "/CN=openssl test CA",
                          "-days", "30"});
            EXPECT_EQ(r.exit_code, 0) << r.output;
        }
        auto r = run({"openssl", "x509", "-req", "-in", csr_file, "-CA", dir.file("oca.pem"), "-CAkey",
                      dir.file("oca.key"), "-CAcreateserial", "-days", std::to_string(days), "-out",
                      dir.file("ossl.crt")});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return test::read_text(dir.file("ossl.crt"));
    }

    std::string csr_for(std::uint8_t slot, const std::string& cn) {
        auto csr = identity::make_csr(*se, slot, identity::default_zone(slot), "CN=" + cn + ",O=Acme", {cn + ".local"});
        EXPECT_TRUE(csr) << to_string(csr.status().code());
        test::write_file(dir.file("dev.csr"), csr ? *csr : std::string());
        auto verify = run({"openssl", "req", "-verify", "-noout", "-in", dir.file("dev.csr")});
        EXPECT_EQ(verify.exit_code, 0) << verify.output;
        return csr ? *csr : std::string();
    }

    /// One handshake against `openssl s_server -Verify 1 -verify_return_error`.
    test::TlsResult handshake(std::uint8_t slot, std::uint8_t zone, const std::string& client_ca,
                              const std::string& cipher) {
        auto stored = identity::read_certificate(*se, zone);
        EXPECT_TRUE(stored);
        mbedtls_x509_crt crt;
        mbedtls_x509_crt_init(&crt);
        EXPECT_EQ(mbedtls_x509_crt_parse_der(&crt, stored->der.data(), stored->der.size()), 0);
        auto pub = mbedtls_util::public_key_of(crt.pk);
        mbedtls_x509_crt_free(&crt);
        EXPECT_TRUE(pub);
        mbedtls_pk_context key;
        mbedtls_pk_init(&key);
        EXPECT_TRUE(mbedtls_util::setup_se_key(key, *se, slot, *pub).ok());

        const int port = test::free_port();
        test::Peer server({"openssl", "s_server", "-accept", std::to_string(port), "-naccept", "1", "-cert",
                           dir.file("server.pem"), "-key", dir.file("server.key"), "-CAfile", client_ca, "-Verify", "1",
                           "-verify_return_error", "-cipher", cipher, "-no_tls1_3"});
        EXPECT_TRUE(server.wait_for("ACCEPT")) << server.output();
        test::TlsClientOptions o;
        o.port = port;
        o.ca_file = dir.file("server.pem");
        o.own_cert_der = stored->der;
        o.own_key = &key;
        auto result = test::tls_connect(o);
        signatures_in_last_handshake = mbedtls_util::se_key_signatures(key);
        mbedtls_pk_free(&key);
        server.wait_exit(5000);
        server_output = server.output();
        return result;
    }

    test::TempDir dir;
    test::EmulatedChip rig{dir.file("se")};
    emu::Chip* chip = rig.chip.get();
    Device* se = rig.device.get();
    std::vector<std::uint8_t> expired_certificate_for_slot1();
    std::uint32_t signatures_in_last_handshake = 0;
    std::string server_output;
};

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

/// A certificate for slot 1's key that expired in 2021, issued with mbedTLS (openssl x509 -req
/// cannot back-date) by the openssl test CA.
std::vector<std::uint8_t> Identity::expired_certificate_for_slot1() {
    auto pub = identity::slot_public_key(*se, kSlotUser, 4);
    EXPECT_TRUE(pub);
    mbedtls_pk_context subject, issuer;
    mbedtls_pk_init(&subject);
    mbedtls_pk_init(&issuer);
    EXPECT_TRUE(mbedtls_util::setup_se_key(subject, *se, kSlotUser, *pub).ok());
    EXPECT_EQ(mbedtls_pk_parse_keyfile(&issuer, dir.file("oca.key").c_str(), nullptr), 0);
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    mbedtls_mpi_lset(&serial, 4242);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &subject);
    mbedtls_x509write_crt_set_issuer_key(&w, &issuer);
    mbedtls_x509write_crt_set_serial(&w, &serial);
    mbedtls_x509write_crt_set_subject_name(&w, "CN=device-expired");
    mbedtls_x509write_crt_set_issuer_name(&w, "CN=openssl test CA");
    mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20210101000000");
    std::vector<unsigned char> buf(4096);
    const int len = mbedtls_x509write_crt_der(
        &w, buf.data(), buf.size(),
        [](void*, unsigned char* o, std::size_t n) {
            for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<unsigned char>(i * 37 + 11);
            return 0;
        },
        nullptr);
    EXPECT_GT(len, 0);
    mbedtls_x509write_crt_free(&w);
    mbedtls_mpi_free(&serial);
    mbedtls_pk_free(&subject);
    mbedtls_pk_free(&issuer);
    return {buf.end() - len, buf.end()};
}

TEST_F(Identity, P384WithPkiSignThroughToMutualTls) {
    identity::KeygenOptions kg;
    kg.curve = Curve::p384;
    ASSERT_TRUE(identity::keygen(*se, kg));
    const std::string csr = csr_for(kSlotUser, "device-384");
    ASSERT_TRUE(identity::create_dev_pki(dir.file("pki"), {}).ok());
    auto crt = identity::sign_csr(dir.file("pki"), csr, 30);
    ASSERT_TRUE(crt) << to_string(crt.status().code());
    test::write_file(dir.file("dev.crt"), *crt);
    auto chain_ok = run({"openssl", "verify", "-CAfile", dir.file("pki/ca.pem"), dir.file("dev.crt")});
    EXPECT_EQ(chain_ok.exit_code, 0) << chain_ok.output;
    auto san = run({"openssl", "x509", "-in", dir.file("dev.crt"), "-noout", "-ext", "subjectAltName"});
    EXPECT_NE(san.output.find("DNS:device-384.local"), std::string::npos) << san.output;

    auto report = identity::store_certificate(*se, bytes_of(*crt), {});
    ASSERT_TRUE(report) << to_string(report.status().code());
    EXPECT_TRUE(identity::verify_pair(*se, kSlotUser, identity::read_certificate(*se, 4)->der).ok());

    make_server("P-384");
    auto r = handshake(kSlotUser, 4, dir.file("pki/ca.pem"), "ECDHE-ECDSA-AES256-GCM-SHA384");
    EXPECT_EQ(r.handshake, 0) << r.error << "\n" << server_output;
    EXPECT_EQ(r.ciphersuite, "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384");
    EXPECT_EQ(signatures_in_last_handshake, 1u);
}

TEST_F(Identity, P256WithOpensslCaThroughToMutualTls) {
    ASSERT_TRUE(identity::keygen(*se, {}));
    csr_for(kSlotUser, "device-256");
    const std::string crt = openssl_ca_sign(dir.file("dev.csr"));
    auto report = identity::store_certificate(*se, bytes_of(crt), {});
    ASSERT_TRUE(report) << to_string(report.status().code());
    make_server("P-256");
    auto r = handshake(kSlotUser, 4, dir.file("oca.pem"), "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(r.handshake, 0) << r.error << "\n" << server_output;
    EXPECT_EQ(r.ciphersuite, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
}

TEST_F(Identity, FactorySlot0AuthenticatesWithTheFactoryCa) {
    make_server("P-256");
    auto r = handshake(kSlotFactory, 0, dir.file("se/factory-ca.pem"), "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(r.handshake, 0) << r.error << "\n" << server_output;
}

TEST_F(Identity, ServerRejectsAClientFromAnotherCa) {
    ASSERT_TRUE(identity::keygen(*se, {}));
    csr_for(kSlotUser, "device-x");
    ASSERT_TRUE(identity::store_certificate(*se, bytes_of(openssl_ca_sign(dir.file("dev.csr"))), {}));
    ASSERT_TRUE(identity::create_dev_pki(dir.file("pki"), {}).ok());
    make_server("P-256");
    auto r = handshake(kSlotUser, 4, dir.file("pki/ca.pem"), "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_NE(r.handshake, 0);
    EXPECT_NE(server_output.find("verify error"), std::string::npos) << server_output;
}

TEST_F(Identity, PowerLossAtEveryNvmWriteOfCertStore) {
    ASSERT_TRUE(identity::keygen(*se, {}));
    csr_for(kSlotUser, "device-old");
    const std::string old_crt = openssl_ca_sign(dir.file("dev.csr"));
    ASSERT_TRUE(identity::store_certificate(*se, bytes_of(old_crt), {}));
    const auto old_der = identity::read_certificate(*se, 4)->der;
    csr_for(kSlotUser, "device-new-with-a-longer-name-so-the-record-spans-more-pages");
    const std::string new_crt = openssl_ca_sign(dir.file("dev.csr"), 60);
    ASSERT_EQ(
        run({"openssl", "x509", "-in", dir.file("ossl.crt"), "-outform", "DER", "-out", dir.file("new.der")}).exit_code,
        0);
    const std::string new_text = test::read_text(dir.file("new.der"));
    const std::vector<std::uint8_t> new_der(new_text.begin(), new_text.end());

    int losses = 0;
    for (int n = 1; n < 200; ++n) {
        emu::FaultConfig faults;
        faults.power_loss_at_write = chip->stats().nvm_writes + static_cast<std::uint64_t>(n);
        chip->set_faults(faults);
        auto report = identity::store_certificate(*se, bytes_of(new_crt), {});
        if (report) break;
        ++losses;
        ASSERT_TRUE(chip->power_cycle().ok());
        se->invalidate_caches();
        auto now = identity::read_certificate(*se, 4);
        ASSERT_TRUE(now) << "after loss at write " << n << ": " << to_string(now.status().code());
        // Old or new, never torn — and the pairing check agrees.
        EXPECT_TRUE(now->der == old_der || now->der == new_der) << n;
        EXPECT_TRUE(identity::verify_pair(*se, kSlotUser, now->der).ok()) << n;
    }
    EXPECT_GE(losses, 5);  // reads, record pages, read-back, header: many points to die at
    auto final_cert = identity::read_certificate(*se, 4);
    ASSERT_TRUE(final_cert);
    EXPECT_EQ(final_cert->der, new_der);
}

TEST_F(Identity, BadInputsLeaveTheZoneUnchanged) {
    // Empty slot.
    csr_for(kSlotFactory, "unused");
    std::string err;
    auto r0 = identity::store_certificate(*se, bytes_of(openssl_ca_sign(dir.file("dev.csr"))), {}, &err);
    EXPECT_EQ(r0.status().code(), Errc::does_not_exist) << err;

    identity::KeygenOptions kg;
    kg.curve = Curve::p384;
    ASSERT_TRUE(identity::keygen(*se, kg));
    csr_for(kSlotUser, "device-good");
    ASSERT_TRUE(identity::store_certificate(*se, bytes_of(openssl_ca_sign(dir.file("dev.csr"))), {}));
    std::vector<std::uint8_t> before(1696), after(1696);
    ASSERT_TRUE(se->read(4, 0, before).ok());

    // A certificate for another key: the factory slot's (P-256: a curve the slot does not have)
    // and another P-384 chip's.
    const auto factory = identity::read_certificate(*se, 0)->der;
    EXPECT_EQ(identity::store_certificate(*se, factory, {}, &err).status().code(), Errc::invalid_argument);
    EXPECT_NE(err.find("P-256"), std::string::npos) << err;
    {
        test::TempDir other_dir;
        test::EmulatedChip other_rig(other_dir.file("se"));
        Device& other = *other_rig.device;
        ASSERT_TRUE(identity::keygen(other, kg));
        auto other_csr = identity::make_csr(other, kSlotUser, 4, "CN=intruder", {});
        test::write_file(dir.file("other.csr"), *other_csr);
        const std::string other_crt = openssl_ca_sign(dir.file("other.csr"));
        EXPECT_EQ(identity::store_certificate(*se, bytes_of(other_crt), {}, &err).status().code(),
                  Errc::invalid_signature);
    }
    // Garbage.
    EXPECT_EQ(identity::store_certificate(*se, bytes_of("not a certificate at all"), {}).status().code(),
              Errc::invalid_argument);
    // Read-only zone.
    identity::StoreOptions zone0;
    zone0.zone = 0;
    csr_for(kSlotUser, "device-good");
    const std::string good = openssl_ca_sign(dir.file("dev.csr"));
    EXPECT_EQ(identity::store_certificate(*se, bytes_of(good), zone0).status().code(), Errc::not_permitted);
    // Too large for the zone: zone 1's copies hold 318 bytes.
    identity::StoreOptions small;
    small.zone = 1;
    EXPECT_EQ(identity::store_certificate(*se, bytes_of(good), small).status().code(), Errc::out_of_range);
    // Expired (issued for the right key, valid 2020-2021): refused unless forced.
    const auto expired = expired_certificate_for_slot1();
    EXPECT_EQ(identity::store_certificate(*se, expired, {}, &err).status().code(), Errc::expired);
    ASSERT_TRUE(se->read(4, 0, after).ok());
    EXPECT_EQ(before, after);
    // With force it is stored, and reported as outside its validity.
    identity::StoreOptions forced;
    forced.force = true;
    auto report = identity::store_certificate(*se, expired, forced);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->outside_validity);
    EXPECT_EQ(identity::read_certificate(*se, 4)->der, expired);
}

namespace {

struct CurveCase {
    Curve curve;
    const char* openssl_curve;  ///< as `openssl req -text` prints the key's curve
    const char* signature;      ///< the CSR's signature algorithm as openssl names it
};

class IdentityPerCurve : public Identity, public ::testing::WithParamInterface<CurveCase> {};

int no_rng(void*, unsigned char*, std::size_t) { return -1; }

}  // namespace

TEST_P(IdentityPerCurve, OpensslAcceptsTheCsrAndTheStoredCertificatePairs) {
    // The user's-own-CA path of docs/provisioning.md, on every curve the A110 offers.
    identity::KeygenOptions kg;
    kg.curve = GetParam().curve;
    ASSERT_TRUE(identity::keygen(*se, kg));
    auto csr = identity::make_csr(*se, kSlotUser, 4, "CN=device-c,O=Acme", {"device-c.local", "alt.example"});
    ASSERT_TRUE(csr) << to_string(csr.status().code());
    test::write_file(dir.file("dev.csr"), *csr);
    auto verify = run({"openssl", "req", "-verify", "-noout", "-in", dir.file("dev.csr")});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    auto text = run({"openssl", "req", "-in", dir.file("dev.csr"), "-noout", "-text"});
    EXPECT_NE(text.output.find(GetParam().openssl_curve), std::string::npos) << text.output;
    EXPECT_NE(text.output.find(std::string("Signature Algorithm: ") + GetParam().signature), std::string::npos)
        << text.output;
    EXPECT_NE(text.output.find("DNS:device-c.local, DNS:alt.example"), std::string::npos) << text.output;

    openssl_ca_sign(dir.file("dev.csr"));
    ASSERT_EQ(
        run({"openssl", "x509", "-in", dir.file("ossl.crt"), "-outform", "DER", "-out", dir.file("dev.der")}).exit_code,
        0);
    const std::string der_text = test::read_text(dir.file("dev.der"));
    const std::vector<std::uint8_t> der(der_text.begin(), der_text.end());
    auto report = identity::store_certificate(*se, bytes_of(test::read_text(dir.file("ossl.crt"))), {});
    ASSERT_TRUE(report) << to_string(report.status().code());
    auto shown = identity::read_certificate(*se, 4);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->der, der);  // byte for byte what the CA issued
    EXPECT_TRUE(identity::verify_pair(*se, kSlotUser, shown->der).ok());
}

INSTANTIATE_TEST_SUITE_P(AllCurves, IdentityPerCurve,
                         ::testing::Values(CurveCase{Curve::p256, "prime256v1", "ecdsa-with-SHA256"},
                                           CurveCase{Curve::p384, "secp384r1", "ecdsa-with-SHA384"},
                                           CurveCase{Curve::brainpool_p256r1, "brainpoolP256r1", "ecdsa-with-SHA256"},
                                           CurveCase{Curve::brainpool_p384r1, "brainpoolP384r1", "ecdsa-with-SHA384"}),
                         [](const auto& p) { return std::string(curve_info(p.param.curve).short_name); });

TEST_F(Identity, SeKeySignaturesVerifyWithOpensslDgst) {
    // The pk binding's DER output and its public key, checked by a third party: a P-384 key with
    // its own digest and a P-256 key handed a 48-byte SHA-384 digest (what a SHA-384 suite does).
    for (const auto& [curve, md] :
         {std::pair{Curve::p384, MBEDTLS_MD_SHA384}, std::pair{Curve::p256, MBEDTLS_MD_SHA384}}) {
        identity::KeygenOptions kg;
        kg.curve = curve;
        kg.force = true;
        auto pub = identity::keygen(*se, kg);
        ASSERT_TRUE(pub);
        mbedtls_pk_context key;
        mbedtls_pk_init(&key);
        ASSERT_TRUE(mbedtls_util::setup_se_key(key, *se, kSlotUser, *pub).ok());
        unsigned char pem[1024] = {};
        ASSERT_EQ(mbedtls_pk_write_pubkey_pem(&key, pem, sizeof pem), 0);
        test::write_file(dir.file("pub.pem"), std::string(reinterpret_cast<char*>(pem)));
        const std::string message = "signed through mbedtls_pk_sign by the chip";
        std::vector<unsigned char> digest(mbedtls_md_get_size(mbedtls_md_info_from_type(md)));
        ASSERT_EQ(mbedtls_md(mbedtls_md_info_from_type(md), reinterpret_cast<const unsigned char*>(message.data()),
                             message.size(), digest.data()),
                  0);
        std::vector<unsigned char> sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
        std::size_t sig_len = 0;
        ASSERT_EQ(mbedtls_pk_sign(&key, md, digest.data(), digest.size(), sig.data(), &sig_len, no_rng, nullptr), 0);
        mbedtls_pk_free(&key);
        sig.resize(sig_len);
        test::write_file(dir.file("msg.bin"), message);
        test::write_file(dir.file("sig.der"), sig);
        // openssl hashes the message itself and verifies the DER signature with the public key.
        auto ok = run({"openssl", "dgst", "-sha384", "-verify", dir.file("pub.pem"), "-signature", dir.file("sig.der"),
                       dir.file("msg.bin")});
        EXPECT_EQ(ok.exit_code, 0) << curve_info(curve).name << ": " << ok.output;
        EXPECT_NE(ok.output.find("Verified OK"), std::string::npos) << ok.output;
        test::write_file(dir.file("msg.bin"), message + ".");
        auto tampered = run({"openssl", "dgst", "-sha384", "-verify", dir.file("pub.pem"), "-signature",
                             dir.file("sig.der"), dir.file("msg.bin")});
        EXPECT_NE(tampered.exit_code, 0) << tampered.output;
    }
}
