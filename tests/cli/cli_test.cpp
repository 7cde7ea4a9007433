// SPDX-License-Identifier: Apache-2.0
// `sebind` end to end: emu init, info (human and JSON), random, echo, and the failure lines with
// their exit codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "process.hpp"
#include "sebind/core/hex.hpp"
#include "sebind/se_uri/se_uri.hpp"
#include "sebind/stsafe/device.hpp"

using sebind::test::run;
using sebind::test::RunResult;
using sebind::test::TempDir;

using sebind::test::lines;
using sebind::test::run_sebind;
using Cli = sebind::test::CliTest;

// `--version` prints the CMake project version on one line and exits 0, before anything else is
// required (a subcommand for sebind, --socket and a directory for sebind-emud).
TEST(CliVersion, BothProgramsPrintTheProjectVersion) {
    const auto cli = run_sebind({"--version"});
    EXPECT_EQ(cli.exit_code, 0) << cli.output;
    EXPECT_EQ(cli.output, "sebind " SEBIND_PROJECT_VERSION "\n");
    const auto emud = run({SEBIND_EMUD_BIN, "--version"});
    EXPECT_EQ(emud.exit_code, 0) << emud.output;
    EXPECT_EQ(emud.output, "sebind-emud " SEBIND_PROJECT_VERSION "\n");
}

TEST_F(Cli, InitSaysItIsEmulatedAndRefusesToOverwrite) {
    auto again = run_sebind({"emu", "init", dir.file("se")});
    EXPECT_EQ(again.exit_code, 7) << again.output;
    EXPECT_EQ(lines(again.output), 1) << again.output;
    auto fresh = run_sebind({"emu", "init", dir.file("se2")});
    EXPECT_NE(fresh.output.find("EMULATED"), std::string::npos);
    EXPECT_NE(fresh.output.find(dir.file("se2/factory-ca.pem")), std::string::npos) << fresh.output;
    auto js = run_sebind({"--json", "emu", "init", dir.file("se \"3\"")});
    ASSERT_EQ(js.exit_code, 0) << js.output;
    const auto j = nlohmann::json::parse(js.output);
    EXPECT_EQ(j["se_uri"], "emu:" + dir.file("se \"3\""));
    // The advertised CA file exists and is a certificate OpenSSL reads.
    auto ca = run({"openssl", "x509", "-in", j["factory_ca"].get<std::string>(), "-noout", "-subject"});
    EXPECT_EQ(ca.exit_code, 0) << ca.output;
}

