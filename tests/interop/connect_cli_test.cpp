// SPDX-License-Identifier: Apache-2.0
// `sebind connect` as a user runs it, against real peers on 127.0.0.1: mosquitto 2.0 from `sebind
// pki dev` (require_certificate, CN as username, ACL by CN) and `openssl s_server -Verify 1
// -verify_return_error`. Each stack (mbedTLS; wolfSSL with TLS 1.2 and 1.3) with the factory
// slot-0 P-256 key and a provisioned slot-1 P-384 key; then every failure with its exit code and
// its one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <regex>

#include <nlohmann/json.hpp>

#include "peer.hpp"
#include "process.hpp"

#ifndef SEBIND_BIN
#error "SEBIND_BIN must name the sebind executable"
#endif
#ifndef SEBIND_EMUD_BIN
#error "SEBIND_EMUD_BIN must name the sebind-emud executable"
#endif

using namespace sebind;
using nlohmann::json;
using test::run;

namespace {

const std::string kFactoryCn = "factory-device";  // slot 0, zone 0: written by `sebind emu init`
const std::string kDeviceCn = "device-384";       // slot 1, zone 4: provisioned by the fixture

struct Stack {
    const char* name;
    std::vector<std::string> args;  // --stack / --tls
    const char* protocol;           // what the report must say
};

const Stack kMbedtls{"mbedtls", {"--stack", "mbedtls"}, "TLSv1.2"};
const Stack kWolfssl12{"wolfssl_tls12", {"--stack", "wolfssl", "--tls", "1.2"}, "TLSv1.2"};
const Stack kWolfssl13{"wolfssl_tls13", {"--stack", "wolfssl", "--tls", "1.3"}, "TLSv1.3"};

class ConnectCli : public ::testing::Test {
protected:
    /// A chip as a factory leaves it (slot 0 + zone 0), then provisioned the way docs/provisioning.md
    /// says: a P-384 key in slot 1, a CSR the chip signs, `sebind pki sign`, the certificate in zone 4.
    static void SetUpTestSuite() {
        shared = new test::TempDir;
        const auto sebind = [](std::vector<std::string> args) {
            args.insert(args.begin(), {SEBIND_BIN, "--se", "emu:" + shared->file("se")});
            auto r = run(args);
            ASSERT_EQ(r.exit_code, 0) << r.output;
        };
        sebind({"emu", "init", shared->file("se"), "--cn", kFactoryCn});
        sebind({"pki", "dev", "--out", shared->file("pki"), "--port", "1"});
        sebind({"keygen", "--slot", "1", "--curve", "p384", "-o", shared->file("dev.pub.pem")});
        sebind({"csr", "--slot", "1", "--subject", "CN=" + kDeviceCn + ",O=sebind test", "-o", shared->file("dev.csr")});
        sebind({"pki", "sign", "--ca", shared->file("pki"), shared->file("dev.csr"), "-o", shared->file("dev.crt")});
        sebind({"cert", "store", "--slot", "1", shared->file("dev.crt")});
        // Servers trust both issuers: the development CA (slot 1) and the chip's factory CA (slot 0).
        test::write_file(shared->file("clients-ca.pem"),
                         test::read_text(shared->file("pki/ca.pem")) + test::read_text(shared->file("se/factory-ca.pem")));
    }
    static void TearDownTestSuite() {
        delete shared;
        shared = nullptr;
    }

    std::string file(const std::string& name) const { return shared->file(name); }

    /// `sebind --json connect ...` on the emulated chip.
    test::RunResult connect(const std::vector<std::string>& args, const std::string& se = "") const {
        std::vector<std::string> argv = {SEBIND_BIN, "--se", se.empty() ? "emu:" + file("se") : se, "--json", "connect"};
        argv.insert(argv.end(), args.begin(), args.end());
        if (std::find(args.begin(), args.end(), "--timeout-ms") == args.end()) argv.insert(argv.end(), {"--timeout-ms", "5000"});
        return run(argv);
    }

