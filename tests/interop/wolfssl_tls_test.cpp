// SPDX-License-Identifier: Apache-2.0
// The wolfSSL client with the chip key against a real `openssl s_server -Verify 1`: TLS 1.2 and
// 1.3, both slots, P-256/P-384/brainpool; one chip signature per full handshake and none (no chip
// traffic at all) when resumed by session id or ticket; data both ways; every failure diagnosed.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulated_chip.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/tls_wolfssl/client.hpp"

using namespace sebind;
using test::run;
using tls_wolfssl::TlsVersions;

namespace {

class WolfsslTls : public ::testing::Test {
protected:
    /// A self-signed server certificate (`key` = openssl -newkey argument, `san` its subjectAltName).
    void server_cert(const std::string& key, const std::string& pkeyopt = "ec_paramgen_curve:P-256",
                     const std::string& san = "DNS:localhost") {
        std::vector<std::string> args = {"openssl", "req",
                                         "-x509",   "-newkey",
                                         key,       "-nodes",
                                         "-keyout", dir.file("srv.key"),
                                         "-out",    dir.file("srv.pem"),
                                         "-subj",   "/CN=localhost",
                                         "-addext", "subjectAltName=" + san,
                                         "-days",   "30"};
        if (key == "ec") args.insert(args.begin() + 5, {"-pkeyopt", pkeyopt});
        auto r = run(args);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }

    /// Root CA + intermediate for provisioned devices (clients.pem = factory CA + this root).
    void device_ca() {
        auto root = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", dir.file("root.key"), "-out", dir.file("root.pem"), "-subj", "/CN=device root",
                         "-days", "30"});
        ASSERT_EQ(root.exit_code, 0) << root.output;
        auto csr = run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout",
                        dir.file("int.key"), "-out", dir.file("int.csr"), "-subj", "/CN=device intermediate"});
        ASSERT_EQ(csr.exit_code, 0) << csr.output;
        test::write_file(dir.file("ca.ext"), std::string("basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n"));
        auto sign = run({"openssl", "x509", "-req", "-in", dir.file("int.csr"), "-CA", dir.file("root.pem"), "-CAkey",
                         dir.file("root.key"), "-CAcreateserial", "-days", "30", "-extfile", dir.file("ca.ext"), "-out",
                         dir.file("int.pem")});
        ASSERT_EQ(sign.exit_code, 0) << sign.output;
        test::write_file(dir.file("clients.pem"),
                         test::read_text(dir.file("se/factory-ca.pem")) + test::read_text(dir.file("root.pem")));
    }

    std::vector<std::uint8_t> der_of(const std::string& pem) {
        auto r = run({"openssl", "x509", "-in", pem, "-outform", "DER", "-out", pem + ".der"});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        const std::string d = test::read_text(pem + ".der");
        return {d.begin(), d.end()};
    }

    /// The chain for `slot`: slot 0 = factory certificate (zone 0); slot 1 = a new on-chip key
    /// on `curve`, its chip-signed CSR issued by the intermediate (chain: leaf, intermediate).
    std::vector<std::vector<std::uint8_t>> identity_for(std::uint8_t slot, stsafe::Curve curve = stsafe::Curve::p256) {
        if (slot == stsafe::kSlotFactory) {
            auto cert = identity::read_certificate(*se, 0);
            EXPECT_TRUE(cert);
            return {cert->der};
        }
        device_ca();
        identity::KeygenOptions k;
        k.curve = curve;
        k.force = true;
        EXPECT_TRUE(identity::keygen(*se, k));
        auto csr = identity::make_csr(*se, stsafe::kSlotUser, 4, "CN=device-001,O=Acme", {});
        EXPECT_TRUE(csr);
        test::write_file(dir.file("dev.csr"), *csr);
        auto sign = run({"openssl", "x509", "-req", "-in", dir.file("dev.csr"), "-CA", dir.file("int.pem"), "-CAkey",
                         dir.file("int.key"), "-CAcreateserial", "-days", "30", "-out", dir.file("dev.pem")});
        EXPECT_EQ(sign.exit_code, 0) << sign.output;
        return {der_of(dir.file("dev.pem")), der_of(dir.file("int.pem"))};
    }

    /// openssl s_server requiring a client certificate from `client_ca`, echoing each line
    /// reversed (-rev), for `naccept` connections.
    std::unique_ptr<test::Peer> s_server(const std::vector<std::string>& extra, int& port, int naccept = 1,
                                         const std::string& client_ca = "") {
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
                                         client_ca.empty() ? dir.file("se/factory-ca.pem") : client_ca,
                                         "-Verify",
                                         "1",
                                         "-verify_return_error",
                                         "-rev"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto p = std::make_unique<test::Peer>(args);
        EXPECT_TRUE(p->wait_for("ACCEPT")) << p->output();
        return p;
    }

    tls_wolfssl::ClientOptions options(int port, std::vector<std::vector<std::uint8_t>> chain, std::uint8_t slot) {
        tls_wolfssl::ClientOptions o;
        o.host = "localhost";
        o.port = static_cast<std::uint16_t>(port);
        o.ca_file = dir.file("srv.pem");
        o.device = se;
        o.slot = slot;
        o.chain = std::move(chain);
        o.timeout_ms = 5000;
        return o;
    }

    /// Sends a line and expects it back reversed by s_server -rev: data both ways.
    static void echo(tls_wolfssl::Client& c, const std::string& line) {
        ASSERT_TRUE(c.write(Bytes(reinterpret_cast<const std::uint8_t*>(line.data()), line.size())).ok());
        std::string got;
        std::uint8_t buf[256];
        while (got.find('\n') == std::string::npos) {
            auto n = c.read(buf, 5000);
            ASSERT_TRUE(n) << to_string(n.status().code()) << " " << c.diagnosis().cause;
            ASSERT_GT(*n, 0u) << "server closed";
            got.append(reinterpret_cast<const char*>(buf), *n);
        }
        EXPECT_EQ(got, std::string(line.rbegin() + 1, line.rend()) + "\n");
    }

    test::TempDir dir;
    test::EmulatedChip rig{dir.file("se")};
    emu::Chip* chip = rig.chip.get();
    stsafe::Device* se = rig.device.get();
};

