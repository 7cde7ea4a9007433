// SPDX-License-Identifier: Apache-2.0
// `sebind pki dev|sign`: a development CA and mosquitto broker setup for local testing, and CSR
// signing with that CA (or any CA certificate + key placed in a directory as ca.pem / ca.key).
#include <cstdio>
#include <filesystem>

#include <mbedtls/x509_crt.h>
#include <nlohmann/json.hpp>

#include "identity_cli.hpp"
#include "sebind/identity/dev_pki.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"

namespace sebind::cli {

namespace {

struct DevArgs {
    std::string out;
    std::vector<std::string> hosts;
    std::string listen = "127.0.0.1";
    std::string curve = "p256";
    unsigned port = 8883;
    unsigned days = 825;
    bool force = false;
};

struct SignArgs {
    std::string ca, csr, out;
    unsigned days = 365;
};

void run_dev(const DevArgs& a, const GlobalOptions& global) {
    identity::DevPkiOptions o;
    o.hosts = a.hosts;
    o.listen_address = a.listen;
    o.port = static_cast<std::uint16_t>(a.port);
    o.days = a.days;
    o.curve = a.curve == "p384" ? identity::DevPkiCurve::p384 : identity::DevPkiCurve::p256;
    o.force = a.force;
    std::error_code ec;
    const bool replacing = std::filesystem::exists(a.out + "/ca.pem", ec);
    std::string detail;
    const Status st = identity::create_dev_pki(a.out, o, &detail);
    switch (st.code()) {
        case Errc::ok: break;
        case Errc::already_exists:
            throw Failure(Exit::already_exists,
                          detail + " — use an empty or new directory, or --force to replace the PKI in it");
        case Errc::invalid_argument:
            throw Failure(Exit::invalid_input, detail + " — fix the argument (`sebind pki dev --help`)");
        case Errc::storage_failure:
            throw Failure(Exit::storage, detail + " — check the path is writable and the disk is not full");
        default: fail(st, "pki dev " + a.out + (detail.empty() ? "" : " (" + detail + ")"));
    }
    const std::string dir = std::filesystem::canonical(a.out, ec).string();
    if (replacing)
        std::fprintf(stderr, "sebind: replaced the CA in %s: certificates signed by the old one no longer verify\n",
                     dir.c_str());
    if (global.json) {
        const nlohmann::json j = {
            {"dir", dir},         {"ca", dir + "/ca.pem"}, {"mosquitto_conf", dir + "/mosquitto.conf"},
            {"listen", a.listen}, {"port", a.port},        {"replaced", replacing}};
        std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return;
    }
    std::printf("development PKI in %s (see README.txt there):\n", dir.c_str());
    std::printf("  ca.pem ca.key(0600)  broker.pem broker.key  monitor.pem monitor.key  acl  mosquitto.conf\n");
    std::printf("start the broker:  mosquitto -c %s/mosquitto.conf   (mutual TLS on %s:%u)\n", dir.c_str(),
                a.listen.c_str(), a.port);
    std::printf("sign a device CSR: sebind pki sign --ca %s device.csr -o device.crt\n", dir.c_str());
    std::printf(
        "devices connect to 'localhost', a --host name or 127.0.0.1 (the names the broker certificate carries)\n");
}

/// Reads the issued certificate back for the summary (subject, serial, expiry, SANs).
nlohmann::json describe(const std::string& pem) {
    nlohmann::json j;
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse(&crt, reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1) == 0) {
        char buf[1024];
        if (mbedtls_x509_dn_gets(buf, sizeof buf, &crt.subject) > 0) j["subject"] = buf;
        if (mbedtls_x509_serial_gets(buf, sizeof buf, &crt.serial) > 0) j["serial"] = buf;
        j["not_after"] = mbedtls_util::iso_time(crt.valid_to);
        j["dns_names"] = nlohmann::json::array();
        for (const mbedtls_x509_sequence* s = &crt.subject_alt_names; s && s->buf.p; s = s->next)
            if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2))
                j["dns_names"].push_back(std::string(reinterpret_cast<const char*>(s->buf.p), s->buf.len));
    }
    mbedtls_x509_crt_free(&crt);
    return j;
}

