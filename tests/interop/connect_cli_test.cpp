// SPDX-License-Identifier: Apache-2.0
// `sebind connect` as a user runs it, against real peers on 127.0.0.1: mosquitto 2.0 from `sebind
// pki dev` (require_certificate, CN as username, ACL by CN) and `openssl s_server -Verify 1
// -verify_return_error`. Each stack (mbedTLS; wolfSSL with TLS 1.2 and 1.3) with the factory
// slot-0 P-256 key and a provisioned slot-1 P-384 key; then every failure with its exit code and
// its one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "host_name_cases.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/emud/daemon.hpp"
#include "sebind/tls/host_name.hpp"

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
    friend std::vector<std::string> fail_on_each(ConnectCli& t, const std::vector<Stack>& stacks,
                                                 const std::vector<std::string>& server_args,
                                                 const std::string& client_ca, const std::vector<std::string>& args,
                                                 int code, const std::string& piece);

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
        sebind(
            {"csr", "--slot", "1", "--subject", "CN=" + kDeviceCn + ",O=sebind test", "-o", shared->file("dev.csr")});
        sebind({"pki", "sign", "--ca", shared->file("pki"), shared->file("dev.csr"), "-o", shared->file("dev.crt")});
        sebind({"cert", "store", "--slot", "1", shared->file("dev.crt")});
        // Servers trust both issuers: the development CA (slot 1) and the chip's factory CA (slot 0).
        test::write_file(shared->file("clients-ca.pem"), test::read_text(shared->file("pki/ca.pem")) +
                                                             test::read_text(shared->file("se/factory-ca.pem")));
    }
    static void TearDownTestSuite() {
        delete shared;
        shared = nullptr;
    }

    std::string file(const std::string& name) const { return shared->file(name); }

    /// `sebind --json connect ...` on the emulated chip.
    test::RunResult connect(const std::vector<std::string>& args, const std::string& se = "") const {
        std::vector<std::string> argv = {SEBIND_BIN, "--se", se.empty() ? "emu:" + file("se") : se, "--json",
                                         "connect"};
        argv.insert(argv.end(), args.begin(), args.end());
        if (std::find(args.begin(), args.end(), "--timeout-ms") == args.end())
            argv.insert(argv.end(), {"--timeout-ms", "5000"});
        return run(argv);
    }

    /// mosquitto with the development configuration on a fresh port; TLS 1.3 allowed as well, and
    /// the factory CA added so the slot-0 identity is accepted too. `cert`/`key`: another server
    /// certificate (PEM, leaf first) and its key; `client_ca`: another cafile for the devices.
    void start_broker(const std::string& cert = "", const std::string& key = "", const std::string& client_ca = "") {
        port = test::free_port();
        std::string conf = test::read_text(file("pki/mosquitto.conf"));
        conf = std::regex_replace(conf, std::regex("\nlistener [0-9]+ "), "\nlistener " + std::to_string(port) + " ");
        conf = std::regex_replace(conf, std::regex("\ntls_version [^\n]*"), "");
        conf = std::regex_replace(conf, std::regex("\ncafile [^\n]*"),
                                  "\ncafile " + (client_ca.empty() ? file("clients-ca.pem") : client_ca));
        if (!cert.empty()) conf = std::regex_replace(conf, std::regex("\ncertfile [^\n]*"), "\ncertfile " + cert);
        if (!key.empty()) conf = std::regex_replace(conf, std::regex("\nkeyfile [^\n]*"), "\nkeyfile " + key);
        test::write_file(scratch.file("mosquitto.conf"), conf);
        broker = std::make_unique<test::Peer>(
            std::vector<std::string>{"mosquitto", "-c", scratch.file("mosquitto.conf")});
        ASSERT_TRUE(broker->wait_for(" running")) << broker->output();
    }

    /// mosquitto_sub as the monitor identity; ready once its SUBACK is logged. `server_ca`: the
    /// broker's CA when it is not the development CA.
    std::unique_ptr<test::Peer> subscribe(const std::string& topic, const std::string& server_ca = "") {
        auto p = std::make_unique<test::Peer>(std::vector<std::string>{
            "stdbuf", "-oL", "mosquitto_sub", "-h", "localhost", "-p", std::to_string(port), "--cafile",
            server_ca.empty() ? file("pki/ca.pem") : server_ca, "--cert", file("pki/monitor.pem"), "--key",
            file("pki/monitor.key"), "-t", topic, "-v", "-d"});
        EXPECT_TRUE(p->wait_for("SUBACK")) << p->output() << broker->output();
        return p;
    }

    /// A CA and a server certificate for localhost signed by it; `key_spec` as for `openssl req
    /// -newkey` ("ec" takes `curve`). Returns the CA file for --ca.
    /// The CA's key is P-256, or RSA with an RSA server key.
    std::string server_pki(const std::string& key_spec, const std::string& curve = "P-256") {
        const auto ok = [](const test::RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.output; };
        std::vector<std::string> ca = {"openssl",
                                       "req",
                                       "-x509",
                                       "-newkey",
                                       "ec",
                                       "-pkeyopt",
                                       "ec_paramgen_curve:P-256",
                                       "-nodes",
                                       "-keyout",
                                       scratch.file("sca.key"),
                                       "-out",
                                       scratch.file("sca.pem"),
                                       "-subj",
                                       "/CN=test server CA",
                                       "-days",
                                       "30"};
        if (key_spec != "ec") ca.erase(ca.begin() + 4, ca.begin() + 7), ca.insert(ca.begin() + 4, key_spec);
        ok(run(ca));
        std::vector<std::string> req = {"openssl",
                                        "req",
                                        "-newkey",
                                        key_spec,
                                        "-nodes",
                                        "-keyout",
                                        scratch.file("srv.key"),
                                        "-out",
                                        scratch.file("srv.csr"),
                                        "-subj",
                                        "/CN=localhost"};
        if (key_spec == "ec") req.insert(req.begin() + 4, {"-pkeyopt", "ec_paramgen_curve:" + curve});
        ok(run(req));
        test::write_file(scratch.file("san.ext"), std::string("subjectAltName=DNS:localhost\n"));
        ok(run({"openssl", "x509", "-req", "-in", scratch.file("srv.csr"), "-CA", scratch.file("sca.pem"), "-CAkey",
                scratch.file("sca.key"), "-CAcreateserial", "-days", "30", "-extfile", scratch.file("san.ext"), "-out",
                scratch.file("srv.pem")}));
        return scratch.file("sca.pem");
    }

    /// openssl s_server demanding a client certificate from `client_ca` (default: our CAs), on a
    /// fresh port.
    std::unique_ptr<test::Peer> s_server(const std::vector<std::string>& extra, int naccept = 1,
                                         const std::string& client_ca = "") {
        port = test::free_port();
        std::vector<std::string> args = {"openssl",
                                         "s_server",
                                         "-accept",
                                         std::to_string(port),
                                         "-naccept",
                                         std::to_string(naccept),
                                         "-cert",
                                         scratch.file("srv.pem"),
                                         "-key",
                                         scratch.file("srv.key"),
                                         "-CAfile",
                                         client_ca.empty() ? file("clients-ca.pem") : client_ca,
                                         "-Verify",
                                         "1",
                                         "-verify_return_error"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto p = std::make_unique<test::Peer>(args);
        EXPECT_TRUE(p->wait_for("ACCEPT")) << p->output();
        return p;
    }

    /// sebind-emud serving the suite's chip (changes kept in memory) and a control connection to
    /// it: the chip's own counters, not what `sebind connect` reports about itself.
    struct Emud {
        std::string socket;
        std::unique_ptr<test::Peer> process;
        std::unique_ptr<port_linux::DaemonControl> control;
        std::string uri() const { return "emud:" + socket; }
        std::uint64_t signatures() {
            auto s = control ? control->stats() : Result<emu::ChipStats>(Errc::communication_failure);
            EXPECT_TRUE(s) << process->output();
            return s ? s->signatures : 0;
        }
    };
    Emud serve_chip() {
        Emud e;
        e.socket = scratch.file("emud.sock");
        e.process = std::make_unique<test::Peer>(
            std::vector<std::string>{SEBIND_EMUD_BIN, "--socket", e.socket, "--no-persist", file("se")});
        EXPECT_TRUE(e.process->wait_for("serving")) << e.process->output();
        std::string why;
        auto control = port_linux::DaemonControl::connect(e.socket, "", &why);
        EXPECT_TRUE(control) << why;
        if (control) e.control = std::move(*control);
        return e;
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
    std::vector<std::string> args = {"--port", std::to_string(port), "--ca", file("pki/ca.pem"), "--slot",
                                     id.slot,  "--publish",          text,   "--reconnect",      "1"};
    args.insert(args.end(), stack.args.begin(), stack.args.end());
    auto emud = serve_chip();
    const auto signatures = emud.signatures();
    const auto r = connect(args, emud.uri());
    ASSERT_EQ(r.exit_code, 0) << r.output << broker->output();
    // Two connections the broker accepted (each with a client certificate) and one chip signature
    // in all, counted by the chip: the second was resumed.
    EXPECT_EQ(emud.signatures() - signatures, 1u);

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
                         ::testing::Combine(::testing::Values(kMbedtls, kWolfssl12, kWolfssl13),
                                            ::testing::Values(kSlot0, kSlot1)),
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
    std::vector<std::string> args = {"--port",  std::to_string(port), "--ca",        ca, "--slot",
                                     c.id.slot, "--no-mqtt",          "--reconnect", "1"};
    args.insert(args.end(), c.stack.args.begin(), c.stack.args.end());
    auto emud = serve_chip();
    const auto signatures = emud.signatures();
    const auto r = connect(args, emud.uri());
    ASSERT_EQ(r.exit_code, 0) << r.output << server->output();
    EXPECT_EQ(emud.signatures() - signatures, 1u);  // counted by the chip
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
    // And by its own account it resumed the second connection.
    EXPECT_EQ(server->wait_exit(), 0) << server->output();
    EXPECT_EQ(server->count_lines("Reused session-id"), 1u) << server->output();
}

// The seed's exact set-up (P-384 server, ECDHE-ECDSA-AES256-GCM-SHA384) with the P-384 key; P-256
// with AES-128; TLS 1.3 through wolfSSL.
INSTANTIATE_TEST_SUITE_P(
    Servers, ConnectToSServer,
    ::testing::Values(ServerCase{"p384_aes256_mbedtls",
                                 "P-384",
                                 {"-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-no_tls1_3"},
                                 kMbedtls,
                                 kSlot1,
                                 "AES-256-GCM-SHA384"},
                      ServerCase{"p384_aes256_wolfssl",
                                 "P-384",
                                 {"-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-no_tls1_3"},
                                 kWolfssl12,
                                 kSlot1,
                                 "AES256-GCM-SHA384"},
                      ServerCase{"p256_aes128_mbedtls",
                                 "P-256",
                                 {"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-no_tls1_3"},
                                 kMbedtls,
                                 kSlot0,
                                 "AES-128-GCM-SHA256"},
                      ServerCase{"p256_aes128_wolfssl",
                                 "P-256",
                                 {"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-no_tls1_3"},
                                 kWolfssl12,
                                 kSlot0,
                                 "AES128-GCM-SHA256"},
                      ServerCase{"tls13_wolfssl_slot1", "P-384", {"-tls1_3"}, kWolfssl13, kSlot1, "TLS13"},
                      ServerCase{"tls13_wolfssl_slot0", "P-256", {"-tls1_3"}, kWolfssl13, kSlot0, "TLS13"}),
    [](const auto& p) { return std::string(p.param.name); });

/// The stderr line of a failed `sebind connect` (the one line it prints), as "sebind: <message>"
/// also when it came as the --json failure line.
std::string failure_line(const test::RunResult& r) {
    const json j = json::parse(r.output, nullptr, false);
    if (j.is_object() && j.contains("error")) return "sebind: " + j["error"].value("message", std::string());
    const std::size_t at = r.output.find("sebind: ");
    return at == std::string::npos ? r.output : r.output.substr(at, r.output.find('\n', at) - at);
}

/// One failure: the exit code and a piece of the single line on stderr ("sebind: <cause> — <fix>",
/// which is {"error":{"exit":N,"class":"...","message":"..."}} under --json).
void expect_failure(const test::RunResult& r, int code, const std::string& piece) {
    EXPECT_EQ(r.exit_code, code) << r.output;
    const json j = json::parse(r.output, nullptr, false);
    if (j.is_object() && j.contains("error")) {
        EXPECT_EQ(j["error"]["exit"], code) << r.output;
    }
    const std::string line = failure_line(r);
    EXPECT_NE(line.find(piece), std::string::npos) << r.output;
    EXPECT_NE(line.find(" — "), std::string::npos) << "no fix in: " << r.output;  // cause — fix
}

TEST_F(ConnectCli, WrongCaHostnameAndNobodyListening) {
    start_broker();
    const std::string p = std::to_string(port);
    expect_failure(connect({"--port", p, "--ca", file("se/factory-ca.pem")}), 23, "(issuer CN=sebind development CA");
    // The broker's certificate (sebind pki dev) lists DNS:localhost and IP:127.0.0.1: by that address
    // both stacks accept it; another address or name is refused alike (the rule of tls/host_name.hpp).
    for (const auto& stack : {kMbedtls, kWolfssl12, kWolfssl13}) {
        std::vector<std::string> args = {"--port", p, "--ca", file("pki/ca.pem"), "--host", "127.0.0.1"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        const auto by_ip = connect(args);
        EXPECT_EQ(by_ip.exit_code, 0) << stack.name << ": " << by_ip.output;
        args[5] = "127.0.0.2";
        args.insert(args.end(), {"--connect-to", "127.0.0.1"});
        expect_failure(connect(args), 24,
                       "sebind: the server's certificate is not issued for '127.0.0.2' — connect by a DNS name");
    }
    expect_failure(connect({"--port", p, "--ca", file("se/factory-ca.pem"), "--stack", "wolfssl"}), 23, "");
    broker.reset();
    expect_failure(connect({"--port", std::to_string(test::free_port()), "--ca", file("pki/ca.pem")}), 20, "");
    // A broker whose packets are dropped: the connect gives up at --timeout-ms, with either stack.
    test::UnansweredPort dropped;
    ASSERT_GT(dropped.port(), 0);
    const std::string d = std::to_string(dropped.port());
    for (const std::string stack : {"mbedtls", "wolfssl"})
        expect_failure(connect({"--port", d, "--host", "127.0.0.1", "--ca", file("pki/ca.pem"), "--timeout-ms", "300",
                                "--stack", stack}),
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
        const auto r = connect({"--port", std::to_string(slow.port()), "--host", "127.0.0.1", "--ca",
                                file("pki/ca.pem"), "--timeout-ms", "2000", "--stack", stack});
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
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
    ok(test::openssl_ca_sign(scratch.file("ca-db"), scratch.file("sca.pem"), scratch.file("sca.key"),
                             scratch.file("srv.csr"), scratch.file("srv.pem"), "20200101000000Z", "20200201000000Z"));
    auto server = s_server({"-no_tls1_3"}, 2);
    for (const auto& stack : {kMbedtls, kWolfssl12}) {
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", scratch.file("sca.pem"), "--no-mqtt"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        expect_failure(connect(args), 25, "outside its validity (until 2020-02-01");
    }
}

TEST_F(ConnectCli, RsaCertifiedServerStaticRsaOnlyServerAndAMissingSuite) {
    // A server certificate from an RSA CA: ECDHE-RSA in TLS 1.2 on both stacks, TLS 1.3 on wolfSSL;
    // the chip signs once.
    std::string ca = server_pki("rsa:2048");
    const std::vector<std::pair<Stack, std::vector<std::string>>> cases = {
        {kMbedtls, {"-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-no_tls1_3"}},
        {kMbedtls, {"-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-no_tls1_3"}},
        {kWolfssl12, {"-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-no_tls1_3"}},
        {kWolfssl12, {"-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-no_tls1_3"}},
        {kWolfssl13, {"-tls1_3"}}};
    for (const auto& [stack, server_args] : cases) {
        auto server = s_server(server_args);
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", ca, "--no-mqtt", "--slot", "0"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        const auto r = connect(args);
        ASSERT_EQ(r.exit_code, 0) << stack.name << " " << server_args[1] << ": " << r.output << server->output();
        const json conn = report(r)["connections"][0];
        EXPECT_EQ(conn["protocol"], stack.protocol);
        if (std::string(stack.protocol) == "TLSv1.2") {
            const std::string aes = server_args[1].find("AES128") != std::string::npos ? "128" : "256";
            EXPECT_NE(conn["ciphersuite"].get<std::string>().find("RSA"), std::string::npos) << conn.dump();
            EXPECT_NE(conn["ciphersuite"].get<std::string>().find(aes), std::string::npos) << conn.dump();
        }
        EXPECT_EQ(conn["chip_signatures"], 1);
        EXPECT_TRUE(server->wait_for(kFactoryCn)) << server->output();
    }
    // Static RSA key exchange only (no ECDHE): refused with its own line, on both stacks.
    for (const auto& stack : {kMbedtls, kWolfssl12}) {
        auto server = s_server({"-cipher", "AES128-GCM-SHA256", "-no_tls1_3"}, 3);  // the diagnosis probes the server
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", ca, "--no-mqtt"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        expect_failure(connect(args), 26, "the server offers only RSA key exchange without forward secrecy");
    }
    ca = server_pki("ec");
    auto ccm = s_server({"-cipher", "ECDHE-ECDSA-AES256-CCM8", "-no_tls1_3"}, 2);
    expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--no-mqtt"}), 27, "");
}

TEST_F(ConnectCli, MosquittoWithAnRsaCertificateAcceptsTheDevice) {
    const std::string ca = server_pki("rsa:2048");
    start_broker(scratch.file("srv.pem"), scratch.file("srv.key"));
    auto sub = subscribe("devices/+/telemetry", ca);
    for (const auto& stack : {kMbedtls, kWolfssl12, kWolfssl13}) {
        const std::string text = std::string("rsa broker, ") + stack.name;
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", ca, "--publish", text};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        const auto r = connect(args);
        ASSERT_EQ(r.exit_code, 0) << r.output << broker->output();
        const json conn = report(r)["connections"][0];
        EXPECT_EQ(conn["protocol"], stack.protocol);
        EXPECT_EQ(conn["chip_signatures"], 1);
        EXPECT_TRUE(sub->wait_for("devices/" + kDeviceCn + "/telemetry " + text)) << sub->output();
    }
}

TEST_F(ConnectCli, AlpnIsOfferedAndTheServersChoiceReported) {
    const std::string ca = server_pki("ec");
    for (const auto& stack : {kMbedtls, kWolfssl12, kWolfssl13}) {
        SCOPED_TRACE(stack.name);
        auto server = s_server({"-alpn", "x-amzn-mqtt-ca"});
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", ca, "--no-mqtt", "--alpn", "mqtt",
                                         "--alpn", "x-amzn-mqtt-ca"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        const auto r = connect(args);
        ASSERT_EQ(r.exit_code, 0) << r.output << server->output();
        EXPECT_EQ(report(r)["connections"][0]["alpn"], "x-amzn-mqtt-ca") << r.output;
        EXPECT_TRUE(server->wait_for("ALPN protocols advertised by the client: mqtt, x-amzn-mqtt-ca"))
            << server->output();
        // A server that knows none of ours refuses the handshake: said so, naming what we offered.
        auto refusing = s_server({"-alpn", "x-amzn-mqtt-ca"});
        args = {"--port", std::to_string(port), "--ca", ca, "--no-mqtt", "--alpn", "mqtt"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        expect_failure(connect(args), 29, "the server accepts none of the offered ALPN protocols (mqtt)");
    }
    // Without --alpn nothing is offered and nothing reported.
    auto plain = s_server({"-alpn", "x-amzn-mqtt-ca", "-no_tls1_3"});
    const auto r = connect({"--port", std::to_string(port), "--ca", ca, "--no-mqtt"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(report(r)["connections"][0]["alpn"], "") << r.output;
}

TEST_F(ConnectCli, MosquittoAndOpensslStyleOptions) {
    // -h HOST -p PORT --cafile CA, as mosquitto_pub takes them; help stays at --help.
    start_broker();
    const auto r = connect({"-h", "localhost", "-p", std::to_string(port), "--cafile", file("pki/ca.pem")});
    ASSERT_EQ(r.exit_code, 0) << r.output << broker->output();
    EXPECT_EQ(report(r)["connections"][0]["mqtt"]["connack"], "accepted") << r.output;
    const auto help = run({SEBIND_BIN, "connect", "--help"});
    EXPECT_EQ(help.exit_code, 0) << help.output;
    EXPECT_NE(help.output.find("-h,--host"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("--ca,--cafile"), std::string::npos) << help.output;
    EXPECT_EQ(run({SEBIND_BIN, "--help"}).exit_code, 0);
}

TEST_F(ConnectCli, BadCaFilesAreNamedWithTheirFixOnBothStacks) {
    // Each refused before any connection (nothing listens on the port): exit 6 or 8, one line.
    ASSERT_EQ(::mkdir(scratch.file("ca-dir").c_str(), 0700), 0);
    test::write_file(scratch.file("text.pem"), std::string("not a certificate\n"));
    ASSERT_EQ(run({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", scratch.file("key.pem")}).exit_code,
              0);
    test::write_file(scratch.file("damaged.pem"),
                     std::string("-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n"));
    test::write_file(scratch.file("not-x509.pem"),
                     std::string("-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n"));
    test::write_file(scratch.file("huge.pem"), test::read_text(file("pki/ca.pem")) + std::string(1 << 20, '#'));
    struct Case {
        std::string path;
        int code;
        std::string reason;
    };
    const Case cases[] = {{scratch.file("missing.pem"), 6, "no such file"},
                          {scratch.file("ca-dir"), 8, "it is a directory"},
                          {scratch.file("text.pem"), 8, "not PEM"},
                          {scratch.file("key.pem"), 8, "no certificate in it"},
                          {scratch.file("damaged.pem"), 8, "certificate 1 in it is damaged"},
                          {scratch.file("not-x509.pem"), 8, "certificate 1 in it does not parse"},
                          {scratch.file("huge.pem"), 8, "larger than 1 MiB"}};
    const std::string nobody = std::to_string(test::free_port());
    for (const auto& c : cases)
        for (const std::string stack : {"mbedtls", "wolfssl"}) {
            SCOPED_TRACE(stack + " " + c.path);
            const auto r = connect({"--port", nobody, "--ca", c.path, "--stack", stack});
            expect_failure(r, c.code, "cannot read CA file " + c.path + ": " + c.reason);
            EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
        }
}

/// A root CA and an intermediate it issued (scratch root.pem/.key, int.pem/.key).
class ConnectThroughIntermediates : public ConnectCli {
protected:
    void SetUp() override {
        const auto r = test::openssl_root_and_intermediate(scratch.path(), "test");
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    /// A certificate for `csr` from the intermediate.
    void issue(const std::string& csr, const std::string& extensions, const std::string& out) {
        const auto r = test::openssl_issue(csr, scratch.file("int.pem"), scratch.file("int.key"), extensions, out);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
};

TEST_F(ConnectThroughIntermediates, ADeviceCertificateFromAnIntermediateGoesOutWithItsChain) {
    // A copy of the chip whose slot-1 certificate (zone 4) is now issued by the intermediate; the
    // broker trusts only the root (and the development CA, for the monitor).
    std::filesystem::copy(file("se"), scratch.file("se"), std::filesystem::copy_options::recursive);
    const std::string se = "emu:" + scratch.file("se");
    issue(file("dev.csr"),
          "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
          scratch.file("dev-int.crt"));
    const auto stored = run({SEBIND_BIN, "--se", se, "cert", "store", "--slot", "1", scratch.file("dev-int.crt")});
    ASSERT_EQ(stored.exit_code, 0) << stored.output;
    test::write_file(scratch.file("clients.pem"),
                     test::read_text(scratch.file("root.pem")) + test::read_text(file("pki/ca.pem")));
    start_broker("", "", scratch.file("clients.pem"));
    auto sub = subscribe("devices/+/telemetry");
    for (const auto& stack : {kMbedtls, kWolfssl12, kWolfssl13}) {
        const std::string text = std::string("through the intermediate, ") + stack.name;
        std::vector<std::string> args = {"--port",  std::to_string(port),    "--ca",      file("pki/ca.pem"),
                                         "--chain", scratch.file("int.pem"), "--publish", text};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        const auto r = connect(args, se);
        ASSERT_EQ(r.exit_code, 0) << r.output << broker->output();
        EXPECT_EQ(report(r)["connections"][0]["protocol"], stack.protocol);
        EXPECT_TRUE(sub->wait_for("devices/" + kDeviceCn + "/telemetry " + text)) << sub->output();
    }
    // Without the chain the broker cannot link the device to its root; a bad chain file is named.
    expect_failure(connect({"--port", std::to_string(port), "--ca", file("pki/ca.pem")}, se), 28, "--chain");
    expect_failure(
        connect({"--port", std::to_string(port), "--ca", file("pki/ca.pem"), "--chain", scratch.file("none.pem")}, se),
        6, "cannot read chain file " + scratch.file("none.pem") + ": no such file");
}

TEST_F(ConnectThroughIntermediates, ABrokerCertificateFromAnIntermediateVerifiesAgainstTheRoot) {
    // mosquitto sends its certificate and the intermediate; the device trusts only the root.
    ASSERT_EQ(run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                   scratch.file("broker.key"), "-out", scratch.file("broker.csr"), "-subj", "/CN=localhost"})
                  .exit_code,
              0);
    issue(scratch.file("broker.csr"), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
          scratch.file("broker.pem"));
    test::write_file(scratch.file("broker-chain.pem"),
                     test::read_text(scratch.file("broker.pem")) + test::read_text(scratch.file("int.pem")));
    start_broker(scratch.file("broker-chain.pem"), scratch.file("broker.key"));
    auto sub = subscribe("devices/+/telemetry", scratch.file("root.pem"));
    for (const auto& stack : {kMbedtls, kWolfssl12, kWolfssl13}) {
        const std::string text = std::string("to a broker under an intermediate, ") + stack.name;
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", scratch.file("root.pem"), "--publish",
                                         text};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        const auto r = connect(args);
        ASSERT_EQ(r.exit_code, 0) << r.output << broker->output();
        EXPECT_NE(report(r)["connections"][0]["server"]["issuer"].get<std::string>().find("test intermediate CA"),
                  std::string::npos)
            << r.output;
        EXPECT_TRUE(sub->wait_for("devices/" + kDeviceCn + "/telemetry " + text)) << sub->output();
    }
}

TEST_F(ConnectCli, KeyThatIsNotTheCertificatesIsRefusedByTheServer) {
    // A second chip whose slot 1 holds a P-256 key, sent with zone 0's certificate (slot 0's key,
    // also P-256): the server sees a CertificateVerify that does not verify and refuses us.
    const std::string se = "emu:" + scratch.file("se2");
    ASSERT_EQ(run({SEBIND_BIN, "--se", se, "emu", "init", scratch.file("se2")}).exit_code, 0);
    ASSERT_EQ(run({SEBIND_BIN, "--se", se, "keygen", "--slot", "1", "--curve", "p256", "-o", scratch.file("k.pem")})
                  .exit_code,
              0);
    const std::string ca = server_pki("ec");
    auto server = s_server({"-no_tls1_3"});
    expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--no-mqtt", "--slot", "1", "--zone", "0"}, se),
                   28, "run `sebind verify-pair`");
    // Slot 1 of the fixture's chip is P-384: against a P-256 certificate that is known before any
    // connection.
    expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--no-mqtt", "--slot", "1", "--zone", "0"}), 9,
                   "slot 1's key is on another curve than the certificate in zone 0");
}

TEST_F(ConnectCli, AChipThatStopsAnsweringIsNotATlsFailure) {
    // The chip behind sebind-emud NACKs every transfer: the driver gives up after its retries.
    const std::string socket = scratch.file("emud.sock");
    test::Peer emud(
        {SEBIND_EMUD_BIN, "--socket", socket, "--no-persist", "--faults", "nack=1,nacklen=1000", file("se")});
    ASSERT_TRUE(emud.wait_for("serving")) << emud.output();
    start_broker();
    expect_failure(connect({"--port", std::to_string(port), "--ca", file("pki/ca.pem")}, "emud:" + socket), 4, "");
}

TEST_F(ConnectCli, PlainTlsServerWithoutNoMqttAndUsageMistakes) {
    const std::string ca = server_pki("ec");
    auto server = s_server({"-no_tls1_3"});
    expect_failure(connect({"--port", std::to_string(port), "--ca", ca, "--timeout-ms", "300"}), 30,
                   "--no-mqtt for plain TLS servers");
    const auto r = connect({"--port", "1", "--ca", ca, "--tls", "1.3"});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--stack wolfssl"), std::string::npos) << r.output;
}

/// The host-name rule (tls/host_name.hpp) against both stacks, by name: s_server presents a
/// certificate with exactly the row's names, from the CA the client trusts; the client connects
/// to 127.0.0.1 and verifies the row's host. For a name, s_server presents that certificate
/// only when the ClientHello's SNI is the host (otherwise an untrusted decoy): a client that
/// stops sending SNI fails the accepted rows.
class HostNameRule : public ConnectCli, public ::testing::WithParamInterface<test::HostNameCase> {
protected:
    void certificates(const test::HostNameCase& c) {
        const auto ok = [](const test::RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.output; };
        ok(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                scratch.file("sca.key"), "-out", scratch.file("sca.pem"), "-subj", "/CN=host name CA", "-days", "30"}));
        ok(run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                scratch.file("row.key"), "-out", scratch.file("row.csr"), "-subj", std::string("/CN=") + c.cn}));
        test::write_file(scratch.file("row.ext"), std::string(*c.san ? "subjectAltName=" : "") + c.san + "\n");
        ok(run({"openssl", "x509", "-req", "-in", scratch.file("row.csr"), "-CA", scratch.file("sca.pem"), "-CAkey",
                scratch.file("sca.key"), "-CAcreateserial", "-days", "30", "-extfile", scratch.file("row.ext"), "-out",
                scratch.file("row.pem")}));
        ok(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                scratch.file("decoy.key"), "-out", scratch.file("decoy.pem"), "-subj", "/CN=decoy", "-addext",
                std::string("subjectAltName=DNS:") + c.host, "-days", "30"}));
    }
};

TEST_P(HostNameRule, BothStacksGiveTheTablesVerdictByName) {
    const auto& c = GetParam();
    certificates(c);
    if (HasFatalFailure()) return;
    const bool by_ip = tls::is_ip_literal(c.host);
    // s_server's default certificate (srv.pem): the row's for an IP literal (no SNI), else the decoy.
    for (const char* f : {"pem", "key"})
        test::write_file(scratch.file(std::string("srv.") + f),
                         test::read_text(scratch.file(std::string(by_ip ? "row." : "decoy.") + f)));
    std::vector<std::string> sni;
    if (!by_ip) sni = {"-servername", c.host, "-cert2", scratch.file("row.pem"), "-key2", scratch.file("row.key")};
    std::vector<std::string> lines;
    for (const auto& stack : {kMbedtls, kWolfssl12, kWolfssl13}) {
        auto server = s_server(sni);
        std::vector<std::string> args = {"--host",       c.host,
                                         "--connect-to", "127.0.0.1",
                                         "--port",       std::to_string(port),
                                         "--ca",         scratch.file("sca.pem"),
                                         "--slot",       "0",
                                         "--no-mqtt"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        const auto r = connect(args);
        if (c.accept) {
            EXPECT_EQ(r.exit_code, 0) << stack.name << ": " << r.output << server->output();
            EXPECT_EQ(report(r)["connections"][0]["protocol"], stack.protocol) << r.output;
        } else {
            EXPECT_EQ(r.exit_code, 24) << stack.name << ": " << r.output;
            lines.push_back(failure_line(r));
        }
    }
    for (const auto& line : lines)  // one diagnosis, word for word, whichever stack and version
        EXPECT_EQ(line, "sebind: the server's certificate is not issued for '" + std::string(c.host) +
                            "' — connect by a DNS name in its subjectAltName (or an IP address it lists as iPAddress)");
}

INSTANTIATE_TEST_SUITE_P(Table, HostNameRule, ::testing::ValuesIn(test::host_name_cases()),
                         [](const auto& p) { return std::string(p.param.name); });

/// The same failure from each of `stacks`: `connect` with `args` and the stack's options against a
/// fresh s_server (`server_args`, client certificates from `client_ca`) for each. Returns the lines.
std::vector<std::string> fail_on_each(ConnectCli& t, const std::vector<Stack>& stacks,
                                      const std::vector<std::string>& server_args, const std::string& client_ca,
                                      const std::vector<std::string>& args, int code, const std::string& piece) {
    std::vector<std::string> lines;
    for (const auto& stack : stacks) {
        auto server = t.s_server(server_args, 1, client_ca);
        std::vector<std::string> argv = {"--port", std::to_string(t.port)};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), stack.args.begin(), stack.args.end());
        const auto r = t.connect(argv);
        SCOPED_TRACE(stack.name);
        expect_failure(r, code, piece);
        lines.push_back(failure_line(r));
    }
    return lines;
}

