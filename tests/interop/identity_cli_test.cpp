// SPDX-License-Identifier: Apache-2.0
// The provisioning flow of docs/provisioning.md as a user types it: the real `sebind` binary on
// an emulated chip, a CA made and run with the real openssl CLI (x509 -req and ca), and the
// exit codes and one-line messages of every refusal.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "process.hpp"

using sebind::test::read_text;
using sebind::test::run;
using sebind::test::RunResult;
using sebind::test::TempDir;
using sebind::test::write_file;

namespace {

RunResult run_sebind(std::vector<std::string> args) {
    args.insert(args.begin(), SEBIND_BIN);
    return run(args);
}

int lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

class IdentityCli : public ::testing::Test {
protected:
    void SetUp() override {
        ::unsetenv("SEBIND_SE");
        ASSERT_EQ(run_sebind({"emu", "init", dir.file("se")}).exit_code, 0);
        se = "--se=emu:" + dir.file("se");
        // A throwaway CA, as a user's own would be.
        auto ca = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                       "-keyout", dir.file("ca.key"), "-out", dir.file("ca.pem"), "-subj", "/CN=Acme device CA",
                       "-days", "30"});
        ASSERT_EQ(ca.exit_code, 0) << ca.output;
    }

    /// `openssl ca` with explicit dates (x509 -req cannot back-date).
    RunResult openssl_ca(const std::string& csr, const std::string& out, const std::string& start,
                         const std::string& end) {
        return sebind::test::openssl_ca_sign(dir.file("ca-db"), dir.file("ca.pem"), dir.file("ca.key"), csr, out, start,
                                             end);
    }

    TempDir dir;
    std::string se;
};

}  // namespace

TEST_F(IdentityCli, P384FlowWithTheUsersOwnCa) {
    auto kg = run_sebind({se, "keygen", "--slot", "1", "--curve", "p384", "--json"});
    ASSERT_EQ(kg.exit_code, 0) << kg.output;
    const auto j = nlohmann::json::parse(kg.output);
    EXPECT_EQ(j["curve"], "P-384");
    EXPECT_EQ(j["bits"], 384);
    write_file(dir.file("pub.pem"), j["public_key_pem"].get<std::string>());
    auto pub = run({"openssl", "pkey", "-pubin", "-in", dir.file("pub.pem"), "-noout", "-text"});
    EXPECT_NE(pub.output.find("NIST CURVE: P-384"), std::string::npos) << pub.output;

    auto again = run_sebind({se, "keygen", "--curve", "p256"});
    EXPECT_EQ(again.exit_code, 7);
    EXPECT_EQ(lines(again.output), 1) << again.output;
    EXPECT_NE(again.output.find("--force"), std::string::npos);
    EXPECT_NE(again.output.find("certificate"), std::string::npos);  // says what would be lost

    ASSERT_EQ(run_sebind({se, "csr", "--slot", "1", "--subject", "CN=device-001,O=Acme", "--san",
                          "dns:device-001.local", "-o", dir.file("dev.csr")})
                  .exit_code,
              0);
    auto verify = run({"openssl", "req", "-verify", "-noout", "-in", dir.file("dev.csr")});
    ASSERT_EQ(verify.exit_code, 0) << verify.output;
    auto signed_ = run({"openssl", "x509", "-req", "-in", dir.file("dev.csr"), "-CA", dir.file("ca.pem"), "-CAkey",
                        dir.file("ca.key"), "-CAcreateserial", "-days", "30", "-out", dir.file("dev.crt")});
    ASSERT_EQ(signed_.exit_code, 0) << signed_.output;

    // A chain file (leaf + CA): the leaf is stored, the rest reported.
    write_file(dir.file("chain.pem"), read_text(dir.file("dev.crt")) + read_text(dir.file("ca.pem")));
    auto stored = run_sebind({se, "cert", "store", "--zone", "4", "--slot", "1", dir.file("chain.pem")});
    ASSERT_EQ(stored.exit_code, 0) << stored.output;
    EXPECT_NE(stored.output.find("1 more certificate"), std::string::npos) << stored.output;

    auto pair = run_sebind({se, "verify-pair", "--slot", "1", "--zone", "4"});
    EXPECT_EQ(pair.exit_code, 0) << pair.output;
    auto from_file = run_sebind({se, "verify-pair", "--slot", "1", "--cert", dir.file("dev.crt")});
    EXPECT_EQ(from_file.exit_code, 0) << from_file.output;

    auto shown = run_sebind({se, "cert", "show", "--zone", "4", "--json"});  // --json after the subcommand
    ASSERT_EQ(shown.exit_code, 0) << shown.output;
    const auto c = nlohmann::json::parse(shown.output);
    EXPECT_EQ(c["subject"], "CN=device-001, O=Acme");
    EXPECT_EQ(c["issuer"], "CN=Acme device CA");
    EXPECT_EQ(c["layout"], "sebind");
    auto pem = run_sebind({se, "cert", "show", "--zone", "4", "--pem"});
    write_file(dir.file("back.pem"), pem.output);
    auto chain = run({"openssl", "verify", "-CAfile", dir.file("ca.pem"), dir.file("back.pem")});
    EXPECT_EQ(chain.exit_code, 0) << chain.output;
    auto same = run({"cmp", dir.file("back.pem"), dir.file("dev.crt")});
    EXPECT_EQ(same.exit_code, 0) << "cert show --pem is not the stored certificate";
}