void run_sign(const SignArgs& a, const GlobalOptions& global) {
    const std::string csr = read_file_or_fail(a.csr, "a certificate request");
    OutputFile output(a.out);
    std::string detail;
    auto pem = identity::sign_csr(a.ca, csr, a.days, &detail);
    if (!pem) {
        switch (pem.status().code()) {
            case Errc::does_not_exist:
                throw Failure(Exit::not_found, detail + " — create a CA with `sebind pki dev --out " + a.ca +
                                                   "` or put ca.pem + ca.key there");
            case Errc::corrupted_data:
                throw Failure(Exit::invalid_input,
                              detail + " — recreate the CA with `sebind pki dev --force` or fix the files");
            case Errc::not_permitted:
                throw Failure(Exit::invalid_input, detail + " — point --ca at a CA certificate's directory");
            case Errc::invalid_signature:
                throw Failure(Exit::invalid_input,
                              a.csr + ": " + detail + " — regenerate the request with `sebind csr`");
            case Errc::invalid_argument:
                throw Failure(Exit::invalid_input,
                              a.csr + ": " + detail + " — pass the request made by `sebind csr` (PEM or DER)");
            case Errc::not_supported:
                throw Failure(
                    Exit::invalid_input,
                    a.csr + ": " + detail + " — regenerate it with a plain subject such as \"CN=device-001,O=Acme\"");
            default: fail(pem.status(), "pki sign " + a.csr + (detail.empty() ? "" : " (" + detail + ")"));
        }
    }
    output.write_or_fail(*pem);
    nlohmann::json j = describe(*pem);
    j["file"] = a.out;
    if (global.json) {
        std::printf("%s\n", j.dump(2).c_str());
        return;
    }
    std::string names;
    for (const auto& n : j["dns_names"]) names += (names.empty() ? "" : ", ") + n.get<std::string>();
    std::printf("%s: %s, serial %s, valid until %s%s\n", a.out.c_str(), j.value("subject", "?").c_str(),
                j.value("serial", "?").c_str(), j.value("not_after", "?").c_str(),
                names.empty() ? "" : (", DNS " + names).c_str());
}

}  // namespace

void add_pki_commands(CLI::App& app, GlobalOptions& global) {
    auto* pki = app.add_subcommand("pki", "Development PKI: a CA, a broker certificate, mosquitto config; CSR signing");
    pki->require_subcommand(1);

    auto da = std::make_shared<DevArgs>();
    auto* dev = pki->add_subcommand(
        "dev", "Create a development CA, broker + monitor certificates, an ACL and mosquitto.conf");
    dev->add_option("--out", da->out, "Directory to create (or an empty one)")->required();
    dev->add_option("--host", da->hosts,
                    "Extra broker name: DNS name or IP address (repeatable; localhost and 127.0.0.1 are always in)");
    dev->add_option("--port", da->port, "mosquitto listener port")
        ->check(CLI::Range(1u, 65535u))
        ->capture_default_str();
    dev->add_option("--listen", da->listen, "mosquitto listener bind address")->capture_default_str();
    dev->add_option("--curve", da->curve, "Curve of the CA, broker and monitor keys")
        ->check(CLI::IsMember({"p256", "p384"}))
        ->capture_default_str();
    dev->add_option("--days", da->days, "Validity of the broker and monitor certificates (the CA: one year more)")
        ->check(CLI::Range(1u, 36500u))
        ->capture_default_str();
    dev->add_flag("--force", da->force,
                  "Write into a non-empty directory, replacing an existing PKI (its certificates stop verifying)");
    dev->callback([da, &global] { run_dev(*da, global); });

    auto sa = std::make_shared<SignArgs>();
    auto* sign = pki->add_subcommand("sign", "Sign a CSR with the CA in a directory (ca.pem + ca.key)");
    sign->add_option("--ca", sa->ca, "Directory of `sebind pki dev` (or any ca.pem + ca.key)")->required();
    sign->add_option("csr", sa->csr, "CSR file (PEM or DER)")->required();
    sign->add_option("--days", sa->days, "Validity")->check(CLI::Range(1u, 36500u))->capture_default_str();
    sign->add_option("-o,--out", sa->out, "Certificate output (PEM)")->required();
    sign->callback([sa, &global] { run_sign(*sa, global); });
}

}  // namespace sebind::cli
