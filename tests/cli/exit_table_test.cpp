// SPDX-License-Identifier: Apache-2.0
// Each documented exit code of each command, produced by the real `sebind` (and `sebind-emud`)
// on emulated chips and against real peers on 127.0.0.1: one row per (command, code) with the
// arguments, what must be running, the code and a word the one-line message must contain. Every
// sebind row runs twice: as written, and with --json appended after the subcommand, where the
// failure must be the JSON line {"error":{"exit":N,"class":"...","message":"..."}} with the same
// code. Options --se/--json/-v are accepted before or after the subcommand, and listed in each
// subcommand's --help.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <regex>

#include <nlohmann/json.hpp>

#include "exit_codes.hpp"
#include "peer.hpp"
#include "process.hpp"

using nlohmann::json;
using sebind::test::run;
using sebind::test::RunResult;

namespace {

/// What must be running for a row; {port} in its arguments is that peer's port.
enum class PeerKind {
    none,
    nothing_listening,   ///< a free port
    unanswered,          ///< a port that drops SYNs (test::UnansweredPort)
    broker,              ///< mosquitto from `sebind pki dev` (mutual TLS, CN as username, ACL)
    broker_prefix_only,  ///< the same, accepting only client ids starting with "gateway-"
    plain_broker,        ///< mosquitto without TLS: the port does not speak TLS
    tls_server,          ///< openssl s_server demanding a client certificate from the dev CA
    tls_server_ccm8,     ///< the same, offering only ECDHE-ECDSA-AES256-CCM8
    tls_server_expired,  ///< the same, with a server certificate valid only in January 2020
    // s_server (as tls_server) answering any client with an MQTT 3.1.1 CONNACK refusing with
    // return code 1..4: the refusals mosquitto does not give a client with a certificate.
    connack_refused_1,
    connack_refused_2,
    connack_refused_3,
    connack_refused_4,
};

struct Row {
    const char* name;
    std::vector<std::string> args;  ///< {se} the provisioned chip, {blank} a chip without slot 1 key, {dir} scratch
    PeerKind peer;
    int exit;
    const char* word;   ///< the one-line message contains this
    bool emud = false;  ///< run sebind-emud instead of sebind
};

const std::vector<Row> kRows = {
    // 2 usage
    {"info_unknown_option", {"info", "--se", "{se}", "--bogus"}, PeerKind::none, 2, "--bogus"},
    {"random_out_of_range", {"random", "0", "--se", "{se}"}, PeerKind::none, 2, "count"},
    {"cert_show_zone_not_a_number", {"cert", "show", "--zone", "four", "--se", "{se}"}, PeerKind::none, 2, "--zone"},
    {"connect_tls13_on_mbedtls",
     {"connect", "--ca", "{dir}/pki/ca.pem", "--tls", "1.3", "--se", "{se}"},
     PeerKind::none,
     2,
     "--stack wolfssl"},
    {"emud_missing_socket", {"{se_dir}"}, PeerKind::none, 2, "--socket", true},
    {"emud_bad_ready_fd",
     {"--socket", "{dir}/e.sock", "--ready-fd", "abc", "{se_dir}"},
     PeerKind::none,
     2,
     "file descriptor",
     true},
    {"emud_bad_latency",
     {"--socket", "{dir}/e.sock", "--latency", "fast", "{se_dir}"},
     PeerKind::none,
     2,
     "--latency",
     true},
    // 3 no secure element
    {"info_without_se", {"info"}, PeerKind::none, 3, "SEBIND_SE"},
    // 4 unreachable
    {"info_no_daemon", {"info", "--se", "emud:{dir}/nobody.sock"}, PeerKind::none, 4, "sebind-emud --socket"},
    {"emud_cannot_bind", {"--socket", "{dir}/no/such/e.sock", "{se_dir}"}, PeerKind::none, 4, "e.sock", true},
    // 5 chip refused
    {"cert_store_read_only_zone",
     {"cert", "store", "--zone", "0", "{dir}/dev.crt", "--se", "{se}"},
     PeerKind::none,
     5,
     "writable zone"},
    {"keygen_read_only_zone", {"keygen", "--force", "--zone", "0", "--se", "{se}"}, PeerKind::none, 5, "read-only"},
    // 6 not found
    {"csr_no_key", {"csr", "--subject", "CN=device-001", "--se", "{blank}"}, PeerKind::none, 6, "sebind keygen"},
    {"cert_show_empty_zone", {"cert", "show", "--zone", "7", "--se", "{se}"}, PeerKind::none, 6, "cert store"},
    {"cert_show_zone_not_on_chip", {"cert", "show", "--zone", "8", "--se", "{se}"}, PeerKind::none, 6, "zones: 0-7"},
    {"cert_store_zone_not_on_chip",
     {"cert", "store", "--zone", "8", "{dir}/dev.crt", "--se", "{se}"},
     PeerKind::none,
     6,
     "zones: 0-7"},
    {"cert_store_no_key", {"cert", "store", "{dir}/dev.crt", "--se", "{blank}"}, PeerKind::none, 6, "sebind keygen"},
    {"verify_pair_no_certificate", {"verify-pair", "--zone", "7", "--se", "{se}"}, PeerKind::none, 6, "--cert"},
    {"pki_sign_no_csr",
     {"pki", "sign", "--ca", "{dir}/pki", "{dir}/missing.csr", "-o", "{dir}/x.crt"},
     PeerKind::none,
     6,
     "missing.csr"},
    {"connect_no_certificate",
     {"connect", "--ca", "{dir}/pki/ca.pem", "--zone", "7", "--se", "{se}"},
     PeerKind::none,
     6,
     "zone 7"},
    {"info_no_chip", {"info", "--se", "emu:{dir}/nothing"}, PeerKind::none, 6, "sebind emu init"},
    {"emud_no_chip", {"--socket", "{dir}/e.sock", "{dir}/pki"}, PeerKind::none, 6, "pki", true},
    // 7 already exists
    {"keygen_again", {"keygen", "--se", "{se}"}, PeerKind::none, 7, "--force"},
    {"emu_init_again", {"emu", "init", "{se_dir}"}, PeerKind::none, 7, "already holds a chip"},
    {"pki_dev_again", {"pki", "dev", "--out", "{dir}/pki"}, PeerKind::none, 7, "--force"},
    {"emud_socket_taken", {"--socket", "{dir}/dev.crt", "{se_dir}"}, PeerKind::none, 7, "dev.crt", true},
    // 8 invalid input
    {"csr_control_character",
     {"csr", "--subject", "CN=a\x01z", "--se", "{se}"},
     PeerKind::none,
     8,
     "control character"},
    {"csr_bad_san",
     {"csr", "--subject", "CN=device-001", "--san", "device-001", "--se", "{se}"},
     PeerKind::none,
     8,
     "DNS:NAME"},
    {"cert_store_garbage", {"cert", "store", "{dir}/garbage.pem", "--se", "{se}"}, PeerKind::none, 8, "garbage.pem"},
    {"verify_pair_garbage",
     {"verify-pair", "--cert", "{dir}/garbage.pem", "--se", "{se}"},
     PeerKind::none,
     8,
     "not a certificate"},
    {"pki_sign_garbage",
     {"pki", "sign", "--ca", "{dir}/pki", "{dir}/garbage.pem", "-o", "{dir}/x.crt"},
     PeerKind::none,
     8,
     "garbage.pem"},
    {"pki_dev_bad_host", {"pki", "dev", "--out", "{dir}/pki2", "--host", "bad host!"}, PeerKind::none, 8, "bad host!"},
    {"info_socket_path_too_long", {"info", "--se", "emud:{dir}/{long}"}, PeerKind::none, 8, "sun_path"},
    // 9 mismatch
    {"verify_pair_other_key",
     {"verify-pair", "--cert", "{dir}/pki/monitor.pem", "--se", "{se}"},
     PeerKind::none,
     9,
     "MISMATCH"},
    {"cert_store_other_key",
     {"cert", "store", "{dir}/pki/monitor.pem", "--se", "{se}"},
     PeerKind::none,
     9,
     "issued for this chip's key"},
    {"connect_slot_curve_mismatch",
     {"connect", "--ca", "{dir}/pki/ca.pem", "--slot", "1", "--zone", "0", "--se", "{p384}"},
     PeerKind::none,
     9,
     "another curve"},
    // 10 host storage
    {"csr_output_directory_missing",
     {"csr", "--subject", "CN=device-001", "-o", "{dir}/no/such/dir.csr", "--se", "{se}"},
     PeerKind::none,
     10,
     "no/such/dir.csr"},
    {"pki_sign_output_directory_missing",
     {"pki", "sign", "--ca", "{dir}/pki", "{dir}/dev.csr", "-o", "{dir}/no/such/x.crt"},
     PeerKind::none,
     10,
     "no/such/x.crt"},
    // 11 integrity
    {"info_corrupt_state", {"info", "--se", "emu:{dir}/corrupt"}, PeerKind::none, 11, "corrupted"},
    {"emud_corrupt_state", {"--socket", "{dir}/e.sock", "{dir}/corrupt"}, PeerKind::none, 11, "corrupt", true},
    // 12 expired
    {"cert_store_expired", {"cert", "store", "{dir}/expired.crt", "--se", "{se}"}, PeerKind::none, 12, "--force"},
    // 13 too large
    {"cert_store_zone_too_small",
     {"cert", "store", "--zone", "1", "{dir}/dev.crt", "--se", "{se}"},
     PeerKind::none,
     13,
     "larger zone"},
    {"csr_too_many_names",
     {"csr", "--subject", "CN=device-001", "{many_sans}", "--se", "{se}"},
     PeerKind::none,
     13,
     "4096 bytes"},
    // 20-30 connect, against real peers
    {"connect_nothing_listening",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--se", "{se}"},
     PeerKind::nothing_listening,
     20,
     "nothing accepts"},
    {"connect_timeout",
     {"connect", "--host", "127.0.0.1", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--timeout-ms", "300", "--se",
      "{se}"},
     PeerKind::unanswered,
     22,
     "within 300 ms"},
    {"connect_untrusted_server",
     {"connect", "--port", "{port}", "--ca", "{se_dir}/factory-ca.pem", "--se", "{se}"},
     PeerKind::broker,
     23,
     "--ca"},
    {"connect_name_mismatch",
     {"connect", "--host", "elsewhere.example", "--connect-to", "127.0.0.1", "--port", "{port}", "--ca",
      "{dir}/pki/ca.pem", "--se", "{se}"},
     PeerKind::broker,
     24,
     "elsewhere.example"},
    {"connect_server_expired",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--no-mqtt", "--se", "{se}"},
     PeerKind::tls_server_expired,
     25,
     "validity"},
    {"connect_no_common_suite",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--no-mqtt", "--se", "{se}"},
     PeerKind::tls_server_ccm8,
     27,
     "suite"},
    {"connect_port_without_tls",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--se", "{se}"},
     PeerKind::plain_broker,
     29,
     "handshake"},
    {"connect_refused_version",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--se", "{se}"},
     PeerKind::connack_refused_1,
     31,
     "unacceptable protocol version"},
    {"connect_refused_client_id",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--se", "{se}"},
     PeerKind::connack_refused_2,
     32,
     "client identifier rejected"},
    {"connect_refused_unavailable",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--se", "{se}"},
     PeerKind::connack_refused_3,
     33,
     "server unavailable"},
    {"connect_refused_credentials",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--se", "{se}"},
     PeerKind::connack_refused_4,
     34,
     "bad user name or password"},
    {"connect_plain_tls_server",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--timeout-ms", "300", "--se", "{se}"},
     PeerKind::tls_server,
     30,
     "--no-mqtt"},
    {"connect_refused_not_authorized",
     {"connect", "--port", "{port}", "--ca", "{dir}/pki/ca.pem", "--se", "{se}"},
     PeerKind::broker_prefix_only,
     35,
     "not authorized"},
    // 36 agent configuration
    {"run_bad_config", {"run", "--config", "{dir}/bad.toml", "--se", "{se}"}, PeerKind::none, 36, "70000"},
    {"run_missing_config",
     {"run", "--config", "{dir}/missing.toml", "--se", "{se}"},
     PeerKind::none,
     36,
     "missing.toml"},
};

int lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

class ExitTable : public ::testing::TestWithParam<Row> {
protected:
    /// Chips and files shared by every row; rows change none of them.
    static void SetUpTestSuite() {
        ::unsetenv("SEBIND_SE");
        shared = new sebind::test::TempDir;
        const auto ok = [](std::vector<std::string> args) {
            args.insert(args.begin(), SEBIND_BIN);
            const auto r = run(args);
            ASSERT_EQ(r.exit_code, 0) << r.output;
        };
        const std::string se = "--se=emu:" + path("se");
        ok({"emu", "init", path("se"), "--cn", "device-001"});
        ok({"emu", "init", path("blank")});
        ok({"emu", "init", path("p384")});
        ok({"emu", "init", path("corrupt")});
        sebind::test::write_file(path("corrupt/chip.state"), std::string("garbage"));
        ok({se, "keygen", "--curve", "p256"});
        ok({"--se=emu:" + path("p384"), "keygen", "--curve", "p384"});
        ok({se, "csr", "--subject", "CN=device-001,O=Acme", "-o", path("dev.csr")});
        ok({"pki", "dev", "--out", path("pki"), "--port", std::to_string(sebind::test::free_port())});
        ok({"pki", "sign", "--ca", path("pki"), path("dev.csr"), "-o", path("dev.crt")});
        ok({se, "cert", "store", path("dev.crt")});
        const auto expired = sebind::test::openssl_ca_sign(path("ca-db"), path("pki/ca.pem"), path("pki/ca.key"),
                                                           path("dev.csr"), path("expired.crt"), "20200101000000Z",
                                                           "20200201000000Z");
        ASSERT_EQ(expired.exit_code, 0) << expired.output;
        // A broker certificate for localhost from the development CA, valid only in January 2020.
        const auto server_csr = run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                     "-keyout", path("old-broker.key"), "-out", path("old-broker.csr"), "-subj",
                                     "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"});
        ASSERT_EQ(server_csr.exit_code, 0) << server_csr.output;
        const auto old_server = sebind::test::openssl_ca_sign(path("ca-db2"), path("pki/ca.pem"), path("pki/ca.key"),
                                                              path("old-broker.csr"), path("old-broker.pem"),
                                                              "20200101000000Z", "20200201000000Z");
        ASSERT_EQ(old_server.exit_code, 0) << old_server.output;
        sebind::test::write_file(path("garbage.pem"),
                                 std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
        sebind::test::write_file(path("bad.toml"), std::string("[broker]\nport = 70000\n"));
    }
    static void TearDownTestSuite() {
        delete shared;
        shared = nullptr;
    }
    static std::string path(const std::string& name) { return shared->file(name); }

