// SPDX-License-Identifier: Apache-2.0
// The development PKI through the real CLI (`sebind pki dev`, `sebind pki sign`) against
// `openssl s_server -Verify 1 -verify_return_error` serving the PKI's broker certificate: the
// emulated chip authenticates with its factory key and with provisioned P-256 / P-384 keys, a
// certificate from another CA (openssl x509 -req, openssl ca) works as well, and a client from a
// CA the server does not trust is rejected.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include <mbedtls/x509_crt.h>

#include "peer.hpp"
#include "process.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "tls_client.hpp"

#ifndef SEBIND_BIN
#error "SEBIND_BIN must name the sebind executable"
#endif

using namespace sebind;
using test::run;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

class DevPkiTls : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(emu::init_chip(dir.file("se"), {}).ok());
        auto opened = emu::Chip::open(dir.file("se"), {});
        ASSERT_TRUE(opened);
        chip = std::move(*opened);
        bus = std::make_unique<emu::EmulatedBus>(*chip, clock);
        se = std::make_unique<stsafe::Device>(*bus, clock, emu::kDriverConfig);
    }

    test::RunResult sebind(std::vector<std::string> args) {
        args.insert(args.begin(), SEBIND_BIN);
        return run(args);
    }

    /// `sebind pki dev --out DIR --curve CURVE`.
    std::string pki_dev(const std::string& name, const std::string& curve) {
        auto r = sebind({"pki", "dev", "--out", dir.file(name), "--curve", curve});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return dir.file(name);
    }

    /// On-chip key in slot 1 and a chip-signed CSR that `openssl req -verify` accepts.
    void provision_key(stsafe::Curve curve, const std::string& cn) {
        identity::KeygenOptions kg;
        kg.curve = curve;
        ASSERT_TRUE(identity::keygen(*se, kg));
        auto csr = identity::make_csr(*se, stsafe::kSlotUser, 4, "CN=" + cn + ",O=Acme", {cn + ".local"});
        ASSERT_TRUE(csr) << to_string(csr.status().code());
        test::write_file(dir.file("dev.csr"), *csr);
        auto verify = run({"openssl", "req", "-verify", "-noout", "-in", dir.file("dev.csr")});
        ASSERT_EQ(verify.exit_code, 0) << verify.output;
    }

    void store(const std::string& crt_file) {
        std::string err;
        auto report = identity::store_certificate(*se, bytes_of(test::read_text(crt_file)), {}, &err);
        ASSERT_TRUE(report) << to_string(report.status().code()) << " " << err;
        auto cert = identity::read_certificate(*se, 4);
        ASSERT_TRUE(cert);
        ASSERT_TRUE(identity::verify_pair(*se, stsafe::kSlotUser, cert->der).ok());
    }

    /// A plain openssl CA (no sebind involved) in DIR/other.
    std::string other_ca() {
        std::filesystem::create_directories(dir.file("other/newcerts"));
        auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", dir.file("other/ca.key"), "-out", dir.file("other/ca.pem"), "-subj",
                      "/CN=some other CA", "-days", "5"});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return dir.file("other/ca.pem");
    }

    /// openssl s_server with the PKI's broker certificate, requiring a client certificate issued
    /// by `client_ca`. Retries on another port when the one picked was taken meanwhile.
    std::unique_ptr<test::Peer> s_server(const std::string& pki, const std::string& client_ca,
                                         const std::string& cipher, int& port) {
        for (int attempt = 0; attempt < 5; ++attempt) {
            port = test::free_port();
            auto p = std::make_unique<test::Peer>(std::vector<std::string>{
                "openssl", "s_server", "-accept", std::to_string(port), "-naccept", "1", "-cert", pki + "/broker.pem",
                "-key", pki + "/broker.key", "-CAfile", client_ca, "-Verify", "1", "-verify_return_error", "-cipher",
                cipher, "-no_tls1_3"});
            if (p->wait_for("ACCEPT")) return p;
            if (p->output().find("in use") == std::string::npos) {
                ADD_FAILURE() << p->output();
                return p;
            }
        }
        ADD_FAILURE() << "no free port";
        return nullptr;
    }

    /// One mutual-TLS handshake of the chip key in `slot` with the certificate in `zone`.
    test::TlsResult handshake(std::uint8_t slot, std::uint8_t zone, const std::string& pki,
                              const std::string& client_ca, const std::string& cipher) {
        auto stored = identity::read_certificate(*se, zone);
        EXPECT_TRUE(stored);
        if (!stored) return {};
        mbedtls_x509_crt crt;
        mbedtls_x509_crt_init(&crt);
        EXPECT_EQ(mbedtls_x509_crt_parse_der(&crt, stored->der.data(), stored->der.size()), 0);
        auto pub = mbedtls_util::public_key_of(crt.pk);
        mbedtls_x509_crt_free(&crt);
        EXPECT_TRUE(pub);
        if (!pub) return {};
        mbedtls_pk_context key;
        mbedtls_pk_init(&key);
        EXPECT_TRUE(mbedtls_util::setup_se_key(key, *se, slot, *pub).ok());

        int port = 0;
        auto server = s_server(pki, client_ca, cipher, port);
        test::TlsResult result;
        if (server) {
            test::TlsClientOptions o;
            o.port = port;
            o.ca_file = pki + "/ca.pem";
            o.own_cert_der = stored->der;
            o.own_key = &key;
            o.timeout_ms = 5000;
            result = test::tls_connect(o);
            signatures = mbedtls_util::se_key_signatures(key);
            server->wait_exit(5000);
            server_output = server->output();
        }
        mbedtls_pk_free(&key);
        return result;
    }

    test::TempDir dir;
    ManualClock clock;
    std::unique_ptr<emu::Chip> chip;
    std::unique_ptr<emu::EmulatedBus> bus;
    std::unique_ptr<stsafe::Device> se;
    std::uint32_t signatures = 0;
    std::string server_output;
};

}  // namespace

