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
#include "sebind/tls/pem_file.hpp"
#include "sebind/tls/tcp.hpp"

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
    // The issue's pairs: ECDHE-ECDSA with AES-256-GCM/SHA-384 for P-384, AES-128-GCM/SHA-256 for P-256.
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

// The 2.28 client's bad cases, met by the 3.6 client: the same Failure and the same cause and fix
// lines, which both clients take from the shared diagnoses (tls/report.hpp).

/// `expected` built by the shared diagnoses; the client's diagnosis must carry its words.
void expect_same_words(const tls::Diagnosis& got, const tls::Diagnosis& expected) {
    EXPECT_EQ(tls::to_string(got.failure), tls::to_string(expected.failure)) << got.cause;
    EXPECT_EQ(got.cause, expected.cause);
    EXPECT_EQ(got.fix, expected.fix);
}

TEST_P(ChipTls3Test, ServerCertificateOutsideItsValidityIsNamedWithItsDateBeforeTheChipSigns) {
    ASSERT_NO_FATAL_FAILURE(id.make_ca());
    ASSERT_NO_FATAL_FAILURE(id.certify("CN=dev-3,O=sebind test"));
    auto r = test::run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        dir.file("srv.key"), "-out", dir.file("srv.csr"), "-subj", "/CN=localhost"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    struct Case {
        const char *from, *to, *date;
        bool expired;
    };
    for (const Case& c : {Case{"20200101000000Z", "20200201000000Z", "2020-02-01", true},
                          Case{"20400101000000Z", "20410101000000Z", "2040-01-01", false}}) {
        SCOPED_TRACE(c.date);
        // openssl ca: `x509 -req` cannot back-date; a fresh database per certificate.
        r = test::openssl_ca_sign(dir.file(std::string("db-") + c.date), dir.file("ca.pem"), dir.file("ca.key"),
                                  dir.file("srv.csr"), dir.file("srv.pem"), c.from, c.to);
        ASSERT_EQ(r.exit_code, 0) << r.output;
        auto server = s_server({"-no_tls1_3"});
        const auto before = chip->stats().signatures;
        m3::Client client;
        ASSERT_FALSE(client.connect(id.options(port, dir.file("ca.pem"), m3::TlsVersions::tls12)));
        tls::Diagnosis expected;
        if (c.expired)
            tls::diagnoses::server_cert_expired(expected, c.date);
        else
            tls::diagnoses::server_cert_not_yet_valid(expected, c.date);
        expect_same_words(client.diagnosis(), expected);
        EXPECT_EQ(chip->stats().signatures, before);
    }
}

TEST_P(ChipTls3Test, UntrustedServerHasThe228Words) {
    ASSERT_NO_FATAL_FAILURE(pki());
    auto server = s_server({"-no_tls1_3"});
    auto o = options(m3::TlsVersions::tls12);
    o.ca_file = dir.file("ca.pem");  // the device's CA, not the server's issuer
    m3::Client client;
    ASSERT_FALSE(client.connect(o));
    tls::Diagnosis expected;
    tls::diagnoses::untrusted_server(expected, "CN=localhost", o.ca_file);
    expect_same_words(client.diagnosis(), expected);
}

TEST_P(ChipTls3Test, ServerWithoutAnAeadSuiteOfOursIsNoSharedCipherWithThe228Fix) {
    ASSERT_NO_FATAL_FAILURE(pki());
    // CCM-8 only: a suite this client does not offer (and this build does not know).
    auto server = s_server({"-no_tls1_3", "-cipher", "ECDHE-ECDSA-AES256-CCM8"});
    const auto before = chip->stats().signatures;
    m3::Client client;
    ASSERT_FALSE(client.connect(options(m3::TlsVersions::tls12)));
    tls::Diagnosis expected;
    tls::diagnoses::no_shared_ecdhe_suite(expected, nullptr, true);
    expect_same_words(client.diagnosis(), expected);
    EXPECT_EQ(client.diagnosis().alert, 40);  // handshake_failure
    EXPECT_EQ(chip->stats().signatures, before);
}