TEST_F(ConnectCli, ServerRefusingOurCertificateIsExit28OnEveryStackAndVersion) {
    // The server trusts only the development CA; slot 0's certificate is from the chip's factory
    // CA. In TLS 1.3 the refusal comes after the client's Finished: connect must wait for it.
    const std::string ca = server_pki("ec");
    auto lines = fail_on_each(*this, {kMbedtls, kWolfssl12, kWolfssl13}, {}, file("pki/ca.pem"),
                              {"--ca", ca, "--slot", "0", "--no-mqtt"}, 28, "the server rejected our certificate");
    const auto with_mqtt = fail_on_each(*this, {kMbedtls, kWolfssl12, kWolfssl13}, {}, file("pki/ca.pem"),
                                        {"--ca", ca, "--slot", "0"}, 28, "the server rejected our certificate");
    lines.insert(lines.end(), with_mqtt.begin(), with_mqtt.end());
    for (const auto& line : lines)
        EXPECT_EQ(
            line,
            "sebind: the server rejected our certificate (alert unknown_ca) — run `sebind verify-pair`, and check the "
            "broker trusts the CA that issued the device certificate (one issued by an intermediate needs its chain: "
            "--chain, or chain_file in device.toml)");
}

TEST_F(ConnectCli, BrainpoolKeyRefusedByMosquittoIsNamedAsItsCurveOnEveryStack) {
    // mosquitto (OpenSSL 3.0, default groups) refuses a client key on brainpoolP256r1 with alert
    // illegal_parameter ("wrong curve" in its log), whatever the CA: the line names the curve, not the CA.
    const auto sebind = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {SEBIND_BIN, "--se", "emu:" + scratch.file("bp")});
        const auto r = run(args);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    };
    sebind({"emu", "init", scratch.file("bp"), "--cn", "factory-bp"});
    sebind({"keygen", "--slot", "1", "--curve", "bp256"});
    sebind({"csr", "--slot", "1", "--subject", "CN=device-bp", "-o", scratch.file("bp.csr")});
    sebind({"pki", "sign", "--ca", file("pki"), scratch.file("bp.csr"), "-o", scratch.file("bp.crt")});
    sebind({"cert", "store", "--slot", "1", scratch.file("bp.crt")});
    start_broker();
    // (wolfSSL 5.5 cannot sign with a brainpool key in TLS 1.3 at all: `--tls 1.3` is refused
    // before connecting, and its default falls back to TLS 1.2.)
    for (const Stack& stack : {kMbedtls, kWolfssl12}) {
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", file("pki/ca.pem"), "--slot", "1"};
        args.insert(args.end(), stack.args.begin(), stack.args.end());
        const auto r = connect(args, "emu:" + scratch.file("bp"));
        SCOPED_TRACE(stack.name);
        expect_failure(r, 28, "the server does not accept our key's curve brainpoolP256r1");
        EXPECT_EQ(std::regex_replace(failure_line(r), std::regex(" \\(alert illegal_parameter\\)"), ""),
                  "sebind: the server does not accept our key's curve brainpoolP256r1: OpenSSL-based brokers such as "
                  "mosquitto take client keys on P-256 and P-384 only — generate the device key on P-256 or P-384 "
                  "(`sebind keygen --slot 1 --curve p256 --force`, then a new CSR and certificate), or allow the curve "
                  "on the broker");
    }
    EXPECT_NE(broker->output().find("wrong curve"), std::string::npos) << broker->output();
}

