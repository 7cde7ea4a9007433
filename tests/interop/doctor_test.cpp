// SPDX-License-Identifier: Apache-2.0
// `sebind doctor` as a user runs it, against `openssl s_server` on 127.0.0.1 and an emulated chip
// provisioned through the real CLI (a P-384 key in slot 1, its certificate from `sebind pki dev`'s
// CA in zone 4). Each planted gap is found with the macro or option that closes it, and a good
// set-up reports nothing wrong and exits 0.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <regex>

#include <nlohmann/json.hpp>

#include "peer.hpp"
#include "process.hpp"

#ifndef SEBIND_BIN
#error "SEBIND_BIN must name the sebind executable"
#endif
#ifndef SEBIND_SOURCE_DIR
#error "SEBIND_SOURCE_DIR must name the source tree (for the sample configurations)"
#endif

using namespace sebind;
using nlohmann::json;
using test::run;

namespace {

const std::string kConfig36 = SEBIND_SOURCE_DIR "/examples/mbedtls_config/device-tls13-3.6.h";
const std::string kConfig228 = SEBIND_SOURCE_DIR "/examples/mbedtls_config/device-tls12-2.28.h";
constexpr int kGapsExit = 40;

struct Outcome {
    int exit_code = -1;
    json report;         ///< the --json report (stdout)
    std::string output;  ///< everything, for failure messages
    /// The text of every finding with this code.
    std::vector<std::string> texts(const std::string& code) const {
        std::vector<std::string> out;
        if (report.contains("findings"))
            for (const auto& f : report["findings"])
                if (f["code"] == code) out.push_back(f["text"].get<std::string>());
        return out;
    }
    bool says(const std::string& code, const std::string& piece) const {
        for (const auto& t : texts(code))
            if (t.find(piece) != std::string::npos) return true;
        return false;
    }
};

class Doctor : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        shared = new test::TempDir;
        const auto ok = [](const test::RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.output; };
        const auto sebind = [&](std::vector<std::string> args) {
            args.insert(args.begin(), {SEBIND_BIN, "--se", "emu:" + shared->file("se")});
            ok(run(args));
        };
        sebind({"emu", "init", shared->file("se"), "--cn", "factory-device"});
        sebind({"pki", "dev", "--out", shared->file("pki"), "--port", "1"});
        sebind({"keygen", "--slot", "1", "--curve", "p384", "-o", shared->file("dev.pub.pem")});
        sebind({"csr", "--slot", "1", "--subject", "CN=device-384", "-o", shared->file("dev.csr")});
        sebind({"pki", "sign", "--ca", shared->file("pki"), shared->file("dev.csr"), "-o", shared->file("dev.crt")});
        sebind({"cert", "store", "--slot", "1", shared->file("dev.crt")});
        // The server's own certificate (P-256, for localhost), and a CA that is not the device's.
        ok(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                shared->file("srv.key"), "-out", shared->file("srv.pem"), "-subj", "/CN=localhost", "-addext",
                "subjectAltName=DNS:localhost", "-days", "30"}));
        ok(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                shared->file("other.key"), "-out", shared->file("other.pem"), "-subj", "/CN=other CA/O=elsewhere",
                "-days", "30"}));
    }
    static void TearDownTestSuite() {
        delete shared;
        shared = nullptr;
    }
    static std::string file(const std::string& name) { return shared->file(name); }

    /// openssl s_server on a free port with the server certificate; `extra` adds options.
    /// `client_ca`: the CA file whose names its CertificateRequest carries (-Verify 1), or "" for
    /// a server that asks for no client certificate.
    void start_server(const std::vector<std::string>& extra, const std::string& client_ca) {
        port = test::free_port();
        std::vector<std::string> args = {"openssl", "s_server",      "-accept", std::to_string(port),
                                         "-cert",   file("srv.pem"), "-key",    file("srv.key")};
        if (!client_ca.empty()) args.insert(args.end(), {"-CAfile", client_ca, "-Verify", "1", "-verify_return_error"});
        args.insert(args.end(), extra.begin(), extra.end());
        server = std::make_unique<test::Peer>(args);
        ASSERT_TRUE(server->wait_for("ACCEPT")) << server->output();
    }

    /// `sebind --json doctor` against the server, with the chip's slot 1.
    Outcome doctor(const std::vector<std::string>& args, const std::string& ca = "") const {
        std::vector<std::string> argv = {SEBIND_BIN,
                                         "--se",
                                         "emu:" + file("se"),
                                         "--json",
                                         "doctor",
                                         "--host",
                                         "localhost",
                                         "--port",
                                         std::to_string(port),
                                         "--ca",
                                         ca.empty() ? file("srv.pem") : ca};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = run(argv);
        Outcome o;
        o.exit_code = r.exit_code;
        o.output = r.output;
        // stdout's report comes first; a failure adds its one JSON line on stderr after it.
        const auto cut = r.output.find("\n{\"error\"");
        o.report = json::parse(r.output.substr(0, cut == std::string::npos ? r.output.size() : cut + 1), nullptr,
                               false);
        return o;
    }

    /// A copy of a sample configuration with `name` turned off the way Mbed TLS headers do it.
    std::string config_without(const std::string& sample, const std::string& name) {
        std::string text = test::read_text(sample);
        const std::string line = "\n#define " + name + "\n";
        const auto at = text.find(line);
        EXPECT_NE(at, std::string::npos) << name << " is not in " << sample;
        if (at != std::string::npos) text.replace(at, line.size(), "\n//#define " + name + "\n");
        const std::string path = scratch.file("config-" + std::to_string(++configs) + ".h");
        test::write_file(path, text);
        return path;
    }

    static test::TempDir* shared;
    test::TempDir scratch;
    int configs = 0;
    int port = 0;
    std::unique_ptr<test::Peer> server;
};