    /// The row's arguments with its placeholders filled in.
    static std::vector<std::string> expand(const Row& row, int port) {
        std::vector<std::string> out;
        for (const std::string& a : row.args) {
            if (a == "{many_sans}") {  // 300 names: more than a CSR may hold
                for (int i = 0; i < 300; ++i)
                    out.insert(out.end(), {"--san", "dns:host-" + std::to_string(i) + ".example.com"});
                continue;
            }
            std::string s = std::regex_replace(a, std::regex("\\{se\\}"), "emu:" + path("se"));
            s = std::regex_replace(s, std::regex("\\{blank\\}"), "emu:" + path("blank"));
            s = std::regex_replace(s, std::regex("\\{p384\\}"), "emu:" + path("p384"));
            s = std::regex_replace(s, std::regex("\\{se_dir\\}"), path("se"));
            s = std::regex_replace(s, std::regex("\\{long\\}"), std::string(120, 's') + ".sock");
            s = std::regex_replace(s, std::regex("\\{dir\\}"), shared->path());
            s = std::regex_replace(s, std::regex("\\{port\\}"), std::to_string(port));
            out.push_back(s);
        }
        return out;
    }

    /// Starts what the row needs; returns the port for {port}.
    int start_peer(PeerKind kind) {
        const std::string pki = path("pki");
        switch (kind) {
            case PeerKind::none: return 0;
            case PeerKind::nothing_listening: return sebind::test::free_port();
            case PeerKind::unanswered:
                unanswered = std::make_unique<sebind::test::UnansweredPort>();
                return unanswered->port();
            case PeerKind::plain_broker: {
                int port = sebind::test::free_port();
                sebind::test::write_file(
                    scratch.file("plain.conf"),
                    "# MQTT without TLS\nlistener " + std::to_string(port) + " 127.0.0.1\nallow_anonymous true\n");
                EXPECT_TRUE(sebind::test::start_mosquitto(scratch.file("plain.conf"), port, peer))
                    << (peer ? peer->output() : "");
                return port;
            }
            case PeerKind::broker:
            case PeerKind::broker_prefix_only: {
                int port = sebind::test::free_port();
                std::string conf = std::regex_replace(sebind::test::read_text(pki + "/mosquitto.conf"),
                                                      std::regex("\nlistener [0-9]+ "),
                                                      "\nlistener " + std::to_string(port) + " ");
                if (kind == PeerKind::broker_prefix_only) conf += "\nclientid_prefixes gateway-\n";
                sebind::test::write_file(scratch.file("mosquitto.conf"), conf);
                EXPECT_TRUE(sebind::test::start_mosquitto(scratch.file("mosquitto.conf"), port, peer))
                    << (peer ? peer->output() : "");
                return port;
            }
            case PeerKind::tls_server:
            case PeerKind::tls_server_ccm8:
            case PeerKind::tls_server_expired:
            case PeerKind::connack_refused_1:
            case PeerKind::connack_refused_2:
            case PeerKind::connack_refused_3:
            case PeerKind::connack_refused_4: {
                const int port = sebind::test::free_port();
                const std::string cert = kind == PeerKind::tls_server_expired ? path("old-broker") : pki + "/broker";
                std::vector<std::string> args = {"openssl",
                                                 "s_server",
                                                 "-accept",
                                                 std::to_string(port),
                                                 "-naccept",
                                                 "2",
                                                 "-cert",
                                                 cert + ".pem",
                                                 "-key",
                                                 cert + ".key",
                                                 "-CAfile",
                                                 pki + "/ca.pem",
                                                 "-Verify",
                                                 "1",
                                                 "-verify_return_error",
                                                 "-no_tls1_3"};
                if (kind == PeerKind::tls_server_ccm8) args.insert(args.end(), {"-cipher", "ECDHE-ECDSA-AES256-CCM8"});
                peer = std::make_unique<sebind::test::Peer>(args);
                EXPECT_TRUE(peer->wait_for("ACCEPT")) << peer->output();
                if (kind >= PeerKind::connack_refused_1) {
                    // s_server sends what it reads on stdin once a client is connected: CONNACK,
                    // remaining length 2, no session present, the return code.
                    const char code = static_cast<char>(1 + static_cast<int>(kind) -
                                                        static_cast<int>(PeerKind::connack_refused_1));
                    EXPECT_TRUE(peer->write_input(std::string{'\x20', '\x02', '\x00', code}));
                }
                return port;
            }
        }
        return 0;
    }