struct Case {
    const char* name;
    std::uint8_t slot;
    stsafe::Curve key_curve;
    const char* server_curve;              ///< openssl -pkeyopt for the server key
    std::vector<std::string> server_args;  ///< version, suite, -no_ticket (session ids)...
    TlsVersions versions;
    const char* version;  ///< expected
    const char* suite;    ///< expected (wolfSSL's name)
    const char* hash;     ///< digest the chip signed, as s_server reports it
};

// gtest prints parameters of failed cases; the name says it all (and has no padding bytes).
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class WolfsslHandshake : public WolfsslTls, public ::testing::WithParamInterface<Case> {};

}  // namespace

TEST_P(WolfsslHandshake, OneChipSignaturePerFullHandshakeNoneWhenResumed) {
    const Case& k = GetParam();
    auto chain = identity_for(k.slot, k.key_curve);
    ASSERT_FALSE(HasFailure());
    server_cert("ec", k.server_curve);
    int port = 0;
    auto server = s_server(k.server_args, port, 3, k.slot == stsafe::kSlotFactory ? "" : dir.file("clients.pem"));
    auto o = options(port, chain, k.slot);
    o.versions = k.versions;

    tls_wolfssl::SessionCache cache;
    const auto signatures = chip->stats().signatures;
    std::uint64_t commands = 0;
    for (int i = 0; i < 3; ++i) {
        tls_wolfssl::Client c;
        auto info = c.connect(o, &cache);
        ASSERT_TRUE(info) << c.diagnosis().cause << " / " << c.diagnosis().fix << "\n" << server->output();
        EXPECT_EQ(info->stack.rfind("wolfssl 5.", 0), 0u) << info->stack;
        EXPECT_EQ(info->version, k.version);
        EXPECT_EQ(info->ciphersuite, k.suite);
        EXPECT_EQ(info->server_subject, "CN=localhost");
        if (i == 0) {
            EXPECT_FALSE(info->resumed);
            EXPECT_EQ(info->chip_signatures, 1u);
            EXPECT_EQ(chip->stats().signatures - signatures, 1u);  // counted by the emulator too
        } else {
            EXPECT_TRUE(info->resumed) << "connection " << i;
            EXPECT_EQ(info->chip_signatures, 0u);
            EXPECT_EQ(chip->stats().commands, commands);  // resumption touches the chip not at all
        }
        echo(c, "reading " + std::to_string(i) + ": 21.5\n");
        c.close();
        EXPECT_TRUE(cache.valid());
        commands = chip->stats().commands;
    }
    EXPECT_EQ(chip->stats().signatures - signatures, 1u);
    EXPECT_EQ(server->wait_exit(), 0) << server->output();
    const std::string log = server->output();
    EXPECT_NE(log.find("2 session cache hits"), std::string::npos) << log;  // the server resumed twice
    EXPECT_NE(log.find(std::string("Hash used: ") + k.hash), std::string::npos) << log;
    EXPECT_NE(log.find("Signature type: ECDSA"), std::string::npos) << log;
    // The explicit group list, in order (not the library's default that starts with P-521).
    EXPECT_NE(log.find("Supported groups: x25519:secp256r1:secp384r1:brainpoolP256r1:brainpoolP384r1\n"),
              std::string::npos)
        << log;
}