TEST_F(Cli, InfoJsonDescribesTheChip) {
    auto r = run_sebind({"--se", uri, "--json", "info"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j["product"]["name"], "STSAFE-A110");
    EXPECT_TRUE(j["product"]["emulated"].get<bool>());
    EXPECT_EQ(j["product"]["serial"].get<std::string>().size(), 18u);
    EXPECT_EQ(j["life_cycle"], "operational");
    EXPECT_FALSE(j["host_keys"]["present"].get<bool>());
    ASSERT_EQ(j["zones"].size(), 8u);
    EXPECT_EQ(j["zones"][0]["size"], 1000);
    EXPECT_EQ(j["zones"][0]["update_ac"], "never");
    EXPECT_EQ(j["zones"][5]["type"], "counter");
    EXPECT_EQ(j["key_slots"][0]["curve"], "P-256");
    EXPECT_FALSE(j["key_slots"][1]["present"].get<bool>());
    EXPECT_NE(j["certificate_zone0"]["subject"].get<std::string>().find("CN=device-001"), std::string::npos);
    EXPECT_NE(j["certificate_zone0"]["issuer"].get<std::string>().find("factory CA"), std::string::npos);
    EXPECT_FALSE(j["certificate_zone0"]["expired"].get<bool>());
}

TEST_F(Cli, InfoJsonMatchesWhatTheDriverReports) {
    auto r = run_sebind({"--se", uri, "--json", "info"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);

    // The same chip opened in this process, after the CLI has exited.
    auto parsed = sebind::port_linux::parse_se_uri(uri);
    ASSERT_TRUE(parsed);
    auto conn = sebind::port_linux::open_se(*parsed);
    ASSERT_TRUE(conn);
    sebind::stsafe::Device& se = (*conn)->device();

    auto product = se.query_product_data();
    ASSERT_TRUE(product);
    EXPECT_EQ(j["product"]["serial"], sebind::to_hex(product->product_number));
    EXPECT_EQ(j["product"]["mask_id"], sebind::to_hex(product->mask_id));
    EXPECT_EQ(j["product"]["io_buffer"], product->io_buffer_size);
    EXPECT_EQ(j["product"]["nvm_size"], product->nvm_size);

    auto keys = se.query_key_table();
    ASSERT_TRUE(keys);
    ASSERT_EQ(j["key_slots"].size(), keys->slot_count);
    EXPECT_EQ(j["global_usage_limit"], keys->global_usage_limit);
    for (std::size_t i = 0; i < keys->slot_count; ++i) {
        const auto& k = keys->slots[i];
        const auto& jk = j["key_slots"][i];
        EXPECT_EQ(jk["slot"], k.slot);
        EXPECT_EQ(jk["present"], k.present);
        EXPECT_EQ(jk["mode"], k.mode);
        EXPECT_TRUE(jk["usage_count"].is_null());
        if (k.curve)
            EXPECT_EQ(jk["curve"], sebind::stsafe::curve_info(*k.curve).name);
        else
            EXPECT_TRUE(jk["curve"].is_null());
    }

    auto part = se.query_partition();
    ASSERT_TRUE(part);
    ASSERT_EQ(j["zones"].size(), part->zone_count);
    for (std::size_t i = 0; i < part->zone_count; ++i) {
        const auto& z = part->zones[i];
        const auto& jz = j["zones"][i];
        EXPECT_EQ(jz["zone"], z.index);
        EXPECT_EQ(jz["size"], z.size);
        EXPECT_EQ(jz["read_ac_value"], z.read_ac);
        EXPECT_EQ(jz["update_ac_value"], z.update_ac);
        EXPECT_EQ(jz["update_change_right"], z.update_change_right);
        if (z.type == sebind::stsafe::ZoneType::counter)
            EXPECT_EQ(jz["counter"], z.counter);
        else
            EXPECT_TRUE(jz["counter"].is_null());
    }

    auto host = se.query_host_key_slot();
    ASSERT_TRUE(host);
    EXPECT_EQ(j["host_keys"]["present"], host->present);

    // The certificate fields as OpenSSL reads the same bytes (exported with `cert show --pem`).
    auto pem = run_sebind({"--se", uri, "cert", "show", "--zone", "0", "--pem"});
    ASSERT_EQ(pem.exit_code, 0) << pem.output;
    sebind::test::write_file(dir.file("zone0.pem"), pem.output);
    auto end = run({"openssl", "x509", "-in", dir.file("zone0.pem"), "-noout", "-enddate", "-dateopt", "iso_8601"});
    ASSERT_EQ(end.exit_code, 0) << end.output;
    // "notAfter=2036-11-22 08:17:09Z" against "2036-11-22T08:17:09Z".
    std::string not_after = j["certificate_zone0"]["not_after"];
    not_after[10] = ' ';
    EXPECT_NE(end.output.find(not_after), std::string::npos) << end.output << " vs " << not_after;
}

TEST_F(Cli, InfoHumanReadsTheEnvironmentVariable) {
    ::setenv("SEBIND_SE", uri.c_str(), 1);
    auto r = run_sebind({"info"});
    ::unsetenv("SEBIND_SE");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("EMULATED"), std::string::npos);
    EXPECT_NE(r.output.find("CN=device-001"), std::string::npos);
    EXPECT_NE(r.output.find("Zones"), std::string::npos);
}

TEST_F(Cli, RandomAndEcho) {
    // 300 bytes: more than one Generate Random command (255 at most, §4.4).
    auto a = run_sebind({"--se", uri, "random", "300"});
    auto b = run_sebind({"--se", uri, "random", "300"});
    ASSERT_EQ(a.exit_code, 0) << a.output;
    EXPECT_EQ(a.output.size(), 300u);  // raw bytes
    EXPECT_NE(a.output, b.output);
    auto h = run_sebind({"--se", uri, "random", "--hex", "1024"});
    ASSERT_EQ(h.exit_code, 0) << h.output;
    ASSERT_EQ(h.output.size(), 2049u);  // 1024 bytes in hex + newline
    auto bytes = sebind::from_hex(h.output.substr(0, 2048));
    ASSERT_TRUE(bytes);
    // The chunks must not repeat one another (a driver reusing its buffer would).
    EXPECT_FALSE(std::equal(bytes->begin(), bytes->begin() + 255, bytes->begin() + 255));
    auto js = run_sebind({"--se", uri, "--json", "random", "16"});
    ASSERT_EQ(js.exit_code, 0) << js.output;
    EXPECT_EQ(nlohmann::json::parse(js.output)["random"].get<std::string>().size(), 32u);
    EXPECT_EQ(run_sebind({"--se", uri, "random", "0"}).exit_code, 2);
    EXPECT_EQ(run_sebind({"--se", uri, "random", "1025"}).exit_code, 2);

    auto e = run_sebind({"--se", uri, "echo", "00ff10ab"});
    ASSERT_EQ(e.exit_code, 0) << e.output;
    EXPECT_EQ(e.output, "00ff10ab\n");
    const std::string big(1000, 'a');  // 500 bytes: the largest echo
    auto eb = run_sebind({"--se", uri, "echo", big});
    ASSERT_EQ(eb.exit_code, 0) << eb.output;
    EXPECT_EQ(eb.output, big + "\n");
    EXPECT_EQ(run_sebind({"--se", uri, "echo", "zz"}).exit_code, 2);
    EXPECT_EQ(run_sebind({"--se", uri, "echo", big + "aa"}).exit_code, 2);
}

TEST_F(Cli, FailuresAreOneLineWithDistinctCodes) {
    auto none = run_sebind({"info"});
    EXPECT_EQ(none.exit_code, 3);
    EXPECT_EQ(lines(none.output), 1) << none.output;
    EXPECT_NE(none.output.find("SEBIND_SE"), std::string::npos);
    EXPECT_NE(none.output.find("sebind emu init"), std::string::npos);

    auto bad_uri = run_sebind({"--se", "tcp://x", "info"});
    EXPECT_EQ(bad_uri.exit_code, 2);
    EXPECT_EQ(lines(bad_uri.output), 1) << bad_uri.output;

    auto no_daemon = run_sebind({"--se", "emud:" + dir.file("nobody.sock"), "info"});
    EXPECT_EQ(no_daemon.exit_code, 4);
    EXPECT_EQ(lines(no_daemon.output), 1) << no_daemon.output;
    EXPECT_NE(no_daemon.output.find("sebind-emud --socket"), std::string::npos);

    auto no_chip = run_sebind({"--se", "emu:" + dir.file("missing"), "info"});
    EXPECT_EQ(no_chip.exit_code, 6);
    EXPECT_NE(no_chip.output.find("sebind emu init"), std::string::npos);

    sebind::test::write_file(dir.file("se/chip.state"), std::string("garbage"));
    auto corrupt = run_sebind({"--se", uri, "info"});
    EXPECT_EQ(corrupt.exit_code, 11);
    EXPECT_EQ(lines(corrupt.output), 1) << corrupt.output;
}

TEST_F(Cli, DaemonServesTheSameChip) {
    const std::string sock = dir.file("emud.sock");
    // `sebind emu serve` execs sebind-emud in place (same PID), found next to sebind.
    const pid_t pid = sebind::test::start_ready(
        {SEBIND_BIN, "emu", "serve", "--socket", sock, "--ready-fd", "{ready}", dir.file("se")});
    ASSERT_GT(pid, 0);
    auto direct = run_sebind({"--se", uri, "--json", "info"});
    auto served = run_sebind({"--se", "emud:" + sock + "#se", "--json", "info"});
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_EQ(served.exit_code, 0) << served.output;
    EXPECT_EQ(nlohmann::json::parse(direct.output)["product"]["serial"],
              nlohmann::json::parse(served.output)["product"]["serial"]);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(Cli, ProvisioningFlowAndItsFailureCodes) {
    const std::string se = "--se=" + uri;
    // csr before keygen: nothing recorded for slot 1.
    auto early = run_sebind({se, "csr", "--subject", "CN=device-001"});
    EXPECT_EQ(early.exit_code, 6) << early.output;
    EXPECT_EQ(lines(early.output), 1) << early.output;

    auto kg = run_sebind({se, "keygen", "--curve", "p384", "-o", dir.file("pub.pem")});
    ASSERT_EQ(kg.exit_code, 0) << kg.output;
    auto pubtext = run({"openssl", "pkey", "-pubin", "-in", dir.file("pub.pem"), "-noout", "-text"});
    EXPECT_NE(pubtext.output.find("P-384"), std::string::npos) << pubtext.output;
    auto again = run_sebind({se, "keygen", "--curve", "p384"});
    EXPECT_EQ(again.exit_code, 7);
    EXPECT_NE(again.output.find("--force"), std::string::npos);

    ASSERT_EQ(run_sebind({se, "csr", "--subject", "CN=device-001,O=Acme", "--san", "dns:device-001.local", "-o",
                          dir.file("dev.csr")})
                  .exit_code,
              0);
    auto verify = run({"openssl", "req", "-verify", "-noout", "-in", dir.file("dev.csr")});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    ASSERT_EQ(run_sebind({"pki", "dev", "--out", dir.file("pki")}).exit_code, 0);
    EXPECT_EQ(run_sebind({"pki", "dev", "--out", dir.file("pki")}).exit_code, 7);
    ASSERT_EQ(
        run_sebind({"pki", "sign", "--ca", dir.file("pki"), dir.file("dev.csr"), "-o", dir.file("dev.crt")}).exit_code,
        0);

    sebind::test::write_file(dir.file("garbage.pem"),
                             std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
    auto garbage = run_sebind({se, "cert", "store", dir.file("garbage.pem")});
    EXPECT_EQ(garbage.exit_code, 8) << garbage.output;
    auto wrong_curve = run_sebind({se, "cert", "store", dir.file("pki/monitor.pem")});
    EXPECT_EQ(wrong_curve.exit_code, 8) << wrong_curve.output;
    auto readonly = run_sebind({se, "cert", "store", "--zone", "0", dir.file("dev.crt")});
    EXPECT_EQ(readonly.exit_code, 5) << readonly.output;
    auto too_large = run_sebind({se, "cert", "store", "--zone", "1", dir.file("dev.crt")});
    EXPECT_EQ(too_large.exit_code, 13) << too_large.output;
    for (const auto* r : {&garbage, &wrong_curve, &readonly, &too_large}) EXPECT_EQ(lines(r->output), 1) << r->output;

    auto stored = run_sebind({se, "cert", "store", dir.file("dev.crt")});
    ASSERT_EQ(stored.exit_code, 0) << stored.output;
    auto pair = run_sebind({se, "verify-pair", "--slot", "1"});
    EXPECT_EQ(pair.exit_code, 0) << pair.output;
    auto mismatch = run_sebind({se, "verify-pair", "--slot", "1", "--cert", dir.file("pki/monitor.pem")});
    EXPECT_EQ(mismatch.exit_code, 9) << mismatch.output;
    EXPECT_NE(mismatch.output.find("MISMATCH"), std::string::npos);
    auto shown = run_sebind({se, "--json", "cert", "show", "--zone", "4"});
    ASSERT_EQ(shown.exit_code, 0) << shown.output;
    EXPECT_EQ(nlohmann::json::parse(shown.output)["subject"], "CN=device-001, O=Acme");
    auto pem = run_sebind({se, "cert", "show", "--zone", "4", "--pem"});
    sebind::test::write_file(dir.file("back.pem"), pem.output);
    auto chain = run({"openssl", "verify", "-CAfile", dir.file("pki/ca.pem"), dir.file("back.pem")});
    EXPECT_EQ(chain.exit_code, 0) << chain.output;
}