test::TempDir* Doctor::shared = nullptr;

TEST_F(Doctor, GoodSetUpReportsNothingWrong) {
    start_server({}, file("pki/ca.pem"));
    for (const auto& config : {kConfig36, kConfig228}) {
        const Outcome o = doctor({"--mbedtls-config", config});
        EXPECT_EQ(o.exit_code, 0) << o.output;
        ASSERT_TRUE(o.report.is_object()) << o.output;
        EXPECT_EQ(o.report["gaps"], 0) << o.output;
        EXPECT_TRUE(o.report["findings"].empty()) << o.output;
        // What the probe saw is what s_server offers: both versions, its certificate, the request.
        EXPECT_TRUE(o.report["server"]["tls1_2"]["accepted"].get<bool>()) << o.output;
        EXPECT_TRUE(o.report["server"]["tls1_3"]["accepted"].get<bool>()) << o.output;
        EXPECT_EQ(o.report["server"]["certificate"]["key"], "EC P-256") << o.output;
        EXPECT_TRUE(o.report["server"]["certificate"]["verifies"].get<bool>()) << o.output;
        EXPECT_TRUE(o.report["server"]["certificate"]["names_host"].get<bool>()) << o.output;
        const auto& cas = o.report["server"]["client_certificate_request"]["certificate_authorities"];
        ASSERT_EQ(cas.size(), 1u) << o.output;
        EXPECT_NE(cas[0].get<std::string>().find("sebind development CA"), std::string::npos) << o.output;
        EXPECT_EQ(o.report["chip"]["curve"], "P-384") << o.output;
        EXPECT_TRUE(o.report["chip"]["pairs"].get<bool>()) << o.output;
    }
    EXPECT_EQ(test::read_text(kConfig36).find("MBEDTLS_SHA512_NO_SHA384"), std::string::npos);
    // The text report ends with the verdict.
    const auto r = run({SEBIND_BIN, "--se", "emu:" + file("se"), "doctor", "--host", "localhost", "--port",
                        std::to_string(port), "--ca", file("srv.pem"), "--mbedtls-config", kConfig36});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("OK: nothing blocks a handshake"), std::string::npos) << r.output;
}