INSTANTIATE_TEST_SUITE_P(
    Slots, WolfsslHandshake,
    ::testing::Values(Case{"Tls12Slot1P384Ticket",
                           1,
                           stsafe::Curve::p384,
                           "ec_paramgen_curve:P-384",
                           {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"},
                           TlsVersions::both,
                           "TLSv1.2",
                           "ECDHE-ECDSA-AES256-GCM-SHA384",
                           "SHA256"},
                      Case{"Tls12Slot1P384SessionId",
                           1,
                           stsafe::Curve::p384,
                           "ec_paramgen_curve:P-384",
                           {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-no_ticket"},
                           TlsVersions::tls12_only,
                           "TLSv1.2",
                           "ECDHE-ECDSA-AES256-GCM-SHA384",
                           "SHA256"},
                      Case{"Tls12Slot0P256Ticket",
                           0,
                           stsafe::Curve::p256,
                           "ec_paramgen_curve:P-256",
                           {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"},
                           TlsVersions::tls12_only,
                           "TLSv1.2",
                           "ECDHE-ECDSA-AES128-GCM-SHA256",
                           "SHA256"},
                      Case{"Tls12Slot0P256SessionId",
                           0,
                           stsafe::Curve::p256,
                           "ec_paramgen_curve:P-256",
                           {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-no_ticket"},
                           TlsVersions::both,
                           "TLSv1.2",
                           "ECDHE-ECDSA-AES128-GCM-SHA256",
                           "SHA256"},
                      Case{"Tls13Slot0P256",
                           0,
                           stsafe::Curve::p256,
                           "ec_paramgen_curve:P-256",
                           {"-tls1_3"},
                           TlsVersions::both,
                           "TLSv1.3",
                           "TLS13-AES128-GCM-SHA256",
                           "SHA256"},
                      Case{"Tls13Slot1P384",
                           1,
                           stsafe::Curve::p384,
                           "ec_paramgen_curve:P-384",
                           {"-tls1_3"},
                           TlsVersions::tls13_only,
                           "TLSv1.3",
                           "TLS13-AES128-GCM-SHA256",
                           "SHA384"},
                      // A brainpool key signs in TLS 1.2 only: with both versions allowed the client offers 1.2.
                      Case{"Tls12Slot1Brainpool256",
                           1,
                           stsafe::Curve::brainpool_p256r1,
                           "ec_paramgen_curve:P-256",
                           {"-groups", "X25519:P-256:brainpoolP256r1"},
                           TlsVersions::both,
                           "TLSv1.2",
                           "ECDHE-ECDSA-AES128-GCM-SHA256",
                           "SHA256"}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST_F(WolfsslTls, WrongCaHostnameExpiryNobodyListeningAndSilentServer) {
    server_cert("ec");
    auto chain = identity_for(0);
    int port = 0;
    auto server = s_server({}, port, 3);
    tls_wolfssl::Client c;
    ASSERT_TRUE(emu::init_chip(dir.file("other"), {}).ok());
    auto wrong_ca = options(port, chain, 0);
    wrong_ca.ca_file = dir.file("other/factory-ca.pem");
    EXPECT_FALSE(c.connect(wrong_ca));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::untrusted_server) << c.diagnosis().cause;

    // The certificate lists only DNS:localhost: by IP address the name check must fail.
    auto by_ip = options(port, chain, 0);
    by_ip.host = "127.0.0.1";
    EXPECT_FALSE(c.connect(by_ip));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::hostname_mismatch) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().fix.find("subjectAltName"), std::string::npos);
    EXPECT_EQ(chip->stats().signatures, 0u);  // refused before the client authenticates

    server.reset();
    EXPECT_FALSE(c.connect(options(test::free_port(), chain, 0)));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::not_listening) << c.diagnosis().cause;

    // Accepts TCP (the kernel completes it from the backlog) but never speaks TLS.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    auto silent = options(ntohs(addr.sin_port), chain, 0);
    silent.host = "127.0.0.1";
    silent.timeout_ms = 300;
    auto r = c.connect(silent);
    ::close(fd);
    EXPECT_FALSE(r);
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::timeout) << c.diagnosis().cause;
}

TEST_F(WolfsslTls, ABrokerThatAnswersNoSynTimesOutInTheConnect) {
    server_cert("ec");  // the CA file the options name
    test::UnansweredPort dropped;
    ASSERT_GT(dropped.port(), 0);
    auto o = options(dropped.port(), identity_for(0), 0);
    o.host = "127.0.0.1";
    o.timeout_ms = 300;
    tls_wolfssl::Client c;
    const auto r = c.connect(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), Errc::communication_failure);
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::timeout) << c.diagnosis().cause;
    EXPECT_EQ(c.diagnosis().cause, "no TCP answer from 127.0.0.1:" + std::to_string(dropped.port()) + " within 300 ms");
}