    inline static sebind::test::TempDir* shared = nullptr;
    sebind::test::TempDir scratch;
    std::unique_ptr<sebind::test::Peer> peer;
    std::unique_ptr<sebind::test::UnansweredPort> unanswered;
};

TEST_P(ExitTable, CodeAndOneLine) {
    const Row& row = GetParam();
    std::vector<std::string> argv = expand(row, 0);
    // Peers serve one row variant each: the plain run first, then --json.
    for (const bool json_variant : {false, true}) {
        if (json_variant && row.emud) break;
        const int port = start_peer(row.peer);
        argv = expand(row, port);
        argv.insert(argv.begin(), row.emud ? SEBIND_EMUD_BIN : SEBIND_BIN);
        if (json_variant) argv.push_back("--json");
        const RunResult r = run(argv);
        peer.reset();
        unanswered.reset();
        EXPECT_EQ(r.exit_code, row.exit) << (json_variant ? "with --json: " : "") << r.output;
        EXPECT_EQ(lines(r.output), 1) << r.output;
        if (!json_variant) {
            EXPECT_EQ(r.output.rfind(row.emud ? "sebind-emud: " : "sebind: ", 0), 0u) << r.output;
            EXPECT_NE(r.output.find(row.word), std::string::npos) << "no '" << row.word << "' in: " << r.output;
            EXPECT_NE(r.output.find(" — "), std::string::npos) << "no fix in: " << r.output;
            continue;
        }
        const json j = json::parse(r.output, nullptr, false);
        ASSERT_TRUE(j.is_object() && j.contains("error")) << r.output;
        EXPECT_EQ(j["error"]["exit"], row.exit) << r.output;
        const auto* info = sebind::cli::exit_code_info(row.exit);
        ASSERT_NE(info, nullptr);
        EXPECT_EQ(j["error"]["class"], std::string(info->name)) << r.output;
        EXPECT_NE(j["error"].value("message", "").find(row.word), std::string::npos)
            << "no '" << row.word << "' in: " << r.output;
    }
}