TEST_F(ConnectCli, ChipEcdheFromTheCommandLineIsDoneByTheChip) {
    // --chip-ecdhe: the handshake's ECDHE is the chip's Establish Key, counted by the chip behind
    // sebind-emud and in the report; off by default; refused with the wolfSSL stack.
    const std::string ca = server_pki("ec");
    auto emud = serve_chip();
    ASSERT_TRUE(emud.control);
    for (const bool on : {false, true}) {
        auto server = s_server({});
        std::vector<std::string> args = {"--port", std::to_string(port), "--ca", ca, "--slot", "0", "--no-mqtt"};
        if (on) args.push_back("--chip-ecdhe");
        const auto before = emud.control->stats();
        ASSERT_TRUE(before);
        const auto r = connect(args, emud.uri());
        ASSERT_EQ(r.exit_code, 0) << r.output << server->output();
        const auto after = emud.control->stats();
        ASSERT_TRUE(after);
        EXPECT_EQ(after->key_establishments - before->key_establishments, on ? 1u : 0u);
        EXPECT_EQ(report(r)["connections"][0]["chip_key_establishments"], on ? 1 : 0) << r.output;
    }
    const auto wolf = connect({"--port", "1", "--ca", ca, "--slot", "0", "--chip-ecdhe", "--stack", "wolfssl"});
    expect_failure(wolf, 2, "--chip-ecdhe needs --stack mbedtls");
}

