// SPDX-License-Identifier: Apache-2.0
// Development PKI: what create_dev_pki writes and what sign_csr issues, checked with the openssl
// CLI (verify -x509_strict, x509 -text), never with our own parser.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include <sys/stat.h>

#include "process.hpp"
#include "sebind/identity/dev_pki.hpp"
#include "sebind/identity/identity.hpp"

using namespace sebind;
using test::run;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
}

std::string x509_text(const std::string& file) {
    auto r = run({"openssl", "x509", "-in", file, "-noout", "-text"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
}

/// `key value` lines of mosquitto.conf (the last one wins, as in mosquitto).
std::map<std::string, std::string> conf_entries(const std::string& path) {
    std::map<std::string, std::string> out;
    std::istringstream in(test::read_text(path));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.find(' ');
        out[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(space + 1);
    }
    return out;
}

class DevPki : public ::testing::Test {
protected:
    std::string make(const identity::DevPkiOptions& o = {}) {
        std::string detail;
        const Status st = identity::create_dev_pki(dir.file("pki"), o, &detail);
        EXPECT_TRUE(st.ok()) << to_string(st.code()) << " " << detail;
        return dir.file("pki");
    }

    /// An openssl-made CSR (software key) with `subject` and optional -addext lines.
    std::string openssl_csr(const std::string& subject, const std::vector<std::string>& addext = {},
                            bool multivalue = false) {
        std::vector<std::string> args = {"openssl",
                                         "req",
                                         "-new",
                                         "-newkey",
                                         "ec",
                                         "-pkeyopt",
                                         "ec_paramgen_curve:P-256",
                                         "-nodes",
                                         "-keyout",
                                         dir.file("dev.key"),
                                         "-out",
                                         dir.file("dev.csr"),
                                         "-subj",
                                         subject};
        for (const auto& e : addext) args.insert(args.end(), {"-addext", e});
        if (multivalue) args.push_back("-multivalue-rdn");
        auto r = run(args);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return test::read_text(dir.file("dev.csr"));
    }

    std::string sign(const std::string& ca_dir, const std::string& csr, std::uint32_t days = 30) {
        std::string detail;
        auto crt = identity::sign_csr(ca_dir, csr, days, &detail);
        EXPECT_TRUE(crt) << to_string(crt.status().code()) << " " << detail;
        test::write_file(dir.file("dev.crt"), crt ? *crt : std::string());
        return dir.file("dev.crt");
    }

    Errc sign_error(const std::string& ca_dir, const std::string& csr, std::string* detail = nullptr) {
        auto crt = identity::sign_csr(ca_dir, csr, 30, detail);
        EXPECT_FALSE(crt);
        return crt ? Errc::ok : crt.status().code();
    }

    test::TempDir dir;
};

}  // namespace

TEST_F(DevPki, WritesEveryFileWithPrivateFilesOwnerOnly) {
    const std::string pki = make();
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(pki)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"README.txt", "acl", "broker.key", "broker.pem", "ca.key", "ca.pem",
                                               "monitor.key", "monitor.pem",
                                               "mosquitto.conf"}));  // no temporary files left behind
    for (const char* secret : {"ca.key", "broker.key", "monitor.key", "acl"})
        EXPECT_EQ(mode_of(pki + "/" + secret), 0600u) << secret;
    for (const char* open : {"ca.pem", "broker.pem", "monitor.pem", "mosquitto.conf"})
        EXPECT_EQ(mode_of(pki + "/" + open), 0644u) << open;
    auto key = run({"openssl", "pkey", "-in", pki + "/ca.key", "-noout"});
    EXPECT_EQ(key.exit_code, 0) << key.output;
}

