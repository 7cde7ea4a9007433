// SPDX-License-Identifier: Apache-2.0
// The chip key through PSA in Mbed TLS 3.6 against real peers: a CSR made with
// mbedtls_pk_setup_opaque checked by `openssl req -verify`, and TLS 1.2 and 1.3 client
// authentication to `openssl s_server -Verify 1 -verify_return_error` with one chip signature per
// full handshake (counted by the emulated chip) and none on a TLS 1.3 ticket resumption.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "chip_identity3.hpp"
#include "peer.hpp"
#include "pem.hpp"
#include "process.hpp"

namespace sebind {
namespace {

using stsafe::Curve;
using stsafe::kSlotUser;
namespace m3 = tls_mbedtls3;

/// The chip identity (slot-1 key on the test's curve, attached to PSA, certified from its own CSR
/// by an openssl CA) and a self-signed localhost server.
class ChipTls3Test : public ::testing::TestWithParam<Curve> {
protected:
    void SetUp() override { ASSERT_NO_FATAL_FAILURE(id.keygen(GetParam())); }

    bool p384() const { return GetParam() == Curve::p384; }

    void pki() {
        ASSERT_NO_FATAL_FAILURE(id.make_ca());
        ASSERT_NO_FATAL_FAILURE(id.certify("CN=dev-3,O=sebind test"));
        auto r = test::run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-keyout", dir.file("srv.key"), "-out", dir.file("srv.pem"), "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost", "-days", "30"});
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }

