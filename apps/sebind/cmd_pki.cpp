// SPDX-License-Identifier: Apache-2.0
// `sebind pki dev|sign`: a development CA and broker for local testing, and CSR signing.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli.hpp"
#include "sebind/identity/dev_pki.hpp"

namespace sebind::cli {

void add_pki_commands(CLI::App& app, GlobalOptions&) {
    auto* pki = app.add_subcommand("pki", "Development PKI: a CA, a broker certificate, mosquitto config; CSR signing");
    pki->require_subcommand(1);

    struct DevArgs {
        std::string out;
        std::vector<std::string> hosts;
        unsigned port = 8883;
        unsigned days = 825;
        bool force = false;
    };
    auto da = std::make_shared<DevArgs>();
    auto* dev = pki->add_subcommand("dev", "Create ca.pem, broker.pem (SAN localhost + --host), monitor.pem and mosquitto.conf");
    dev->add_option("--out", da->out, "Directory")->required();
    dev->add_option("--host", da->hosts, "Extra DNS name for the broker certificate (repeatable)");
    dev->add_option("--port", da->port, "Listener port in mosquitto.conf")->check(CLI::Range(1u, 65535u));
    dev->add_option("--days", da->days, "Validity")->check(CLI::Range(1u, 36500u));
    dev->add_flag("--force", da->force, "Overwrite an existing PKI in the directory");
    dev->callback([da] {
        identity::DevPkiOptions o;
        o.hosts = da->hosts;
        o.port = static_cast<std::uint16_t>(da->port);
        o.days = da->days;
        o.force = da->force;
        Status st = identity::create_dev_pki(da->out, o);
        if (st.code() == Errc::already_exists)
            throw Failure(Exit::already_exists, da->out + " already holds a PKI — use another directory or --force");
        check(st, "pki dev " + da->out);
        std::printf("development PKI in %s: ca.pem, broker.pem (SAN localhost), monitor.pem, mosquitto.conf\n", da->out.c_str());
        std::printf("start the broker: mosquitto -c %s/mosquitto.conf\n", da->out.c_str());
        std::printf("note: mbedTLS 2.28 matches DNS names only — clients connect to 'localhost', not 127.0.0.1\n");
    });

    struct SignArgs {
        std::string ca, csr, out;
        unsigned days = 365;
    };
    auto sa = std::make_shared<SignArgs>();
    auto* sign = pki->add_subcommand("sign", "Sign a CSR with the development CA");
    sign->add_option("--ca", sa->ca, "Directory of `sebind pki dev`")->required();
    sign->add_option("csr", sa->csr, "CSR file (PEM or DER)")->required();
    sign->add_option("--days", sa->days, "Validity")->check(CLI::Range(1u, 36500u));
    sign->add_option("-o,--out", sa->out, "Certificate output (PEM)")->required();
    sign->callback([sa] {
        std::ifstream in(sa->csr, std::ios::binary);
        if (!in) throw Failure(Exit::not_found, "cannot read " + sa->csr);
        std::stringstream ss;
        ss << in.rdbuf();
        auto pem = identity::sign_csr(sa->ca, ss.str(), sa->days);
        if (!pem) {
            switch (pem.status().code()) {
                case Errc::does_not_exist: throw Failure(Exit::not_found, "no CA in " + sa->ca + " — create it with `sebind pki dev --out " + sa->ca + "`");
                case Errc::invalid_signature: throw Failure(Exit::invalid_input, sa->csr + ": the request's signature does not verify — regenerate it with `sebind csr`");
                case Errc::invalid_argument: throw Failure(Exit::invalid_input, sa->csr + " is not a PKCS#10 request");
                default: fail(pem.status(), "pki sign");
            }
        }
        std::ofstream out(sa->out, std::ios::binary | std::ios::trunc);
        out << *pem;
        if (!out) throw Failure(Exit::storage, "cannot write " + sa->out);
    });
}

}  // namespace sebind::cli