    /// mosquitto with the development configuration on a fresh port; TLS 1.3 allowed as well, and
    /// the factory CA added so the slot-0 identity is accepted too.
    void start_broker() {
        port = test::free_port();
        std::string conf = test::read_text(file("pki/mosquitto.conf"));
        conf = std::regex_replace(conf, std::regex("\nlistener [0-9]+ "), "\nlistener " + std::to_string(port) + " ");
        conf = std::regex_replace(conf, std::regex("\ntls_version [^\n]*"), "");
        conf = std::regex_replace(conf, std::regex("\ncafile [^\n]*"), "\ncafile " + file("clients-ca.pem"));
        test::write_file(scratch.file("mosquitto.conf"), conf);
        broker = std::make_unique<test::Peer>(std::vector<std::string>{"mosquitto", "-c", scratch.file("mosquitto.conf")});
        ASSERT_TRUE(broker->wait_for(" running")) << broker->output();
    }

    /// mosquitto_sub as the monitor identity; ready once its SUBACK is logged.
    std::unique_ptr<test::Peer> subscribe(const std::string& topic) {
        auto p = std::make_unique<test::Peer>(std::vector<std::string>{
            "stdbuf", "-oL", "mosquitto_sub", "-h", "localhost", "-p", std::to_string(port), "--cafile", file("pki/ca.pem"), "--cert",
            file("pki/monitor.pem"), "--key", file("pki/monitor.key"), "-t", topic, "-v", "-d"});
        EXPECT_TRUE(p->wait_for("SUBACK")) << p->output() << broker->output();
        return p;
    }