TEST_F(ConnectCli, Tls13ServerThatSendsNoTicketIsWaitedForBoundedly) {
    // A server that accepted us but sends no ticket and no data gives no verdict: connect waits
    // for one at most max(1 s, twice the handshake), not the whole timeout, then goes on.
    const std::string ca = server_pki("ec");
    auto server = s_server({"-tls1_3", "-num_tickets", "0"});
    const auto r = connect({"--port", std::to_string(port), "--ca", ca, "--slot", "0", "--no-mqtt", "--stack",
                            "wolfssl", "--tls", "1.3", "--timeout-ms", "20000"});
    ASSERT_EQ(r.exit_code, 0) << r.output << server->output();
    const auto handshake_ms = report(r)["connections"][0]["handshake_ms"].get<unsigned>();
    EXPECT_GE(handshake_ms, 1000u) << r.output;
    EXPECT_LT(handshake_ms, 10000u) << r.output;
    EXPECT_TRUE(server->wait_for(kFactoryCn)) << server->output();  // s_server verified our certificate
}

TEST_F(ConnectCli, Tls13OnlyServerIsNamedAlikeByBothStacks) {
    const std::string ca = server_pki("ec");
    const auto lines = fail_on_each(*this, {kMbedtls, kWolfssl12}, {"-tls1_3"}, "", {"--ca", ca, "--no-mqtt"}, 27,
                                    "the server accepts only TLS 1.3");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], lines[1]);
    EXPECT_EQ(lines[0].find("--verbose"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("use --stack wolfssl --tls 1.3"), std::string::npos) << lines[0];
}