TEST_F(DevPkiTls, FactoryKeyWithZone0CertificateTrustedThroughTheFactoryCa) {
    const std::string pki = pki_dev("pki", "p256");
    auto r = handshake(stsafe::kSlotFactory, 0, pki, dir.file("se/factory-ca.pem"), "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(r.handshake, 0) << r.error << "\n" << server_output;
    EXPECT_EQ(r.ciphersuite, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
    EXPECT_EQ(signatures, 1u);  // CertificateVerify, signed inside the chip
    EXPECT_NE(server_output.find("CIPHER is ECDHE-ECDSA-AES128-GCM-SHA256"), std::string::npos) << server_output;
}

TEST_F(DevPkiTls, P384KeySignedByPkiSignAuthenticatesWithSha384Suite) {
    const std::string pki = pki_dev("pki384", "p384");
    auto text = run({"openssl", "x509", "-in", pki + "/broker.pem", "-noout", "-text"});
    ASSERT_NE(text.output.find("NIST CURVE: P-384"), std::string::npos) << text.output;
    provision_key(stsafe::Curve::p384, "device-384");
    auto signed_ = sebind({"pki", "sign", "--ca", pki, dir.file("dev.csr"), "--days", "30", "-o", dir.file("dev.crt")});
    ASSERT_EQ(signed_.exit_code, 0) << signed_.output;
    auto verify = run({"openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", pki + "/ca.pem",
                       dir.file("dev.crt")});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    store(dir.file("dev.crt"));

    auto r = handshake(stsafe::kSlotUser, 4, pki, pki + "/ca.pem", "ECDHE-ECDSA-AES256-GCM-SHA384");
    EXPECT_EQ(r.handshake, 0) << r.error << "\n" << server_output;
    EXPECT_EQ(r.ciphersuite, "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384");
    EXPECT_EQ(signatures, 1u);
}

TEST_F(DevPkiTls, P256KeySignedByPkiSignAuthenticatesWithSha256Suite) {
    const std::string pki = pki_dev("pki", "p256");
    provision_key(stsafe::Curve::p256, "device-256");
    auto signed_ = sebind({"pki", "sign", "--ca", pki, dir.file("dev.csr"), "-o", dir.file("dev.crt")});
    ASSERT_EQ(signed_.exit_code, 0) << signed_.output;
    store(dir.file("dev.crt"));
    auto r = handshake(stsafe::kSlotUser, 4, pki, pki + "/ca.pem", "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(r.handshake, 0) << r.error << "\n" << server_output;
    EXPECT_EQ(r.ciphersuite, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
}

TEST_F(DevPkiTls, BareCertificateFromOpensslX509ReqWorksAsWell) {
    const std::string pki = pki_dev("pki", "p256");
    const std::string ca = other_ca();
    provision_key(stsafe::Curve::p256, "device-x509");
    // No extension file: a version-1 certificate without any extension at all.
    auto r0 = run({"openssl", "x509", "-req", "-in", dir.file("dev.csr"), "-CA", ca, "-CAkey", dir.file("other/ca.key"),
                   "-CAcreateserial", "-days", "5", "-out", dir.file("dev.crt")});
    ASSERT_EQ(r0.exit_code, 0) << r0.output;
    store(dir.file("dev.crt"));
    auto r = handshake(stsafe::kSlotUser, 4, pki, ca, "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(r.handshake, 0) << r.error << "\n" << server_output;
}

TEST_F(DevPkiTls, CertificateFromOpensslCaWorksAsWell) {
    const std::string pki = pki_dev("pki384", "p384");
    const std::string ca = other_ca();
    provision_key(stsafe::Curve::p384, "device-ca");
    test::write_file(dir.file("other/index.txt"), std::string());
    test::write_file(dir.file("other/serial"), std::string("1000\n"));
    test::write_file(dir.file("other/ca.cnf"),
                     "[ca]\ndefault_ca = any\n[any]\ndir = " + dir.file("other") +
                         "\ndatabase = $dir/index.txt\nnew_certs_dir = $dir/newcerts\ncertificate = $dir/ca.pem\n"
                         "private_key = $dir/ca.key\nserial = $dir/serial\ndefault_md = sha384\npolicy = policy_any\n"
                         "x509_extensions = device\n[policy_any]\ncommonName = supplied\norganizationName = optional\n"
                         "[device]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n"
                         "extendedKeyUsage = clientAuth\n");
    auto r0 = run({"openssl", "ca", "-batch", "-config", dir.file("other/ca.cnf"), "-in", dir.file("dev.csr"), "-days",
                   "5", "-notext", "-out", dir.file("dev.crt")});
    ASSERT_EQ(r0.exit_code, 0) << r0.output;
    store(dir.file("dev.crt"));
    auto r = handshake(stsafe::kSlotUser, 4, pki, ca, "ECDHE-ECDSA-AES256-GCM-SHA384");
    EXPECT_EQ(r.handshake, 0) << r.error << "\n" << server_output;
}

TEST_F(DevPkiTls, ServerRejectsAClientCertificateFromAnotherCa) {
    const std::string pki = pki_dev("pki", "p256");
    const std::string ca = other_ca();
    provision_key(stsafe::Curve::p256, "device-intruder");
    auto r0 = run({"openssl", "x509", "-req", "-in", dir.file("dev.csr"), "-CA", ca, "-CAkey", dir.file("other/ca.key"),
                   "-CAcreateserial", "-days", "5", "-out", dir.file("dev.crt")});
    ASSERT_EQ(r0.exit_code, 0) << r0.output;
    store(dir.file("dev.crt"));
    // The server trusts only the development CA.
    auto r = handshake(stsafe::kSlotUser, 4, pki, pki + "/ca.pem", "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_NE(r.handshake, 0);
    EXPECT_FALSE(r.error.empty());
    EXPECT_NE(server_output.find("unable to get local issuer certificate"), std::string::npos) << server_output;
}

TEST_F(DevPkiTls, PkiSignRefusesATamperedRequestWithOneLine) {
    const std::string pki = pki_dev("pki", "p256");
    provision_key(stsafe::Curve::p256, "device-001");
    // Change one character of the subject in the DER: the chip's signature no longer covers it.
    ASSERT_EQ(
        run({"openssl", "req", "-in", dir.file("dev.csr"), "-outform", "DER", "-out", dir.file("dev.der")}).exit_code,
        0);
    std::string der = test::read_text(dir.file("dev.der"));
    const auto at = der.find("device-001");
    ASSERT_NE(at, std::string::npos);
    der[at + 9] = '2';
    test::write_file(dir.file("forged.der"), der);
    auto r = sebind({"pki", "sign", "--ca", pki, dir.file("forged.der"), "-o", dir.file("forged.crt")});
    EXPECT_EQ(r.exit_code, 8) << r.output;  // invalid input
    EXPECT_NE(r.output.find("signature"), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir.file("forged.crt")));
}