TEST_F(Doctor, ServerWhoseOnlySuiteNeedsSha384) {
    start_server({"-no_tls1_3", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"}, file("pki/ca.pem"));
    Outcome o = doctor({"--mbedtls-config", config_without(kConfig36, "MBEDTLS_SHA384_C")});
    EXPECT_EQ(o.exit_code, kGapsExit) << o.output;
    EXPECT_TRUE(o.says("suite", "the server's only TLS 1.2 suite ECDHE-ECDSA-AES256-GCM-SHA384 needs SHA-384"))
        << o.output;
    EXPECT_TRUE(o.says("suite", "define MBEDTLS_SHA384_C")) << o.output;
    EXPECT_NE(o.output.find("\"class\":\"doctor_gaps\""), std::string::npos) << o.output;
    // In a 2.28 configuration the switch is MBEDTLS_SHA512_C.
    o = doctor({"--mbedtls-config", config_without(kConfig228, "MBEDTLS_SHA512_C")});
    EXPECT_EQ(o.exit_code, kGapsExit) << o.output;
    EXPECT_TRUE(o.says("suite", "define MBEDTLS_SHA512_C")) << o.output;
    // The full configuration has it: nothing blocks.
    o = doctor({"--mbedtls-config", kConfig36});
    EXPECT_EQ(o.exit_code, 0) << o.output;
    EXPECT_EQ(o.report["server"]["tls1_2"]["suites"], json::array({"ECDHE-ECDSA-AES256-GCM-SHA384"})) << o.output;
}

TEST_F(Doctor, ConfigurationWithoutTheSlotsCurve) {
    start_server({}, file("pki/ca.pem"));
    const Outcome o = doctor({"--mbedtls-config", config_without(kConfig36, "MBEDTLS_ECP_DP_SECP384R1_ENABLED")});
    EXPECT_EQ(o.exit_code, kGapsExit) << o.output;
    EXPECT_TRUE(o.says("slot_curve", "slot 1 holds a P-384 key and MBEDTLS_ECP_DP_SECP384R1_ENABLED is off"))
        << o.output;
}

TEST_F(Doctor, Tls13OnlyServerAndAConfigurationWithoutTls13) {
    start_server({"-tls1_3"}, file("pki/ca.pem"));
    Outcome o = doctor({"--mbedtls-config", config_without(kConfig36, "MBEDTLS_SSL_PROTO_TLS1_3")});
    EXPECT_EQ(o.exit_code, kGapsExit) << o.output;
    EXPECT_TRUE(
        o.says("tls_version", "the server accepts only TLS 1.3 and the configuration lacks MBEDTLS_SSL_PROTO_TLS1_3"))
        << o.output;
    EXPECT_FALSE(o.report["server"]["tls1_2"]["accepted"].get<bool>()) << o.output;
    // A 2.28 configuration cannot have it at all.
    o = doctor({"--mbedtls-config", kConfig228});
    EXPECT_EQ(o.exit_code, kGapsExit) << o.output;
    EXPECT_TRUE(o.says("tls_version", "Mbed TLS 2.28 has no TLS 1.3: move to Mbed TLS 3.6")) << o.output;
    // With TLS 1.3 on, the same server is fine.
    o = doctor({"--mbedtls-config", kConfig36});
    EXPECT_EQ(o.exit_code, 0) << o.output;
}

TEST_F(Doctor, ServerAsksForClientCertificatesFromAnotherCa) {
    start_server({}, file("other.pem"));
    const Outcome o = doctor({"--mbedtls-config", kConfig36});
    EXPECT_EQ(o.exit_code, kGapsExit) << o.output;
    EXPECT_TRUE(o.says("client_ca", "the server asks for client certificates from CA 'CN=other CA, O=elsewhere'"))
        << o.output;
    EXPECT_TRUE(o.says("client_ca", "but the device certificate was issued by 'CN=sebind development CA")) << o.output;
}

TEST_F(Doctor, ServerNotAskingForACertificateIsAWarning) {
    start_server({}, "");
    const Outcome o = doctor({"--mbedtls-config", kConfig36});
    EXPECT_EQ(o.exit_code, 0) << o.output;
    EXPECT_EQ(o.report["gaps"], 0) << o.output;
    ASSERT_EQ(o.report["findings"].size(), 1u) << o.output;
    EXPECT_EQ(o.report["findings"][0]["level"], "warning") << o.output;
    EXPECT_TRUE(o.says("no_client_certificate", "the server does not ask for a client certificate")) << o.output;
    EXPECT_TRUE(o.report["server"]["client_certificate_request"].is_null()) << o.output;
}

TEST_F(Doctor, ServerCertificateNotFromTheCa) {
    start_server({}, file("pki/ca.pem"));
    const Outcome o = doctor({"--mbedtls-config", kConfig36}, file("other.pem"));
    EXPECT_EQ(o.exit_code, kGapsExit) << o.output;
    EXPECT_TRUE(o.says("server_untrusted", "does not verify against --ca " + file("other.pem"))) << o.output;
}

TEST_F(Doctor, ServerCertificateForAnotherName) {
    // The certificate names DNS:localhost; asked for by IP address, it does not match (one rule
    // for both stacks: an IP literal matches only an iPAddress entry).
    start_server({}, file("pki/ca.pem"));
    const auto r = run({SEBIND_BIN, "--se", "emu:" + file("se"), "--json", "doctor", "--host", "127.0.0.1", "--port",
                        std::to_string(port), "--ca", file("srv.pem"), "--mbedtls-config", kConfig36});
    EXPECT_EQ(r.exit_code, kGapsExit) << r.output;
    EXPECT_NE(r.output.find("\"code\": \"server_hostname\""), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("is not issued for '127.0.0.1'"), std::string::npos) << r.output;
}

TEST_F(Doctor, NothingListeningIsTheConnectExitCode) {
    port = test::free_port();
    const Outcome o = doctor({});
    EXPECT_EQ(o.exit_code, 20) << o.output;
    EXPECT_NE(o.output.find("tls_not_listening"), std::string::npos) << o.output;
}

TEST_F(Doctor, ServerThatNeverFinishesItsAnswerTimesOut) {
    // The start of a TLS record, one byte a second: each read gets something, the answer never ends.
    test::DribblingServer dribbler(1000, 12000);
    ASSERT_GT(dribbler.port(), 0);
    port = dribbler.port();
    const auto begun = std::chrono::steady_clock::now();
    const Outcome o = doctor({"--timeout-ms", "1500"});
    const auto took = std::chrono::steady_clock::now() - begun;
    EXPECT_EQ(o.exit_code, 22) << o.output;
    EXPECT_NE(o.output.find("no complete answer to the ClientHello within 1500 ms"), std::string::npos) << o.output;
    EXPECT_LT(took, std::chrono::seconds(8)) << o.output;
}

}  // namespace