    /// A CA and a server certificate for localhost signed by it; `key_spec` as for `openssl req
    /// -newkey` ("ec" takes `curve`). Returns the CA file for --ca.
    std::string server_pki(const std::string& key_spec, const std::string& curve = "P-256") {
        const auto ok = [](const test::RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.output; };
        ok(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", scratch.file("sca.key"),
                "-out", scratch.file("sca.pem"), "-subj", "/CN=test server CA", "-days", "30"}));
        std::vector<std::string> req = {"openssl", "req", "-newkey", key_spec, "-nodes", "-keyout", scratch.file("srv.key"),
                                        "-out", scratch.file("srv.csr"), "-subj", "/CN=localhost"};
        if (key_spec == "ec") req.insert(req.begin() + 4, {"-pkeyopt", "ec_paramgen_curve:" + curve});
        ok(run(req));
        test::write_file(scratch.file("san.ext"), std::string("subjectAltName=DNS:localhost\n"));
        ok(run({"openssl", "x509", "-req", "-in", scratch.file("srv.csr"), "-CA", scratch.file("sca.pem"), "-CAkey", scratch.file("sca.key"),
                "-CAcreateserial", "-days", "30", "-extfile", scratch.file("san.ext"), "-out", scratch.file("srv.pem")}));
        return scratch.file("sca.pem");
    }

    /// openssl s_server demanding a client certificate from our CAs, on a fresh port.
    std::unique_ptr<test::Peer> s_server(const std::vector<std::string>& extra, int naccept = 1) {
        port = test::free_port();
        std::vector<std::string> args = {"openssl", "s_server", "-accept", std::to_string(port), "-naccept", std::to_string(naccept),
                                         "-cert", scratch.file("srv.pem"), "-key", scratch.file("srv.key"), "-CAfile",
                                         file("clients-ca.pem"), "-Verify", "1", "-verify_return_error"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto p = std::make_unique<test::Peer>(args);
        EXPECT_TRUE(p->wait_for("ACCEPT")) << p->output();
        return p;
    }

    static json report(const test::RunResult& r) {
        json j = json::parse(r.output, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r.output;
        return j.is_discarded() ? json::object() : j;
    }

    inline static test::TempDir* shared = nullptr;
    test::TempDir scratch;
    int port = 0;
    std::unique_ptr<test::Peer> broker;
};

struct Identity {
    const char* name;
    const char* slot;
    const std::string& cn;
};
const Identity kSlot0{"slot0_p256", "0", kFactoryCn};
const Identity kSlot1{"slot1_p384", "1", kDeviceCn};

void PrintTo(const Stack& s, std::ostream* os) { *os << s.name; }
void PrintTo(const Identity& i, std::ostream* os) { *os << i.name; }

class ConnectToMosquitto : public ConnectCli, public ::testing::WithParamInterface<std::tuple<Stack, Identity>> {};

TEST_P(ConnectToMosquitto, PublishesReachesTheSubscriberUnderItsCnAndResumes) {
    const auto& [stack, id] = GetParam();
    start_broker();
    auto sub = subscribe("devices/+/telemetry");
    const std::string text = std::string("hello from ") + stack.name + " " + id.name;
    std::vector<std::string> args = {"--port", std::to_string(port), "--ca", file("pki/ca.pem"), "--slot", id.slot,
                                     "--publish", text, "--reconnect", "1"};
    args.insert(args.end(), stack.args.begin(), stack.args.end());
    const auto r = connect(args);
    ASSERT_EQ(r.exit_code, 0) << r.output << broker->output();

    const json j = report(r);
    ASSERT_EQ(j["connections"].size(), 2u) << r.output;
    const json& full = j["connections"][0];
    EXPECT_EQ(full["protocol"], stack.protocol);
    EXPECT_FALSE(full["resumed"].get<bool>());
    EXPECT_EQ(full["chip_signatures"], 1);
    EXPECT_EQ(full["mqtt"]["connack"], "accepted");
    EXPECT_EQ(full["mqtt"]["client_id"], id.cn);
    EXPECT_EQ(full["mqtt"]["published"], 1);
    EXPECT_EQ(full["server"]["subject"].get<std::string>().find("CN=localhost") != std::string::npos ||
                  full["server"]["subject"].get<std::string>().find("localhost") != std::string::npos,
              true)
        << full.dump();
    const json& again = j["connections"][1];
    EXPECT_TRUE(again["resumed"].get<bool>()) << again.dump();
    EXPECT_EQ(again["chip_signatures"], 0);

    EXPECT_TRUE(sub->wait_for("devices/" + id.cn + "/telemetry " + text)) << sub->output();
    EXPECT_TRUE(broker->wait_for("u'" + id.cn + "'")) << broker->output();  // the CN is the username
}

INSTANTIATE_TEST_SUITE_P(StacksAndSlots, ConnectToMosquitto,
                         ::testing::Combine(::testing::Values(kMbedtls, kWolfssl12, kWolfssl13), ::testing::Values(kSlot0, kSlot1)),
                         [](const auto& p) {
                             return std::string(std::get<0>(p.param).name) + "_" + std::get<1>(p.param).name;
                         });

struct ServerCase {
    const char* name;
    std::string curve;
    std::vector<std::string> server_args;
    Stack stack;
    Identity id;
    const char* suite;  // a piece of the negotiated suite's name
};

void PrintTo(const ServerCase& c, std::ostream* os) { *os << c.name; }

class ConnectToSServer : public ConnectCli, public ::testing::WithParamInterface<ServerCase> {};

TEST_P(ConnectToSServer, HandshakeWithTheChipKeyNoMqttAndAResumedReconnect) {
    const ServerCase& c = GetParam();
    const std::string ca = server_pki("ec", c.curve);
    auto server = s_server(c.server_args, 2);
    std::vector<std::string> args = {"--port", std::to_string(port), "--ca", ca, "--slot", c.id.slot, "--no-mqtt", "--reconnect", "1"};
    args.insert(args.end(), c.stack.args.begin(), c.stack.args.end());
    const auto r = connect(args);
    ASSERT_EQ(r.exit_code, 0) << r.output << server->output();
    const json j = report(r);
    ASSERT_EQ(j["connections"].size(), 2u) << r.output;
    const json conn = j["connections"][0];
    EXPECT_EQ(conn["protocol"], c.stack.protocol);
    EXPECT_NE(conn["ciphersuite"].get<std::string>().find(c.suite), std::string::npos) << conn.dump();
    EXPECT_EQ(conn["chip_signatures"], 1);
    EXPECT_FALSE(conn.contains("mqtt"));
    // The second connection resumes, TLS 1.3 too (its ticket came after the first handshake).
    EXPECT_TRUE(j["connections"][1]["resumed"].get<bool>()) << r.output;
    EXPECT_EQ(j["connections"][1]["chip_signatures"], 0);
    // s_server printed the client certificate it verified: ours, from the chip's zone.
    EXPECT_TRUE(server->wait_for(c.id.cn)) << server->output();
}

// The seed's exact set-up (P-384 server, ECDHE-ECDSA-AES256-GCM-SHA384) with the P-384 key; P-256
// with AES-128; TLS 1.3 through wolfSSL.
INSTANTIATE_TEST_SUITE_P(
    Servers, ConnectToSServer,
    ::testing::Values(
        ServerCase{"p384_aes256_mbedtls", "P-384", {"-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-no_tls1_3"}, kMbedtls, kSlot1, "AES-256-GCM-SHA384"},
        ServerCase{"p384_aes256_wolfssl", "P-384", {"-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-no_tls1_3"}, kWolfssl12, kSlot1, "AES256-GCM-SHA384"},
        ServerCase{"p256_aes128_mbedtls", "P-256", {"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-no_tls1_3"}, kMbedtls, kSlot0, "AES-128-GCM-SHA256"},
        ServerCase{"p256_aes128_wolfssl", "P-256", {"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-no_tls1_3"}, kWolfssl12, kSlot0, "AES128-GCM-SHA256"},
        ServerCase{"tls13_wolfssl_slot1", "P-384", {"-tls1_3"}, kWolfssl13, kSlot1, "TLS13"},
        ServerCase{"tls13_wolfssl_slot0", "P-256", {"-tls1_3"}, kWolfssl13, kSlot0, "TLS13"}),
    [](const auto& p) { return std::string(p.param.name); });

/// One failure: the exit code and a piece of the single line on stderr.
void expect_failure(const test::RunResult& r, int code, const std::string& piece) {
    EXPECT_EQ(r.exit_code, code) << r.output;
    EXPECT_NE(r.output.find(piece), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("sebind: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(" — "), std::string::npos) << "no fix in: " << r.output;  // cause — fix
}

TEST_F(ConnectCli, WrongCaHostnameAndNobodyListening) {
    start_broker();
    const std::string p = std::to_string(port);
    expect_failure(connect({"--port", p, "--ca", file("se/factory-ca.pem")}), 23, "(issuer CN=sebind development CA");
    expect_failure(connect({"--port", p, "--ca", file("pki/ca.pem"), "--host", "127.0.0.1"}), 24, "DNS name");
    expect_failure(connect({"--port", p, "--ca", file("se/factory-ca.pem"), "--stack", "wolfssl"}), 23, "");
    broker.reset();
    expect_failure(connect({"--port", std::to_string(test::free_port()), "--ca", file("pki/ca.pem")}), 20, "");
    // A broker whose packets are dropped: the connect gives up at --timeout-ms, with either stack.
    test::UnansweredPort dropped;
    ASSERT_GT(dropped.port(), 0);
    const std::string d = std::to_string(dropped.port());
    for (const std::string stack : {"mbedtls", "wolfssl"})
        expect_failure(connect({"--port", d, "--host", "127.0.0.1", "--ca", file("pki/ca.pem"), "--timeout-ms", "300", "--stack", stack}),
                       22, "no TCP answer from 127.0.0.1:" + d + " within 300 ms");
}

TEST_F(ConnectCli, AServerThatDribblesTheHandshakeMeetsOneDeadlineNotOnePerRead) {
    // One byte a second: no single read ever waits 2 s, so only a deadline for the whole connect
    // (TCP + TLS + CONNACK) ends it, on either stack.
    test::DribblingServer slow(1000);
    ASSERT_GT(slow.port(), 0);
    for (const std::string stack : {"mbedtls", "wolfssl"}) {
        SCOPED_TRACE(stack);
        const auto started = std::chrono::steady_clock::now();
        const auto r = connect({"--port", std::to_string(slow.port()), "--host", "127.0.0.1", "--ca", file("pki/ca.pem"), "--timeout-ms",
                                "2000", "--stack", stack});
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        expect_failure(r, 22, "within 2000 ms");
        EXPECT_GE(ms, 2000);
        EXPECT_LT(ms, 4000) << "the handshake outlived --timeout-ms";
    }
    EXPECT_EQ(slow.connections(), 2);
}

TEST_F(ConnectCli, AnOverLongClientIdIsRefusedBeforeConnecting) {
    // Port 1: a connection attempt would fail with 20; the id is refused before any.
    const auto r = connect({"--port", "1", "--ca", file("pki/ca.pem"), "--client-id", std::string(65535, 'c')});
    expect_failure(r, 8, "--client-id is 65535 bytes, more than the 256 sebind sends");
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(ConnectCli, ExpiredServerCertificate) {
    // Valid only in January 2020: `openssl ca` can back-date, `x509 -req` cannot.
    const auto ok = [](const test::RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.output; };
    server_pki("ec");
    ok(test::openssl_ca_sign(scratch.file("ca-db"), scratch.file("sca.pem"), scratch.file("sca.key"), scratch.file("srv.csr"),
                             scratch.file("srv.pem"), "20200101000000Z", "20200201000000Z"));
    auto server = s_server({"-no_tls1_3"}, 2);
    for (const auto& stack : {kMbedtls, kWolfssl12}) {
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", scratch.file("sca.pem"), "--no-mqtt"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        expect_failure(connect(args), 25, "outside its validity (until 2020-02-01");
    }
}

TEST_F(ConnectCli, RsaOnlyServerAndAMissingSuite) {
    std::string ca = server_pki("rsa:2048");
    {
        auto rsa = s_server({"-no_tls1_3"}, 2);  // the diagnosis probes with a second connection
        expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--no-mqtt"}), 26, "RSA");
    }
    ca = server_pki("ec");
    auto ccm = s_server({"-cipher", "ECDHE-ECDSA-AES256-CCM8", "-no_tls1_3"}, 2);
    expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--no-mqtt"}), 27, "");
}

TEST_F(ConnectCli, KeyThatIsNotTheCertificatesIsRefusedByTheServer) {
    // A second chip whose slot 1 holds a P-256 key, sent with zone 0's certificate (slot 0's key,
    // also P-256): the server sees a CertificateVerify that does not verify and refuses us.
    const std::string se = "emu:" + scratch.file("se2");
    ASSERT_EQ(run({SEBIND_BIN, "--se", se, "emu", "init", scratch.file("se2")}).exit_code, 0);
    ASSERT_EQ(run({SEBIND_BIN, "--se", se, "keygen", "--slot", "1", "--curve", "p256", "-o", scratch.file("k.pem")}).exit_code, 0);
    const std::string ca = server_pki("ec");
    auto server = s_server({"-no_tls1_3"});
    expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--no-mqtt", "--slot", "1", "--zone", "0"}, se), 28,
                   "run `sebind verify-pair`");
    // Slot 1 of the fixture's chip is P-384: against a P-256 certificate that is known before any
    // connection.
    expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--no-mqtt", "--slot", "1", "--zone", "0"}), 9,
                   "slot 1's key is on another curve than the certificate in zone 0");
}

TEST_F(ConnectCli, AChipThatStopsAnsweringIsNotATlsFailure) {
    // The chip behind sebind-emud NACKs every transfer: the driver gives up after its retries.
    const std::string socket = scratch.file("emud.sock");
    test::Peer emud({SEBIND_EMUD_BIN, "--socket", socket, "--no-persist", "--faults", "nack=1,nacklen=1000", file("se")});
    ASSERT_TRUE(emud.wait_for("serving")) << emud.output();
    start_broker();
    expect_failure(connect({"--port", std::to_string(port), "--ca", file("pki/ca.pem")}, "emud:" + socket), 4, "");
}

TEST_F(ConnectCli, PlainTlsServerWithoutNoMqttAndUsageMistakes) {
    const std::string ca = server_pki("ec");
    auto server = s_server({"-no_tls1_3"});
    expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--timeout-ms", "300"}), 30, "--no-mqtt for plain TLS servers");
    const auto r = connect({"--port", "1", "--ca", ca, "--tls", "1.3"});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--stack wolfssl"), std::string::npos) << r.output;
}

}  // namespace