INSTANTIATE_TEST_SUITE_P(Rows, ExitTable, ::testing::ValuesIn(kRows),
                         [](const auto& p) { return std::string(p.param.name); });

TEST_F(ExitTable, OptionsBeforeOrAfterTheSubcommand) {
    const std::string uri = "emu:" + path("se");
    // Each pair: the same command with the options before and after the subcommand.
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> pairs = {
        {{"--se", uri, "--json", "info"}, {"info", "--se", uri, "--json"}},
        {{"--se", uri, "--json", "cert", "show", "--zone", "0"},
         {"cert", "show", "--zone", "0", "--json", "--se", uri}},
        {{"--se", uri, "--json", "random", "8"}, {"random", "--json", "8", "--se", uri}},
        {{"--se", uri, "--json", "verify-pair"}, {"verify-pair", "-v", "--se", uri, "--json"}},
        {{"--se", uri, "--json", "csr", "--subject", "CN=device-001"},
         {"csr", "--subject", "CN=device-001", "--se", uri, "--json"}},
    };
    for (const auto& [before, after] : pairs) {
        std::vector<std::string> a = before, b = after;
        a.insert(a.begin(), SEBIND_BIN);
        b.insert(b.begin(), SEBIND_BIN);
        const auto ra = run(a), rb = run(b);
        ASSERT_EQ(ra.exit_code, 0) << ra.output;
        ASSERT_EQ(rb.exit_code, 0) << rb.output;
        const json ja = json::parse(ra.output, nullptr, false), jb = json::parse(rb.output, nullptr, false);
        ASSERT_TRUE(ja.is_object()) << ra.output;
        ASSERT_TRUE(jb.is_object()) << rb.output;
        EXPECT_EQ(ja.size(), jb.size()) << ra.output << rb.output;
    }
    const auto csr = run({SEBIND_BIN, "csr", "--subject", "CN=device-001", "--se", uri, "--json"});
    const json j = json::parse(csr.output, nullptr, false);
    ASSERT_TRUE(j.is_object()) << csr.output;
    EXPECT_EQ(j.value("csr_pem", "").rfind("-----BEGIN CERTIFICATE REQUEST-----", 0), 0u) << csr.output;
    // `run` takes --se after the subcommand: the configuration error, not a usage error.
    EXPECT_EQ(run({SEBIND_BIN, "run", "--config", path("bad.toml"), "--se", uri}).exit_code, 36);
}

TEST_F(ExitTable, EverySubcommandsHelpListsTheGlobalOptions) {
    for (const std::vector<std::string>& cmd : {std::vector<std::string>{"info"},
                                                {"random"},
                                                {"echo"},
                                                {"keygen"},
                                                {"csr"},
                                                {"cert", "store"},
                                                {"cert", "show"},
                                                {"verify-pair"},
                                                {"pki", "dev"},
                                                {"pki", "sign"},
                                                {"connect"},
                                                {"run"},
                                                {"emu", "init"}}) {
        std::vector<std::string> argv = cmd;
        argv.insert(argv.begin(), SEBIND_BIN);
        argv.push_back("--help");
        const auto r = run(argv);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        for (const char* option : {"--se", "--json", "--verbose"})
            EXPECT_NE(r.output.find(option), std::string::npos) << cmd.back() << " --help lacks " << option << ":\n"
                                                                << r.output;
    }
}

}  // namespace