    std::unique_ptr<test::Peer> s_server(const std::vector<std::string>& extra, int naccept = 1) {
        port = test::free_port();
        std::vector<std::string> args = {"openssl",
                                         "s_server",
                                         "-accept",
                                         std::to_string(port),
                                         "-naccept",
                                         std::to_string(naccept),
                                         "-cert",
                                         dir.file("srv.pem"),
                                         "-key",
                                         dir.file("srv.key"),
                                         "-CAfile",
                                         dir.file("ca.pem"),
                                         "-Verify",
                                         "1",
                                         "-verify_return_error"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto p = std::make_unique<test::Peer>(args);
        EXPECT_TRUE(p->wait_for("ACCEPT")) << p->output();
        return p;
    }

    m3::ClientOptions options(m3::TlsVersions versions) { return id.options(port, dir.file("srv.pem"), versions); }

    /// One full handshake and a line of data the server must print; returns the handshake info.
    tls::HandshakeInfo handshake_and_say(test::Peer& server, m3::Client& client, const m3::ClientOptions& o,
                                         m3::SessionCache* cache = nullptr) {
        const auto before = chip->stats().signatures;
        auto info = client.connect(o, cache);
        EXPECT_TRUE(info) << client.diagnosis().cause << "\n" << server.output();
        if (!info) return {};
        EXPECT_EQ(chip->stats().signatures - before, info->chip_signatures);  // counted by the chip
        const std::string line = "hello from the chip key " + info->version;
        EXPECT_TRUE(client.write(Bytes(reinterpret_cast<const std::uint8_t*>(line.data()), line.size())).ok());
        EXPECT_TRUE(server.wait_for(line)) << server.output();
        return *info;
    }

    test::TempDir dir;
    test::ChipIdentity3 id{dir};
    emu::Chip* chip = id.rig.chip.get();
    int port = 0;
};

TEST_P(ChipTls3Test, CsrThroughTheOpaqueKeyPassesOpensslVerifyAndCarriesTheChipKey) {
    const auto before = chip->stats().signatures;
    ASSERT_FALSE(id.csr("CN=dev-3,O=sebind test").empty());
    EXPECT_EQ(chip->stats().signatures - before, 1u);
    auto r = test::run({"openssl", "req", "-verify", "-noout", "-in", dir.file("dev.csr")});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("verify OK"), std::string::npos) << r.output;
    r = test::run({"openssl", "req", "-pubkey", "-noout", "-in", dir.file("dev.csr")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, test::public_key_pem(id.public_key));
    r = test::run({"openssl", "req", "-text", "-noout", "-in", dir.file("dev.csr")});
    EXPECT_NE(r.output.find(p384() ? "ecdsa-with-SHA384" : "ecdsa-with-SHA256"), std::string::npos) << r.output;

    // A damaged signature is refused by the same check: it could fail. (OpenSSL 3.0's req -verify
    // exits 0 either way: its verdict is the line it prints.)
    auto der = test::run(
        {"openssl", "req", "-in", dir.file("dev.csr"), "-outform", "DER", "-out", dir.file("dev.der")});
    ASSERT_EQ(der.exit_code, 0);
    std::string bytes = test::read_text(dir.file("dev.der"));
    bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 1);
    test::write_file(dir.file("bad.der"), bytes);
    r = test::run({"openssl", "req", "-verify", "-noout", "-inform", "DER", "-in", dir.file("bad.der")});
    EXPECT_EQ(r.output.find("verify OK"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("verify failure"), std::string::npos) << r.output;
}

TEST_P(ChipTls3Test, Tls12ClientAuthenticationCostsOneChipSignature) {
    pki();
    // The pairs: ECDHE-ECDSA with AES-256-GCM/SHA-384 for P-384, AES-128-GCM/SHA-256 for P-256.
    const std::string suite = p384() ? "ECDHE-ECDSA-AES256-GCM-SHA384" : "ECDHE-ECDSA-AES128-GCM-SHA256";
    auto server = s_server({"-no_tls1_3", "-cipher", suite});
    m3::Client client;
    const auto info = handshake_and_say(*server, client, options(m3::TlsVersions::tls12));
    EXPECT_EQ(info.version, "TLSv1.2");
    EXPECT_EQ(info.ciphersuite,
              p384() ? "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384" : "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
    EXPECT_EQ(info.chip_signatures, 1u);
    EXPECT_FALSE(info.resumed);
    EXPECT_EQ(psa_stsafe::signatures(kSlotUser), 2u);  // the CSR's and the handshake's
    client.close();
    EXPECT_EQ(server->wait_exit(), 0) << server->output();
}

TEST_P(ChipTls3Test, Tls13ClientAuthenticationCostsOneChipSignatureAndTicketResumptionNone) {
    pki();
    auto server = s_server({"-tls1_3"}, 2);
    m3::SessionCache cache;
    {
        m3::Client client;
        const auto info = handshake_and_say(*server, client, options(m3::TlsVersions::tls13), &cache);
        EXPECT_EQ(info.version, "TLSv1.3");
        EXPECT_EQ(info.chip_signatures, 1u);
        // The server's tickets follow the handshake: read until one is kept (bounded).
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        std::uint8_t buf[64];
        while (!cache.valid() && std::chrono::steady_clock::now() < until) (void)client.read(MutableBytes(buf), 100);
        ASSERT_TRUE(cache.valid());
    }
    m3::Client again;
    const auto resumed = handshake_and_say(*server, again, options(m3::TlsVersions::tls13), &cache);
    EXPECT_EQ(resumed.version, "TLSv1.3");
    EXPECT_EQ(resumed.chip_signatures, 0u);
    EXPECT_TRUE(resumed.resumed);
    again.close();
    EXPECT_EQ(server->wait_exit(), 0) << server->output();
    EXPECT_EQ(server->count_lines("Reused session-id"), 1u) << server->output();
}

TEST_P(ChipTls3Test, Tls12ResumptionByTicketOrSessionIdCostsNoChipSignature) {
    ASSERT_NO_FATAL_FAILURE(pki());
    for (bool tickets : {true, false}) {
        SCOPED_TRACE(tickets ? "session ticket" : "session id");
        auto server = s_server({"-no_tls1_3"}, 2);
        auto o = options(m3::TlsVersions::tls12);
        o.session_tickets = tickets;
        m3::SessionCache cache;
        {
            m3::Client first;
            EXPECT_EQ(handshake_and_say(*server, first, o, &cache).chip_signatures, 1u);
            EXPECT_TRUE(cache.valid());
        }
        m3::Client again;
        const auto resumed = handshake_and_say(*server, again, o, &cache);
        EXPECT_TRUE(resumed.resumed);
        EXPECT_EQ(resumed.chip_signatures, 0u);
        again.close();
        EXPECT_EQ(server->wait_exit(), 0) << server->output();
        EXPECT_EQ(server->count_lines("Reused session-id"), 1u) << server->output();
    }
}

TEST_P(ChipTls3Test, ServerTrustingAnotherCaRejectsTheClientWithTheSameDiagnosisAs228) {
    pki();
    // The server trusts only its own certificate as CA: our device certificate is not from it.
    port = test::free_port();
    test::Peer server({"openssl", "s_server", "-accept", std::to_string(port), "-naccept", "1", "-cert",
                       dir.file("srv.pem"), "-key", dir.file("srv.key"), "-CAfile", dir.file("srv.pem"), "-Verify", "1",
                       "-verify_return_error", "-no_tls1_3"});
    ASSERT_TRUE(server.wait_for("ACCEPT")) << server.output();
    m3::Client client;
    auto info = client.connect(options(m3::TlsVersions::tls12));
    ASSERT_FALSE(info);
    EXPECT_EQ(client.diagnosis().failure, tls::Failure::client_cert_rejected) << client.diagnosis().cause;
    EXPECT_EQ(client.diagnosis().cause.rfind("the server rejected our certificate", 0), 0u) << client.diagnosis().cause;
}

TEST_P(ChipTls3Test, UntrustedServerIsDiagnosedBeforeTheChipSigns) {
    pki();
    auto server = s_server({"-no_tls1_3"});
    auto o = options(m3::TlsVersions::tls12);
    o.ca_file = dir.file("ca.pem");  // not the server's issuer
    const auto before = chip->stats().signatures;
    m3::Client client;
    auto info = client.connect(o);
    ASSERT_FALSE(info);
    EXPECT_EQ(client.diagnosis().failure, tls::Failure::untrusted_server) << client.diagnosis().cause;
    EXPECT_EQ(chip->stats().signatures, before);
}

TEST_P(ChipTls3Test, HostNameTheCertificateDoesNotCarryIsRefusedAlsoForAnIpLiteral) {
    ASSERT_NO_FATAL_FAILURE(pki());
    auto server = s_server({"-no_tls1_3"}, 2);
    for (const std::string host : {"127.0.0.1", "other.example"}) {
        SCOPED_TRACE(host);
        auto o = options(m3::TlsVersions::tls12);
        o.host = host;                    // the certificate names only localhost
        o.connect_address = "127.0.0.1";  // the name is never resolved
        const auto before = chip->stats().signatures;
        m3::Client client;
        auto info = client.connect(o);
        ASSERT_FALSE(info);
        EXPECT_EQ(client.diagnosis().failure, tls::Failure::hostname_mismatch) << client.diagnosis().cause;
        EXPECT_NE(client.diagnosis().cause.find(host), std::string::npos) << client.diagnosis().cause;
        EXPECT_EQ(chip->stats().signatures, before);
    }
}

TEST_P(ChipTls3Test, NothingListeningIsDiagnosedAsTheOtherStacksDo) {
    ASSERT_NO_FATAL_FAILURE(pki());
    port = test::free_port();
    m3::Client client;
    auto info = client.connect(options(m3::TlsVersions::tls12_and_13));
    ASSERT_FALSE(info);
    EXPECT_EQ(info.status().code(), Errc::communication_failure);
    EXPECT_EQ(client.diagnosis().failure, tls::Failure::not_listening) << client.diagnosis().cause;
    EXPECT_EQ(client.diagnosis().cause, "nothing accepts connections on localhost:" + std::to_string(port));
}

INSTANTIATE_TEST_SUITE_P(Curves, ChipTls3Test, ::testing::Values(Curve::p256, Curve::p384),
                         [](const auto& p) { return p.param == Curve::p384 ? "P384" : "P256"; });

}  // namespace
}  // namespace sebind