TEST_F(IdentityCli, ExpiredCertificateFromOpensslCaNeedsForce) {
    ASSERT_EQ(run_sebind({se, "keygen", "--curve", "p256"}).exit_code, 0);
    ASSERT_EQ(run_sebind({se, "csr", "--subject", "CN=device-002", "-o", dir.file("dev.csr")}).exit_code, 0);
    auto good = openssl_ca(dir.file("dev.csr"), dir.file("good.crt"), "20240101000000Z", "20491231000000Z");
    ASSERT_EQ(good.exit_code, 0) << good.output;
    ASSERT_EQ(run_sebind({se, "cert", "store", dir.file("good.crt")}).exit_code, 0);
    auto expired = openssl_ca(dir.file("dev.csr"), dir.file("old.crt"), "20200101000000Z", "20210101000000Z");
    ASSERT_EQ(expired.exit_code, 0) << expired.output;

    const auto before = run_sebind({se, "cert", "show", "--zone", "4", "--pem"}).output;
    auto refused = run_sebind({se, "cert", "store", dir.file("old.crt")});
    EXPECT_EQ(refused.exit_code, 12) << refused.output;
    EXPECT_EQ(lines(refused.output), 1) << refused.output;
    EXPECT_NE(refused.output.find("--force"), std::string::npos);
    EXPECT_EQ(run_sebind({se, "cert", "show", "--zone", "4", "--pem"}).output, before);  // unchanged

    auto forced = run_sebind({se, "cert", "store", "--force", dir.file("old.crt")});
    EXPECT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_NE(forced.output.find("warning"), std::string::npos) << forced.output;
    auto shown = run_sebind({se, "cert", "show", "--zone", "4"});
    EXPECT_NE(shown.output.find("EXPIRED"), std::string::npos) << shown.output;
}

