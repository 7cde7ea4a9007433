// SPDX-License-Identifier: Apache-2.0
// examples/mbedtls_client (a C program on the C API) against a real `openssl s_server` that
// requires a client certificate: the chip's key authenticates, and failures exit as documented.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "peer.hpp"
#include "process.hpp"
#include "sebind/emu/emulator.hpp"

using namespace sebind;
using test::run;

namespace {

class MbedtlsCClient : public ::testing::Test {
protected:
    void SetUp() override {
        // The factory identity of a fresh emulated chip: slot 0 and its zone-0 certificate.
        ASSERT_TRUE(emu::init_chip(dir.file("se"), {}).ok());
        auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", dir.file("srv.key"), "-out", dir.file("srv.pem"), "-subj", "/CN=localhost", "-addext",
                      "subjectAltName=DNS:localhost", "-days", "30"});
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }

    /// openssl s_server requiring a client certificate issued by `client_ca`.
    std::unique_ptr<test::Peer> s_server(const std::string& client_ca, int& port) {
        port = test::free_port();
        auto p = std::make_unique<test::Peer>(std::vector<std::string>{
            "openssl", "s_server", "-accept", std::to_string(port), "-naccept", "1", "-cert", dir.file("srv.pem"),
            "-key", dir.file("srv.key"), "-CAfile", client_ca, "-Verify", "1", "-verify_return_error", "-no_tls1_3"});
        EXPECT_TRUE(p->wait_for("ACCEPT")) << p->output();
        return p;
    }

    test::RunResult client(const std::string& se, int port, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv = {SEBIND_EXAMPLE_MBEDTLS_CLIENT,
                                         "--se",
                                         se,
                                         "--host",
                                         "localhost",
                                         "--port",
                                         std::to_string(port),
                                         "--ca",
                                         dir.file("srv.pem")};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run(argv);
    }

    test::TempDir dir;
};

}  // namespace

TEST_F(MbedtlsCClient, MutualTlsWithTheChipKey) {
    int port = 0;
    auto server = s_server(dir.file("se/factory-ca.pem"), port);
    const auto r = client("emu:" + dir.file("se"), port);
    ASSERT_EQ(r.exit_code, 0) << r.output << "\n--- server ---\n" << server->output();
    EXPECT_NE(r.output.find("ciphersuite: TLS-ECDHE-ECDSA-WITH-"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("version: TLSv1.2"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("chip signatures: 1"), std::string::npos) << r.output;
    // The server checked the chip's certificate against the factory CA and the signature with it.
    EXPECT_EQ(server->wait_exit(), 0) << server->output();
    EXPECT_NE(server->output().find("verify return:1"), std::string::npos) << server->output();
    EXPECT_NE(server->output().find("CIPHER is ECDHE-ECDSA-"), std::string::npos) << server->output();
}

TEST_F(MbedtlsCClient, ServerTrustingAnotherCaRefusesTheClient) {
    ASSERT_TRUE(emu::init_chip(dir.file("other"), {}).ok());
    int port = 0;
    auto server = s_server(dir.file("other/factory-ca.pem"), port);
    const auto r = client("emu:" + dir.file("se"), port);
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_NE(r.output.find("TLS failed"), std::string::npos) << r.output;
}

TEST_F(MbedtlsCClient, ChipProblemsExitBeforeAnyConnection) {
    // Nothing listens on `port`: a chip failure must be reported first and end the program.
    const int port = test::free_port();
    auto bad_uri = client("spi:/dev/spidev0.0", port);
    EXPECT_EQ(bad_uri.exit_code, 3) << bad_uri.output;
    EXPECT_NE(bad_uri.output.find("not an SE URI"), std::string::npos) << bad_uri.output;
    auto no_chip = client("emu:" + dir.file("nothing-here"), port);
    EXPECT_EQ(no_chip.exit_code, 3) << no_chip.output;
    EXPECT_NE(no_chip.output.find("sebind emu init"), std::string::npos) << no_chip.output;
    // Slot 1 is empty on a new chip and zone 4 holds no certificate.
    auto empty = client("emu:" + dir.file("se"), port, {"--slot", "1"});
    EXPECT_EQ(empty.exit_code, 3) << empty.output;
    EXPECT_NE(empty.output.find("does not exist"), std::string::npos) << empty.output;
    auto usage = run({SEBIND_EXAMPLE_MBEDTLS_CLIENT, "--se"});
    EXPECT_EQ(usage.exit_code, 2) << usage.output;
}
