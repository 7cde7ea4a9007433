// SPDX-License-Identifier: Apache-2.0
// The TLS client with the chip key against real servers: one chip signature per full handshake,
// none when resumed, no chip traffic at all on resumption; and every failure diagnosed.
#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include <mbedtls/x509_crt.h>

#include "factory_tls_fixture.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/dev_pki.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/tls_mbedtls/client.hpp"

using namespace sebind;
using test::run;

namespace {

class TlsConnect : public test::FactoryTlsTest {};

/// Resumption by session ticket (true) or by session id (false).
class TlsResumption : public test::FactoryTlsTest, public ::testing::WithParamInterface<bool> {};

}  // namespace

TEST_F(TlsConnect, OneSignaturePerFullHandshakeNoneWhenResumed) {
    server_cert("ec");
    int port = 0;
    auto server = s_server({}, port, 3);
    tls_mbedtls::SessionCache cache;
    const auto before = chip->stats().signatures;
    const auto commands_before = chip->stats().commands;
    tls_mbedtls::Client first;
    auto full = first.connect(options(port, dir.file("srv.pem")), &cache);
    ASSERT_TRUE(full) << first.diagnosis().cause;
    first.close();
    EXPECT_FALSE(full->resumed);
    EXPECT_EQ(full->chip_signatures, 1u);
    EXPECT_EQ(chip->stats().signatures - before, 1u);  // counted by the emulator
    // The signature is the handshake's only chip command: the certificate, read from its zone
    // once by the caller, is not read again.
    EXPECT_EQ(chip->stats().commands - commands_before, 1u);
    EXPECT_TRUE(cache.valid());

    const auto commands = chip->stats().commands;
    for (int i = 0; i < 2; ++i) {
        tls_mbedtls::Client again;
        auto resumed = again.connect(options(port, dir.file("srv.pem")), &cache);
        ASSERT_TRUE(resumed) << again.diagnosis().cause;
        EXPECT_TRUE(resumed->resumed);
        EXPECT_EQ(resumed->chip_signatures, 0u);
    }
    EXPECT_EQ(chip->stats().commands, commands);  // resumption touches the chip not at all
    EXPECT_EQ(chip->stats().signatures - before, 1u);
    EXPECT_EQ(server_resumptions(*server), 2u);  // the server's view: both reconnects resumed
}

TEST_F(TlsConnect, WrongCaHostnameExpiryAndNobodyListening) {
    server_cert("ec");
    int port = 0;
    auto server = s_server({}, port, 3);
    tls_mbedtls::Client c;
    ASSERT_TRUE(emu::init_chip(dir.file("other"), {}).ok());
    EXPECT_FALSE(c.connect(options(port, dir.file("other/factory-ca.pem"))));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::untrusted_server) << c.diagnosis().cause;
    auto by_ip = options(port, dir.file("srv.pem"));
    by_ip.host = "127.0.0.1";
    EXPECT_FALSE(c.connect(by_ip));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::hostname_mismatch) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().fix.find("DNS name"), std::string::npos);
    server.reset();
    EXPECT_FALSE(c.connect(options(test::free_port(), dir.file("srv.pem"))));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::not_listening) << c.diagnosis().cause;
}

TEST_F(TlsConnect, ABrokerThatAnswersNoSynTimesOutInTheConnect) {
    server_cert("ec");  // the CA file the options name
    test::UnansweredPort dropped;
    ASSERT_GT(dropped.port(), 0);
    auto o = options(dropped.port(), dir.file("srv.pem"));
    o.host = "127.0.0.1";
    o.timeout_ms = 300;
    tls_mbedtls::Client c;
    const auto r = c.connect(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), Errc::communication_failure);
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::timeout) << c.diagnosis().cause;
    EXPECT_EQ(c.diagnosis().cause, "no TCP answer from 127.0.0.1:" + std::to_string(dropped.port()) + " within 300 ms");
}