TEST_P(ChipTls3Test, NoCommonVersionInEitherDirectionHasThe228Words) {
    ASSERT_NO_FATAL_FAILURE(pki());
    struct Case {
        const char* server_flag;
        m3::TlsVersions offered;
        tls::diagnoses::Offered words;
    };
    for (const Case& c : {Case{"-tls1_3", m3::TlsVersions::tls12, tls::diagnoses::Offered::tls12},
                          Case{"-no_tls1_3", m3::TlsVersions::tls13, tls::diagnoses::Offered::tls13}}) {
        SCOPED_TRACE(c.server_flag);
        auto server = s_server({c.server_flag});
        const auto before = chip->stats().signatures;
        m3::Client client;
        ASSERT_FALSE(client.connect(options(c.offered)));
        tls::Diagnosis expected;
        tls::diagnoses::no_common_version(expected, c.words);
        expect_same_words(client.diagnosis(), expected);
        EXPECT_EQ(chip->stats().signatures, before);
    }
}

TEST_P(ChipTls3Test, ServerTrustingAnotherCaHasThe228WordsOnTls12And13) {
    ASSERT_NO_FATAL_FAILURE(pki());
    for (const auto versions : {m3::TlsVersions::tls12, m3::TlsVersions::tls13}) {
        SCOPED_TRACE(versions == m3::TlsVersions::tls12 ? "TLS 1.2" : "TLS 1.3");
        port = test::free_port();
        test::Peer server({"openssl", "s_server", "-accept", std::to_string(port), "-naccept", "1", "-cert",
                           dir.file("srv.pem"), "-key", dir.file("srv.key"), "-CAfile", dir.file("srv.pem"), "-Verify",
                           "1", "-verify_return_error"});
        ASSERT_TRUE(server.wait_for("ACCEPT")) << server.output();
        m3::Client client;
        ASSERT_FALSE(client.connect(options(versions)));
        tls::Diagnosis expected;
        tls::diagnoses::client_cert_rejected(
            expected, client.diagnosis().alert ? tls::alert_name(client.diagnosis().alert) : std::string());
        expect_same_words(client.diagnosis(), expected);
    }
}

TEST_P(ChipTls3Test, ChipFailingWhileSigningIsAChipErrorWithThe228Words) {
    ASSERT_NO_FATAL_FAILURE(pki());
    auto server = s_server({"-no_tls1_3"}, 2);
    {
        SCOPED_TRACE("a chip that stops answering");
        emu::FaultConfig dead;
        dead.nack_burst_rate = 1.0;
        dead.nack_burst_length = 1000000;
        chip->set_faults(dead);
        m3::Client client;
        ASSERT_FALSE(client.connect(options(m3::TlsVersions::tls12)));
        chip->set_faults({});
        const Status last = psa_stsafe::last_error(kSlotUser);
        ASSERT_FALSE(last.ok());
        tls::Diagnosis expected;
        tls::diagnoses::chip_failed_signing(expected, to_string(last.code()));
        expect_same_words(client.diagnosis(), expected);
    }
    {
        SCOPED_TRACE("a key whose usage limit is used up");
        // One signature allowed, spent on the CSR the certificate comes from.
        ASSERT_NO_FATAL_FAILURE(id.keygen(GetParam(), 1));
        mbedtls_x509_crt_free(&id.chain);
        mbedtls_x509_crt_init(&id.chain);
        mbedtls_pk_free(&id.key);
        mbedtls_pk_init(&id.key);
        ASSERT_NO_FATAL_FAILURE(id.certify("CN=dev-3,O=sebind test"));
        m3::Client client;
        ASSERT_FALSE(client.connect(options(m3::TlsVersions::tls12)));
        tls::Diagnosis expected;
        tls::diagnoses::chip_failed_signing(expected, to_string(Errc::not_permitted));
        expect_same_words(client.diagnosis(), expected);
    }
}