TEST_F(IdentityCli, ChipErrorIsNotReportedAsMismatch) {
    // Two signatures allowed: the CSR and one pairing check; the chip refuses the next (0x0B).
    ASSERT_EQ(run_sebind({se, "keygen", "--curve", "p256", "--usage-limit", "2"}).exit_code, 0);
    ASSERT_EQ(run_sebind({se, "csr", "--subject", "CN=device-003", "-o", dir.file("dev.csr")}).exit_code, 0);
    ASSERT_EQ(run({"openssl", "x509", "-req", "-in", dir.file("dev.csr"), "-CA", dir.file("ca.pem"), "-CAkey",
                   dir.file("ca.key"), "-CAcreateserial", "-days", "30", "-out", dir.file("dev.crt")})
                  .exit_code,
              0);
    EXPECT_EQ(run_sebind({se, "verify-pair", "--cert", dir.file("dev.crt")}).exit_code, 0);
    auto refused = run_sebind({se, "verify-pair", "--cert", dir.file("dev.crt")});
    EXPECT_EQ(refused.exit_code, 5) << refused.output;
    EXPECT_EQ(refused.output.find("MISMATCH"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("0x0B"), std::string::npos) << refused.output;
    EXPECT_EQ(lines(refused.output), 1) << refused.output;

    // A certificate for another key on the same curve: a mismatch (exit 9), not a chip error.
    ASSERT_EQ(run_sebind({se, "keygen", "--curve", "p256", "--force"}).exit_code, 0);
    auto mismatch = run_sebind({se, "verify-pair", "--cert", dir.file("dev.crt")});
    EXPECT_EQ(mismatch.exit_code, 9) << mismatch.output;
    EXPECT_NE(mismatch.output.find("MISMATCH"), std::string::npos) << mismatch.output;
    auto store = run_sebind({se, "cert", "store", dir.file("dev.crt")});
    EXPECT_EQ(store.exit_code, 9) << store.output;
    EXPECT_EQ(lines(store.output), 1) << store.output;
}

TEST_F(IdentityCli, OpensslSubjectFormAndDnsAndIpSansAsOpensslReadsThem) {
    ASSERT_EQ(run_sebind({se, "keygen", "--slot", "1", "--curve", "p256"}).exit_code, 0);
    auto csr = run_sebind({se, "csr", "--subject", "/CN=device-010/O=Acme, Inc./OU=a\\/b", "--san",
                           "DNS:device-010.example", "--san", "IP:192.0.2.7", "--san", "ip:2001:db8::7", "--san",
                           "dns:device-010.local", "-o", dir.file("dev.csr")});
    ASSERT_EQ(csr.exit_code, 0) << csr.output;
    // openssl checks the chip's signature and shows the subject in the order given, IPs as iPAddress.
    auto text = run(
        {"openssl", "req", "-in", dir.file("dev.csr"), "-noout", "-text", "-verify", "-nameopt", "RFC2253"});
    ASSERT_EQ(text.exit_code, 0) << text.output;
    EXPECT_NE(text.output.find("verify OK"), std::string::npos) << text.output;
    EXPECT_NE(text.output.find("Subject: OU=a/b,O=Acme\\, Inc.,CN=device-010"), std::string::npos) << text.output;
    EXPECT_NE(
        text.output.find(
            "DNS:device-010.example, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:7, DNS:device-010.local"),
        std::string::npos)
        << text.output;
    // `pki sign` copies them into the certificate.
    ASSERT_EQ(run_sebind({se, "pki", "dev", "--out", dir.file("pki")}).exit_code, 0);
    ASSERT_EQ(
        run_sebind({"pki", "sign", "--ca", dir.file("pki"), dir.file("dev.csr"), "-o", dir.file("dev.crt")}).exit_code,
        0);
    auto crt = run({"openssl", "x509", "-in", dir.file("dev.crt"), "-noout", "-ext", "subjectAltName"});
    EXPECT_NE(crt.output.find("IP Address:192.0.2.7"), std::string::npos) << crt.output;

    // Mistakes: a name without DNS:/IP:, an address that is not one, an OpenSSL subject with no '='.
    auto bare = run_sebind({se, "csr", "--subject", "/CN=x", "--san", "device.example"});
    EXPECT_EQ(bare.exit_code, 8) << bare.output;
    EXPECT_NE(bare.output.find("is not DNS:NAME or IP:ADDRESS"), std::string::npos) << bare.output;
    auto bad_ip = run_sebind({se, "csr", "--subject", "/CN=x", "--san", "IP:192.0.2.300"});
    EXPECT_EQ(bad_ip.exit_code, 8) << bad_ip.output;
    EXPECT_NE(bad_ip.output.find("IP: an IPv4/IPv6 address"), std::string::npos) << bad_ip.output;
    EXPECT_EQ(lines(bad_ip.output), 1) << bad_ip.output;
    EXPECT_EQ(run_sebind({se, "csr", "--subject", "/CN"}).exit_code, 8);
}