TEST_F(TlsConnect, ExpiredServerCertificate) {
    // A server certificate valid only in January 2020 (openssl_ca_sign: `x509 -req` cannot back-date).
    ASSERT_EQ(run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                   dir.file("srv.key"), "-out", dir.file("srv.csr"), "-subj", "/CN=localhost"})
                  .exit_code,
              0);
    ASSERT_EQ(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                   "-keyout", dir.file("ca.key"), "-out", dir.file("ca.pem"), "-subj", "/CN=expiry CA", "-days", "30"})
                  .exit_code,
              0);
    auto signed_old = test::openssl_ca_sign(dir.file("ca-db"), dir.file("ca.pem"), dir.file("ca.key"),
                                            dir.file("srv.csr"), dir.file("srv.pem"), "20200101000000Z",
                                            "20200201000000Z");
    ASSERT_EQ(signed_old.exit_code, 0) << signed_old.output;
    int port = 0;
    auto server = s_server({}, port);
    tls_mbedtls::Client c;
    EXPECT_FALSE(c.connect(options(port, dir.file("ca.pem"))));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::server_cert_expired) << c.diagnosis().cause;
}

TEST_F(TlsConnect, RsaServerByEcdheRsaStaticRsaOnlyServerAndMissingSuite) {
    // An RSA-certified server: ECDHE-RSA, its RSA signature verified, ours made by the chip (once).
    server_cert("rsa:2048");
    int port = 0;
    const std::pair<std::string, std::string> suites[] = {
        {"ECDHE-RSA-AES128-GCM-SHA256", "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"},
        {"ECDHE-RSA-AES256-GCM-SHA384", "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384"}};
    for (const auto& [suite, name] : suites) {
        auto rsa = s_server({"-cipher", suite}, port);
        const auto before = chip->stats().signatures;
        tls_mbedtls::Client c;
        auto info = c.connect(options(port, dir.file("srv.pem")));
        ASSERT_TRUE(info) << c.diagnosis().cause << rsa->output();
        EXPECT_EQ(info->ciphersuite, name);
        EXPECT_EQ(info->chip_signatures, 1u);
        EXPECT_EQ(chip->stats().signatures - before, 1u);  // counted by the emulator
    }
    tls_mbedtls::Client c;
    // Static RSA key exchange only: refused, and said so.
    auto static_rsa = s_server({"-cipher", "AES128-GCM-SHA256"}, port,
                               2);  // the diagnosis probes with a second connection
    EXPECT_FALSE(c.connect(options(port, dir.file("srv.pem"))));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::rsa_key_exchange_only) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("only RSA key exchange without forward secrecy"), std::string::npos)
        << c.diagnosis().cause;
    static_rsa.reset();

    server_cert("ec");
    auto ccm = s_server({"-cipher", "ECDHE-ECDSA-AES256-CCM8"}, port, 2);
    EXPECT_FALSE(c.connect(options(port, dir.file("srv.pem"))));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::no_shared_cipher) << c.diagnosis().cause;
}

TEST_F(TlsConnect, CertificateKeyMismatchOnTheChipIsRejected) {
    // Slot 1 signs, but the certificate sent is slot 0's: the server sees a bad CertificateVerify.
    ASSERT_TRUE(identity::keygen(*se, {}));
    mbedtls_pk_context wrong;
    mbedtls_pk_init(&wrong);
    ASSERT_TRUE(
        mbedtls_util::setup_se_key(wrong, *se, stsafe::kSlotUser, *identity::slot_public_key(*se, stsafe::kSlotUser, 4))
            .ok());
    server_cert("ec");
    int port = 0;
    auto server = s_server({}, port);
    auto o = options(port, dir.file("srv.pem"));
    o.own_key = &wrong;
    tls_mbedtls::Client c;
    EXPECT_FALSE(c.connect(o));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::client_cert_rejected) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().fix.find("verify-pair"), std::string::npos);
    mbedtls_pk_free(&wrong);
}