TEST_P(ChipTls3Test, ABrokerThatAnswersNoSynTimesOutWithThe228Words) {
    ASSERT_NO_FATAL_FAILURE(pki());
    test::UnansweredPort dropped;
    ASSERT_GT(dropped.port(), 0);
    port = dropped.port();
    auto o = options(m3::TlsVersions::tls12_and_13);
    o.host = "127.0.0.1";
    o.timeout_ms = 300;
    m3::Client client;
    EXPECT_EQ(client.connect(o).status().code(), Errc::communication_failure);
    tls::Diagnosis expected;
    tls::diagnoses::tcp_failure(expected, tls::TcpError::timeout, o.host, o.host + ":" + std::to_string(port), 300);
    expect_same_words(client.diagnosis(), expected);
    EXPECT_EQ(tls::to_string(expected.failure), tls::to_string(tls::Failure::timeout));
}

TEST_P(ChipTls3Test, AMissingOrUnusableCaFileIsNamedWithItsFixBeforeConnecting) {
    ASSERT_NO_FATAL_FAILURE(pki());
    test::write_file(dir.file("not-pem.txt"), std::string("not a certificate\n"));
    struct Case {
        std::string path;
        tls::Failure failure;
    };
    for (const Case& c :
         {Case{dir.file("absent.pem"), tls::Failure::file_not_found}, Case{dir.file("."), tls::Failure::file_invalid},
          Case{dir.file("not-pem.txt"), tls::Failure::file_invalid}}) {
        SCOPED_TRACE(c.path);
        port = test::free_port();  // nothing listens: the file is judged first
        auto o = options(m3::TlsVersions::tls12_and_13);
        o.ca_file = c.path;
        m3::Client client;
        ASSERT_FALSE(client.connect(o));
        const tls::PemCertificates file = tls::read_pem_certificates(c.path);
        tls::Diagnosis expected;
        tls::diagnoses::bad_certificate_file(expected, "CA file", c.path, file.failure, file.reason, file.fix);
        EXPECT_EQ(tls::to_string(expected.failure), tls::to_string(c.failure));
        expect_same_words(client.diagnosis(), expected);
    }
}

TEST_P(ChipTls3Test, ACertificateThatIsNotTheChipKeysIsRejectedWithThe228Words) {
    ASSERT_NO_FATAL_FAILURE(pki());
    // A certificate from the same CA for a software key: the chip signs, the signature does not match.
    auto r = test::run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        dir.file("other.key"), "-out", dir.file("other.csr"), "-subj", "/CN=not the chip"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_NO_FATAL_FAILURE(id.issue("other", "extendedKeyUsage=clientAuth\n"));
    const std::string other = test::read_text(dir.file("other.pem"));
    mbedtls_x509_crt wrong;
    mbedtls_x509_crt_init(&wrong);
    ASSERT_EQ(mbedtls_x509_crt_parse(&wrong, reinterpret_cast<const unsigned char*>(other.c_str()), other.size() + 1),
              0);
    for (const auto versions : {m3::TlsVersions::tls12, m3::TlsVersions::tls13}) {
        SCOPED_TRACE(versions == m3::TlsVersions::tls12 ? "TLS 1.2" : "TLS 1.3");
        auto server = s_server({});
        auto o = options(versions);
        o.own_chain = &wrong;
        m3::Client client;
        EXPECT_FALSE(client.connect(o));
        tls::Diagnosis expected;
        tls::diagnoses::client_cert_rejected(
            expected, client.diagnosis().alert ? tls::alert_name(client.diagnosis().alert) : std::string());
        expect_same_words(client.diagnosis(), expected);
        EXPECT_NE(client.diagnosis().fix.find("verify-pair"), std::string::npos);
    }
    mbedtls_x509_crt_free(&wrong);
}

INSTANTIATE_TEST_SUITE_P(Curves, ChipTls3Test, ::testing::Values(Curve::p256, Curve::p384),
                         [](const auto& p) { return p.param == Curve::p384 ? "P384" : "P256"; });

}  // namespace
}  // namespace sebind