TEST_F(DevPki, BrokerCertificateCarriesTheNamesAndVerifies) {
    identity::DevPkiOptions o;
    o.hosts = {"broker.lan", "10.1.2.3", "::1", "localhost"};
    const std::string pki = make(o);
    const std::string text = x509_text(pki + "/broker.pem");
    for (const char* san : {"DNS:localhost", "DNS:broker.lan", "IP Address:127.0.0.1", "IP Address:10.1.2.3",
                            "IP Address:0:0:0:0:0:0:0:1"})
        EXPECT_NE(text.find(san), std::string::npos) << san << "\n" << text;
    EXPECT_EQ(text.find("DNS:localhost, DNS:localhost"), std::string::npos) << "duplicate SAN";
    EXPECT_NE(text.find("TLS Web Server Authentication"), std::string::npos) << text;

    auto verify = [&](const std::vector<std::string>& extra, const std::string& file) {
        std::vector<std::string> args = {"openssl", "verify", "-x509_strict", "-CAfile", pki + "/ca.pem"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(file);
        return run(args);
    };
    for (const auto& extra :
         std::vector<std::vector<std::string>>{{"-purpose", "sslserver", "-verify_hostname", "localhost"},
                                               {"-purpose", "sslserver", "-verify_hostname", "broker.lan"},
                                               {"-purpose", "sslserver", "-verify_ip", "127.0.0.1"}}) {
        auto r = verify(extra, pki + "/broker.pem");
        EXPECT_EQ(r.exit_code, 0) << extra.back() << ": " << r.output;
    }
    EXPECT_NE(verify({"-verify_hostname", "elsewhere.lan"}, pki + "/broker.pem").exit_code, 0);
    EXPECT_NE(verify({"-purpose", "sslclient"}, pki + "/broker.pem").exit_code, 0);  // a server, not a client
    auto monitor = verify({"-purpose", "sslclient"}, pki + "/monitor.pem");
    EXPECT_EQ(monitor.exit_code, 0) << monitor.output;
    auto subject = run({"openssl", "x509", "-in", pki + "/monitor.pem", "-noout", "-subject"});
    EXPECT_NE(subject.output.find("CN = monitor"), std::string::npos) << subject.output;
}

TEST_F(DevPki, P384OptionUsesP384AndSha384Throughout) {
    identity::DevPkiOptions o;
    o.curve = identity::DevPkiCurve::p384;
    const std::string pki = make(o);
    for (const char* f : {"ca.pem", "broker.pem", "monitor.pem"}) {
        const std::string text = x509_text(pki + "/" + f);
        EXPECT_NE(text.find("NIST CURVE: P-384"), std::string::npos) << f;
        EXPECT_NE(text.find("ecdsa-with-SHA384"), std::string::npos) << f;
    }
    auto r = run({"openssl", "verify", "-x509_strict", "-CAfile", pki + "/ca.pem", pki + "/broker.pem"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(DevPki, MosquittoConfigNamesExistingFilesAndTheListener) {
    identity::DevPkiOptions o;
    o.port = 18884;
    o.listen_address = "0.0.0.0";
    const std::string pki = make(o);
    auto conf = conf_entries(pki + "/mosquitto.conf");
    EXPECT_EQ(conf["listener"], "18884 0.0.0.0");
    for (const char* key : {"cafile", "certfile", "keyfile", "acl_file"}) {
        ASSERT_FALSE(conf[key].empty()) << key;
        EXPECT_EQ(conf[key][0], '/') << key << " must be absolute: " << conf[key];
        EXPECT_TRUE(fs::exists(conf[key])) << conf[key];
    }
    EXPECT_EQ(fs::path(conf["cafile"]).filename(), "ca.pem");
    EXPECT_EQ(fs::path(conf["keyfile"]).filename(), "broker.key");
    EXPECT_EQ(conf["require_certificate"], "true");
    EXPECT_EQ(conf["use_identity_as_username"], "true");
    EXPECT_EQ(conf["allow_anonymous"], "false");
    EXPECT_EQ(conf["tls_version"], "tlsv1.2");
    EXPECT_EQ(conf["persistence"], "false");
    const std::string acl = test::read_text(conf["acl_file"]);
    EXPECT_NE(acl.find("pattern readwrite devices/%u/#"), std::string::npos) << acl;
    EXPECT_NE(acl.find("user monitor\ntopic read devices/#"), std::string::npos) << acl;
    EXPECT_NE(
        test::read_text(pki + "/README.txt").find("mosquitto -c " + fs::canonical(pki).string() + "/mosquitto.conf"),
        std::string::npos);
}

TEST_F(DevPki, RefusesANonEmptyDirectoryUnlessForced) {
    fs::create_directories(dir.file("pki"));  // an existing empty directory is fine
    const std::string pki = make();
    const std::string ca_before = test::read_text(pki + "/ca.pem");
    test::write_file(pki + "/notes.txt", std::string("mine"));
    std::string detail;
    EXPECT_EQ(identity::create_dev_pki(pki, {}, &detail).code(), Errc::already_exists);
    EXPECT_NE(detail.find("not empty"), std::string::npos) << detail;
    EXPECT_EQ(test::read_text(pki + "/ca.pem"), ca_before);

    identity::DevPkiOptions o;
    o.force = true;
    ASSERT_TRUE(identity::create_dev_pki(pki, o).ok());
    EXPECT_NE(test::read_text(pki + "/ca.pem"), ca_before);
    EXPECT_EQ(test::read_text(pki + "/notes.txt"), "mine");
    test::write_file(dir.file("plain"), std::string("x"));
    EXPECT_EQ(identity::create_dev_pki(dir.file("plain"), o).code(), Errc::already_exists);
}

TEST_F(DevPki, RejectsUnusableArgumentsBeforeWritingAnything) {
    for (const std::string host : {"bad host", "-dash.lan", "a..b", "", "x.lan\nlistener 1"}) {
        identity::DevPkiOptions o;
        o.hosts = {host};
        std::string detail;
        EXPECT_EQ(identity::create_dev_pki(dir.file("pki"), o, &detail).code(), Errc::invalid_argument) << host;
        EXPECT_FALSE(fs::exists(dir.file("pki"))) << host;
    }
    identity::DevPkiOptions days;
    days.days = 0;
    EXPECT_EQ(identity::create_dev_pki(dir.file("pki"), days).code(), Errc::invalid_argument);
    identity::DevPkiOptions listen;
    listen.listen_address = "127.0.0.1\nallow_anonymous true";
    EXPECT_EQ(identity::create_dev_pki(dir.file("pki"), listen).code(), Errc::invalid_argument);
    EXPECT_EQ(identity::create_dev_pki(dir.file("pki\nx"), {}).code(), Errc::invalid_argument);
    EXPECT_FALSE(fs::exists(dir.file("pki")));
}

TEST_F(DevPki, SignedCertificateKeepsSubjectAndNamesAndVerifies) {
    const std::string pki = make();
    const std::string csr = openssl_csr(
        "/C=DE/O=Acme, Inc./OU=a/OU=b/CN=device-1",
        {"subjectAltName=DNS:device-1.local,IP:10.0.0.7,URI:urn:dev:1,email:ops@acme.test,"
         "otherName:1.2.3.4;UTF8:dropped"});
    const std::string crt = sign(pki, csr, 30);
    auto subject_of = [&](const std::vector<std::string>& cmd) { return run(cmd).output; };
    EXPECT_EQ(subject_of({"openssl", "x509", "-in", crt, "-noout", "-subject", "-nameopt", "RFC2253"}),
              subject_of({"openssl", "req", "-in", dir.file("dev.csr"), "-noout", "-subject", "-nameopt", "RFC2253"}));
    const std::string text = x509_text(crt);
    EXPECT_NE(text.find("DNS:device-1.local, IP Address:10.0.0.7, URI:urn:dev:1, email:ops@acme.test"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("dropped"), std::string::npos) << text;
    EXPECT_NE(text.find("TLS Web Client Authentication"), std::string::npos) << text;
    EXPECT_NE(text.find("X509v3 Key Usage: critical\n                Digital Signature\n"), std::string::npos) << text;
    EXPECT_NE(text.find("CA:FALSE"), std::string::npos) << text;

    auto ok = run({"openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", pki + "/ca.pem", crt});
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(run({"openssl", "verify", "-purpose", "sslserver", "-CAfile", pki + "/ca.pem", crt}).exit_code, 0);
    // Valid for 30 days from now: not expiring within 29 days 23 h, expired after 30 days 1 h.
    EXPECT_EQ(run({"openssl", "x509", "-in", crt, "-noout", "-checkend", std::to_string(30 * 86400 - 3600)}).exit_code,
              0);
    EXPECT_EQ(run({"openssl", "x509", "-in", crt, "-noout", "-checkend", std::to_string(30 * 86400 + 3600)}).exit_code,
              1);

    // Random serials; DER input accepted too.
    const std::string serial1 = run({"openssl", "x509", "-in", crt, "-noout", "-serial"}).output;
    ASSERT_EQ(
        run({"openssl", "req", "-in", dir.file("dev.csr"), "-outform", "DER", "-out", dir.file("dev.der")}).exit_code,
        0);
    const std::string crt2 = sign(pki, test::read_text(dir.file("dev.der")));
    EXPECT_NE(run({"openssl", "x509", "-in", crt2, "-noout", "-serial"}).output, serial1);
}

TEST_F(DevPki, TamperedOrGarbageRequestsAreRefused) {
    const std::string pki = make();
    openssl_csr("/CN=device-1/O=Acme");
    ASSERT_EQ(
        run({"openssl", "req", "-in", dir.file("dev.csr"), "-outform", "DER", "-out", dir.file("dev.der")}).exit_code,
        0);
    const std::string der = test::read_text(dir.file("dev.der"));
    std::string subject_changed = der;
    subject_changed[subject_changed.find("device-1") + 7] = '2';
    std::string detail;
    EXPECT_EQ(sign_error(pki, subject_changed, &detail), Errc::invalid_signature);
    EXPECT_NE(detail.find("signature"), std::string::npos) << detail;
    std::string signature_changed = der;
    signature_changed.back() = static_cast<char>(signature_changed.back() ^ 0x01);
    EXPECT_EQ(sign_error(pki, signature_changed), Errc::invalid_signature);
    EXPECT_EQ(sign_error(pki, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
              Errc::invalid_argument);
    EXPECT_EQ(sign_error(pki, ""), Errc::invalid_argument);
    EXPECT_EQ(sign_error(pki, der.substr(0, der.size() / 2)), Errc::invalid_argument);
    auto zero_days = identity::sign_csr(pki, der, 0);
    EXPECT_EQ(zero_days.status().code(), Errc::invalid_argument);
}

TEST_F(DevPki, NamesThatCannotBeAnMqttUsernameAreRefused) {
    const std::string pki = make();
    struct Case {
        std::string subject;
        bool multivalue;
    };
    for (const Case& c :
         {Case{"/CN=monitor", false}, Case{"/CN=a\\/b", false}, Case{"/CN=dev#1", false}, Case{"/CN=dev\\+1", false},
          Case{"/O=Acme", false}, Case{"/CN=one/CN=two", false}, Case{"/CN=dev+serialNumber=42", true}}) {
        const std::string csr = openssl_csr(c.subject, {}, c.multivalue);
        std::string detail;
        EXPECT_EQ(sign_error(pki, csr, &detail), Errc::not_supported) << c.subject;
        EXPECT_FALSE(detail.empty()) << c.subject;
    }
}

TEST(CsrSubject, RefusesWhatTheSignerRefuses) {
    // identity::check_subject (used by `sebind csr`) applies the rules sign_csr applies above.
    EXPECT_TRUE(identity::check_subject("CN=device-001,O=Acme").ok());
    for (const std::string& subject :
         std::vector<std::string>{"CN=a/b", "CN=dev#1", "CN=dev+1", "O=Acme", "no equals sign", "CN=a\x01z",
                                  "CN=dev,O=Ac\x7Fme", "CN=dev\tice"}) {
        std::string detail;
        EXPECT_EQ(identity::check_subject(subject, &detail).code(), Errc::not_supported) << subject;
        EXPECT_FALSE(detail.empty()) << subject;
        EXPECT_EQ(detail.find_first_of(std::string("\x01\x7F\t", 3)), std::string::npos)
            << "raw control character in: " << detail;
    }
    EXPECT_EQ(identity::check_subject("").code(), Errc::invalid_argument);
}

TEST_F(DevPki, AnotherCasDirectoryWorksAndItsKeyIdentifierIsKept) {
    // An openssl CA whose subjectKeyIdentifier is not the SHA-1 that mbedTLS would compute.
    const std::string own = dir.file("own");
    fs::create_directories(own);
    ASSERT_EQ(
        run({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", own + "/ca.key"})
            .exit_code,
        0);
    ASSERT_EQ(
        run({"openssl", "req", "-new", "-key", own + "/ca.key", "-subj", "/CN=Own CA/O=Own", "-out", own + "/ca.csr"})
            .exit_code,
        0);
    test::write_file(own + "/ext.cnf",
                     std::string("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                                 "subjectKeyIdentifier=0102030405060708\n"));
    auto ca = run({"openssl", "x509", "-req", "-in", own + "/ca.csr", "-signkey", own + "/ca.key", "-days", "5",
                   "-extfile", own + "/ext.cnf", "-out", own + "/ca.pem"});
    ASSERT_EQ(ca.exit_code, 0) << ca.output;

    const std::string crt = sign(own, openssl_csr("/CN=device-7"));
    auto aki = run({"openssl", "x509", "-in", crt, "-noout", "-ext", "authorityKeyIdentifier"});
    EXPECT_NE(aki.output.find("01:02:03:04:05:06:07:08"), std::string::npos) << aki.output;
    auto ok = run({"openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", own + "/ca.pem", crt});
    EXPECT_EQ(ok.exit_code, 0) << ok.output;

    // A key that is not the CA's, a leaf certificate as "CA", no CA at all.
    const std::string csr = openssl_csr("/CN=device-8");
    const std::string pki = make();
    fs::copy_file(pki + "/ca.key", own + "/ca.key", fs::copy_options::overwrite_existing);
    EXPECT_EQ(sign_error(own, csr), Errc::corrupted_data);
    const std::string leaf = dir.file("leaf");
    fs::create_directories(leaf);
    fs::copy_file(pki + "/monitor.pem", leaf + "/ca.pem");
    fs::copy_file(pki + "/monitor.key", leaf + "/ca.key");
    EXPECT_EQ(sign_error(leaf, csr), Errc::not_permitted);
    EXPECT_EQ(sign_error(dir.file("nothing"), csr), Errc::does_not_exist);
}