TEST_F(ConnectCli, NotYetValidServerCertificateSaysFromWhen) {
    const auto ok = [](const test::RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.output; };
    server_pki("ec");
    ok(test::openssl_ca_sign(scratch.file("ca-db"), scratch.file("sca.pem"), scratch.file("sca.key"),
                             scratch.file("srv.csr"), scratch.file("srv.pem"), "20400101000000Z", "20410101000000Z"));
    const auto lines = fail_on_each(*this, {kMbedtls, kWolfssl12, kWolfssl13}, {}, "",
                                    {"--ca", scratch.file("sca.pem"), "--no-mqtt"}, 25,
                                    "the server's certificate is not valid before 2040-01-01");
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], lines[1]);
    EXPECT_EQ(lines[0], lines[2]);
    EXPECT_EQ(lines[0].find("until"), std::string::npos) << lines[0];
}

TEST_F(ConnectCli, UnknownHostInAPrivateNetworkNamespace) {
    // No DNS query may leave the machine: the client runs in a network namespace of its own (only
    // a loopback that is down), where the resolver reaches no server.
    std::vector<std::string> unshare = {"unshare", "-n"};
    if (const auto probe = run({"unshare", "-n", "true"}); probe.exit_code != 0) {
        unshare = {"unshare", "-r", "-n"};  // not root: a user namespace may still allow it
        if (const auto user = run({"unshare", "-r", "-n", "true"}); user.exit_code != 0)
            GTEST_SKIP() << "cannot create a private network namespace here (unshare -n: " << probe.output
                         << "; unshare -r -n: " << user.output
                         << "); this test needs root or unprivileged user namespaces";
    }
    std::vector<std::string> lines;
    for (const auto& stack : {kMbedtls, kWolfssl12}) {
        std::vector<std::string> argv = unshare;
        argv.insert(argv.end(), {SEBIND_BIN, "--se", "emu:" + file("se"), "connect", "--host", "name.invalid", "--port",
                                 "8883", "--ca", file("pki/ca.pem"), "--timeout-ms", "5000"});
        argv.insert(argv.end(), stack.args.begin(), stack.args.end());
        const auto r = run(argv);
        expect_failure(r, 21, "cannot resolve 'name.invalid': ");
        const std::string line = failure_line(r);
        EXPECT_TRUE(line.find("': no DNS server answered — ") != std::string::npos ||
                    line.find("': no such host — ") != std::string::npos)
            << line;
        lines.push_back(line);
    }
    EXPECT_EQ(lines[0], lines[1]);
}

}  // namespace
