// SPDX-License-Identifier: Apache-2.0
// ECDHE on the chip in real handshakes against `openssl s_server`: with chip_ecdhe the client's
// ephemeral key is the chip's slot 0xFF (one Generate Key + one Establish Key per full
// handshake, none when resumed); off by default; a server offering only X25519 cannot agree.
#include <gtest/gtest.h>

#include <memory>

#include <mbedtls/x509_crt.h>

#include "factory_tls_fixture.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/tls_mbedtls/chip_ecdhe.hpp"
#include "sebind/tls_mbedtls/client.hpp"

using namespace sebind;
using test::run;

namespace {

class ChipEcdheTls : public test::FactoryTlsTest {
protected:
    void SetUp() override {
        FactoryTlsTest::SetUp();
        server_cert("ec");
    }
    tls_mbedtls::ClientOptions options(int port, bool chip_ecdhe) {
        tls_mbedtls::ClientOptions o = FactoryTlsTest::options(port, dir.file("srv.pem"));
        o.chip_ecdhe = chip_ecdhe;
        return o;
    }
};

}  // namespace

TEST_F(ChipEcdheTls, FullHandshakeUsesTheEphemeralSlotResumedDoesNot) {
    ASSERT_TRUE(tls_mbedtls::chip_ecdhe_available());  // this test program links the hook
    int port = 0;
    auto server = s_server({}, port, 2);
    tls_mbedtls::ClientContext context;
    tls::Diagnosis why;
    ASSERT_TRUE(context.setup(options(port, true), &why).ok()) << why.cause;
    tls_mbedtls::SessionCache cache;
    const auto before = chip->stats();
    tls_mbedtls::Client first;
    auto full = first.connect(context, &cache);
    ASSERT_TRUE(full) << first.diagnosis().cause << "\n" << server->output();
    first.close();
    EXPECT_EQ(full->chip_key_establishments, 1u);
    EXPECT_EQ(full->chip_signatures, 1u);
    EXPECT_EQ(chip->stats().key_establishments - before.key_establishments, 1u);  // counted by the emulator
    EXPECT_NE(full->ciphersuite.find("ECDHE-ECDSA"), std::string::npos);

    const auto commands = chip->stats().commands;
    tls_mbedtls::Client again;
    auto resumed = again.connect(context, &cache);
    ASSERT_TRUE(resumed) << again.diagnosis().cause;
    again.close();
    EXPECT_TRUE(resumed->resumed);
    EXPECT_EQ(resumed->chip_key_establishments, 0u);
    EXPECT_EQ(chip->stats().commands, commands);
    EXPECT_EQ(server->wait_exit(), 0) << server->output();
    EXPECT_EQ(server->count_lines("Reused session-id"), 1u) << server->output();  // the server's view
}

TEST_F(ChipEcdheTls, OffByDefault) {
    int port = 0;
    auto server = s_server({}, port, 1);
    const auto before = chip->stats().key_establishments;
    tls_mbedtls::Client c;
    auto info = c.connect(options(port, false));
    ASSERT_TRUE(info) << c.diagnosis().cause;
    EXPECT_EQ(info->chip_key_establishments, 0u);
    EXPECT_EQ(chip->stats().key_establishments, before);
}

TEST_F(ChipEcdheTls, ServerWithOnlyX25519CannotAgree) {
    // The A110 has no X25519 (§5.2): with chip ECDHE the client offers only the chip's curves.
    int port = 0;
    auto server = s_server({"-groups", "X25519"}, port, 2);
    const auto before = chip->stats().key_establishments;
    tls_mbedtls::Client c;
    EXPECT_FALSE(c.connect(options(port, true)));
    EXPECT_NE(c.diagnosis().failure, tls::Failure::none);
    EXPECT_EQ(chip->stats().key_establishments, before);
}

TEST_F(ChipEcdheTls, ChipFailingInEcdheIsDiagnosed) {
    int port = 0;
    auto server = s_server({"-groups", "P-256"}, port, 1);
    // The chip stops answering after the client is set up: the first chip operation of the
    // client's flight is the ephemeral Generate Key (ClientKeyExchange precedes CertificateVerify).
    tls_mbedtls::ClientContext context;
    tls::Diagnosis why;
    ASSERT_TRUE(context.setup(options(port, true), &why).ok()) << why.cause;
    emu::FaultConfig dead;
    dead.nack_burst_rate = 1.0;
    dead.nack_burst_length = 1000000;
    chip->set_faults(dead);
    tls_mbedtls::Client c;
    EXPECT_FALSE(c.connect(context));
    EXPECT_EQ(c.diagnosis().failure, tls::Failure::chip_error) << c.diagnosis().cause;
    EXPECT_NE(c.diagnosis().cause.find("ECDHE"), std::string::npos) << c.diagnosis().cause;
}