TEST_F(WolfsslTls, IpAddressInSubjectAltNameIsAcceptedAndAlpnOffered) {
    server_cert("ec", "ec_paramgen_curve:P-256", "DNS:localhost,IP:127.0.0.1");
    int port = 0;
    auto server = s_server({"-alpn", "mqtt"}, port);
    auto o = options(port, identity_for(0), 0);
    o.host = "127.0.0.1";
    o.alpn = {"mqtt", "x-sebind"};
    tls_wolfssl::Client c;
    auto info = c.connect(o);
    ASSERT_TRUE(info) << c.diagnosis().cause;
    echo(c, "by address\n");
    c.close();
    EXPECT_EQ(server->wait_exit(), 0);
    EXPECT_NE(server->output().find("ALPN protocols advertised by the client: mqtt, x-sebind"), std::string::npos)
        << server->output();
}

TEST_F(WolfsslTls, ExpiredServerCertificate) {
    // Valid only in January 2020: `openssl ca` can back-date, `x509 -req` cannot.
    ASSERT_EQ(run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                   dir.file("srv.key"), "-out", dir.file("srv.csr"), "-subj", "/CN=localhost"})
                  .exit_code,
              0);
    ASSERT_EQ(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                   "-keyout", dir.file("ca.key"), "-out", dir.file("ca.pem"), "-subj", "/CN=expiry CA", "-days", "30"})
                  .exit_code,
              0);
    auto old = test::openssl_ca_sign(dir.file("ca-db"), dir.file("ca.pem"), dir.file("ca.key"), dir.file("srv.csr"),
                                     dir.file("srv.pem"), "20200101000000Z", "20200201000000Z");
    ASSERT_EQ(old.exit_code, 0) << old.output;
    int port = 0;
    auto server = s_server({}, port);
    auto o = options(port, identity_for(0), 0);
    o.ca_file = dir.file("ca.pem");
    tls_wolfssl::Client c;
    EXPECT_FALSE(c.connect(o));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::server_cert_expired) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("2020-02-01"), std::string::npos) << c.diagnosis().cause;
}

TEST_F(WolfsslTls, RsaServerByEcdheRsaStaticRsaOnlyServerAndMissingSuiteInTls12) {
    server_cert("rsa:2048");
    auto chain = identity_for(0);
    int port = 0;
    tls_wolfssl::Client c;
    // An RSA-certified TLS 1.2 server: ECDHE-RSA, its RSA signature verified, ours made by the chip.
    for (const std::string suite : {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"}) {
        auto rsa = s_server({"-no_tls1_3", "-cipher", suite}, port);
        const auto before = chip->stats().signatures;
        auto info = c.connect(options(port, chain, 0));
        ASSERT_TRUE(info) << c.diagnosis().cause << rsa->output();
        EXPECT_EQ(info->version, "TLSv1.2");
        EXPECT_EQ(info->ciphersuite, suite);
        EXPECT_EQ(info->chip_signatures, 1u);
        EXPECT_EQ(chip->stats().signatures - before, 1u);  // counted by the emulator
        echo(c, "ecdhe-rsa\n");
        c.close();
    }
    // Static RSA key exchange only: refused, and said so (wolfSSL has no such suite to probe with:
    // a bare ClientHello offering them asks the server).
    auto rsa = s_server({"-no_tls1_3", "-cipher", "AES128-GCM-SHA256"}, port, 3);
    EXPECT_FALSE(c.connect(options(port, chain, 0)));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::rsa_key_exchange_only) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("TLS_RSA_WITH_AES_128_GCM_SHA256"), std::string::npos) << c.diagnosis().cause;
    rsa.reset();

    // TLS 1.3 decouples suites from the server's key: the same RSA server is fine there.
    auto rsa13 = s_server({}, port);
    auto info = c.connect(options(port, chain, 0));
    ASSERT_TRUE(info) << c.diagnosis().cause;
    EXPECT_EQ(info->version, "TLSv1.3");
    EXPECT_EQ(info->chip_signatures, 1u);
    echo(c, "rsa server\n");
    c.close();
    rsa13.reset();

    server_cert("ec");
    auto ccm = s_server({"-no_tls1_3", "-cipher", "ECDHE-ECDSA-AES256-CCM8"}, port, 2);
    EXPECT_FALSE(c.connect(options(port, chain, 0)));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::no_shared_cipher) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("CCM"), std::string::npos) << c.diagnosis().cause;
}