TEST_F(TlsConnect, ChipFailingMidHandshake) {
    server_cert("ec");
    int port = 0;
    auto server = s_server({}, port);
    emu::FaultConfig dead;
    dead.nack_burst_rate = 1.0;  // the chip never answers again
    dead.nack_burst_length = 1000000;
    chip->set_faults(dead);
    tls_mbedtls::Client c;
    EXPECT_FALSE(c.connect(options(port, dir.file("srv.pem"))));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::chip_error) << c.diagnosis().cause;
}

TEST_F(TlsConnect, SharedContextAcrossConnections) {
    server_cert("ec");
    int port = 0;
    auto server = s_server({}, port, 3);
    tls_mbedtls::ClientContext context;
    EXPECT_FALSE(context.ready());
    tls_mbedtls::Client c;
    EXPECT_EQ(c.connect(context).status().code(), Errc::invalid_argument);  // not set up yet
    tls::Diagnosis why;
    auto bad = options(port, dir.file("missing.pem"));
    EXPECT_EQ(context.setup(bad, &why).code(), Errc::invalid_argument);
    EXPECT_EQ(why.failure, tls::Failure::file_not_found) << why.cause;
    EXPECT_EQ(why.cause, "cannot read CA file " + dir.file("missing.pem") + ": no such file");
    ASSERT_TRUE(context.setup(options(port, dir.file("srv.pem")), &why).ok()) << why.cause;
    EXPECT_TRUE(context.ready());
    // One CA parse and one DRBG for every connection: a full handshake, then two resumed ones.
    tls_mbedtls::SessionCache cache;
    const auto before = chip->stats().signatures;
    for (int i = 0; i < 3; ++i) {
        tls_mbedtls::Client client;
        auto info = client.connect(context, &cache);
        ASSERT_TRUE(info) << client.diagnosis().cause;
        EXPECT_EQ(info->resumed, i > 0);
        std::uint8_t ping[] = {'p', 'i', 'n', 'g', '\n'};
        EXPECT_TRUE(client.write(ping).ok());
    }
    EXPECT_EQ(chip->stats().signatures - before, 1u);
    EXPECT_EQ(server_resumptions(*server), 2u);
}

TEST_P(TlsResumption, TheCacheFollowsTheServerAcrossARestart) {
    server_cert("ec");
    int port = 0;
    auto server = s_server({}, port, 2);
    auto o = options(port, dir.file("srv.pem"));
    o.session_tickets = GetParam();
    tls_mbedtls::ClientContext context;
    tls::Diagnosis why;
    ASSERT_TRUE(context.setup(o, &why).ok()) << why.cause;
    tls_mbedtls::SessionCache cache;
    const auto connect = [&] {
        tls_mbedtls::Client client;
        auto info = client.connect(context, &cache);
        EXPECT_TRUE(info) << client.diagnosis().cause;
        return info ? info->chip_signatures + (info->resumed ? 100u : 0u) : 0u;
    };
    const auto first = chip->stats().signatures;
    EXPECT_EQ(connect(), 1u);                         // full: one chip signature
    EXPECT_EQ(connect(), 100u);                       // resumed, none
    EXPECT_EQ(chip->stats().signatures - first, 1u);  // counted by the emulator
    EXPECT_EQ(server_resumptions(*server), 1u);       // and resumed by the server's account
    // A restarted server knows neither the old session id nor the old ticket key: the offer is
    // declined, the handshake is a full one, and the cache must hold the new session afterwards.
    server->stop();
    server = s_server_on({}, port, 3);
    const auto before = chip->stats().signatures;
    EXPECT_EQ(connect(), 1u);
    EXPECT_EQ(connect(), 100u);
    EXPECT_EQ(connect(), 100u);  // and again: an unchanged session is kept as it was
    EXPECT_EQ(chip->stats().signatures - before, 1u);
    EXPECT_EQ(server_resumptions(*server), 2u);
}

INSTANTIATE_TEST_SUITE_P(TicketOrId, TlsResumption, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "Ticket" : "SessionId"; });