TEST_F(WolfsslTls, ServerRefusesOurCertificateInTls12AndTls13) {
    // The server trusts only the device root; slot 0's certificate comes from the factory CA.
    device_ca();
    server_cert("ec");
    auto chain = identity_for(0);
    int port = 0;
    auto s12 = s_server({"-tls1_2"}, port, 1, dir.file("root.pem"));
    tls_wolfssl::Client c;
    EXPECT_FALSE(c.connect(options(port, chain, 0)));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::client_cert_rejected) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().fix.find("verify-pair"), std::string::npos);
    EXPECT_NE(c.diagnosis().alert, 0) << c.diagnosis().cause;

    // TLS 1.3: the server judges the certificate after the client finished; connect waits for
    // that verdict, so the refusal fails connect itself, as in TLS 1.2.
    auto s13 = s_server({"-tls1_3"}, port, 1, dir.file("root.pem"));
    auto info = c.connect(options(port, chain, 0));
    ASSERT_FALSE(info) << info->version;
    EXPECT_EQ(info.status().code(), Errc::not_permitted);
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::client_cert_rejected) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("alert"), std::string::npos) << c.diagnosis().cause;
}

TEST_F(WolfsslTls, KeyThatDoesNotMatchTheCertificate) {
    // Slot 1 gets a P-256 key, but slot 0's certificate is sent: the server's signature check fails.
    identity::KeygenOptions k;
    ASSERT_TRUE(identity::keygen(*se, k));
    server_cert("ec");
    int port = 0;
    auto server = s_server({"-tls1_2"}, port);
    tls_wolfssl::Client c;
    EXPECT_FALSE(c.connect(options(port, identity_for(0), stsafe::kSlotUser)));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::client_cert_rejected) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().fix.find("verify-pair"), std::string::npos);

    // A certificate on another curve than the slot is refused before any network traffic.
    k.curve = stsafe::Curve::p384;
    k.force = true;
    ASSERT_TRUE(identity::keygen(*se, k));
    EXPECT_FALSE(c.connect(options(port, identity_for(0), stsafe::kSlotUser)));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::client_cert_rejected) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("P-384"), std::string::npos) << c.diagnosis().cause;
}

TEST_F(WolfsslTls, BrainpoolKeyAndTls13OnlyIsNotSupported) {
    auto chain = identity_for(1, stsafe::Curve::brainpool_p256r1);
    auto o = options(test::free_port(), chain, 1);
    o.versions = TlsVersions::tls13_only;
    tls_wolfssl::Client c;
    auto r = c.connect(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), Errc::not_supported);
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::not_supported) << c.diagnosis().cause;
}

TEST_F(WolfsslTls, VersionMismatch) {
    server_cert("ec");
    int port = 0;
    auto server = s_server({"-tls1_3"}, port);
    auto o = options(port, identity_for(0), 0);
    o.versions = TlsVersions::tls12_only;
    tls_wolfssl::Client c;
    EXPECT_FALSE(c.connect(o));
    // The same diagnosis as the mbedTLS client's against this server (exit 27 in `sebind connect`).
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::no_common_version) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("TLS 1.2"), std::string::npos) << c.diagnosis().cause;
}

TEST_F(WolfsslTls, ChipFailingMidHandshake) {
    server_cert("ec");
    auto chain = identity_for(0);
    int port = 0;
    auto server = s_server({}, port, 2);
    tls_wolfssl::Client c;
    ASSERT_TRUE(c.connect(options(port, chain, 0))) << c.diagnosis().cause;  // the slot's curve is now known
    c.close();
    emu::FaultConfig dead;
    dead.nack_burst_rate = 1.0;  // the chip never answers again
    dead.nack_burst_length = 1000000;
    chip->set_faults(dead);
    EXPECT_FALSE(c.connect(options(port, chain, 0)));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::chip_error) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("busy"), std::string::npos) << c.diagnosis().cause;
}
