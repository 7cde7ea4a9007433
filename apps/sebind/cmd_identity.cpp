// SPDX-License-Identifier: Apache-2.0
// `sebind keygen`, `sebind csr`, `sebind cert store|show`, `sebind verify-pair`: the device's
// identity on the chip.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/core/hex.hpp"
#include "sebind/identity/identity.hpp"

namespace sebind::cli {

namespace {

using nlohmann::json;
namespace st = stsafe;

std::string read_file_or_fail(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Failure(Exit::not_found, "cannot read " + path + " — check the path");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_output(const std::string& path, const std::string& text) {
    if (path.empty() || path == "-") {
        std::fputs(text.c_str(), stdout);
        return;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw Failure(Exit::storage, "cannot write " + path + " — check the directory and free space");
}

std::string public_key_pem(const st::PublicKey& key) {
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    const mbedtls_ecp_group_id ids[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_BP256R1, MBEDTLS_ECP_DP_BP384R1};
    unsigned char out[1024] = {};
    int rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0) {
        mbedtls_ecp_keypair* ec = mbedtls_pk_ec(pk);
        rc = mbedtls_ecp_group_load(&ec->grp, ids[static_cast<int>(key.curve)]);
        if (rc == 0) rc = mbedtls_mpi_read_binary(&ec->Q.X, key.x.data(), key.x.size());
        if (rc == 0) rc = mbedtls_mpi_read_binary(&ec->Q.Y, key.y.data(), key.y.size());
        if (rc == 0) rc = mbedtls_mpi_lset(&ec->Q.Z, 1);
        if (rc == 0) rc = mbedtls_pk_write_pubkey_pem(&pk, out, sizeof out);
    }
    mbedtls_pk_free(&pk);
    if (rc != 0) throw Failure(Exit::internal, "cannot encode the public key");
    return reinterpret_cast<char*>(out);
}

std::string certificate_pem(const std::vector<std::uint8_t>& der) {
    unsigned char out[8192];
    std::size_t olen = 0;
    if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n", der.data(), der.size(), out,
                                 sizeof out, &olen) != 0)
        throw Failure(Exit::internal, "cannot encode the certificate");
    return std::string(reinterpret_cast<char*>(out), olen - 1);
}

json certificate_json(const std::vector<std::uint8_t>& der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    json j;
    if (mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) == 0) {
        char subject[512], issuer[512];
        mbedtls_x509_dn_gets(subject, sizeof subject, &crt.subject);
        mbedtls_x509_dn_gets(issuer, sizeof issuer, &crt.issuer);
        auto t = [](const mbedtls_x509_time& x) {
            char b[32];
            std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.year, x.mon, x.day, x.hour, x.min, x.sec);
            return std::string(b);
        };
        j = {{"subject", subject}, {"issuer", issuer}, {"not_before", t(crt.valid_from)}, {"not_after", t(crt.valid_to)},
             {"expired", mbedtls_x509_time_is_past(&crt.valid_to) != 0}, {"size", der.size()}};
    }
    mbedtls_x509_crt_free(&crt);
    return j;
}

st::Curve parse_curve(const std::string& name) {
    auto c = st::curve_from_name(name.c_str());
    if (!c) throw Failure(Exit::usage, "unknown curve '" + name + "' — use p256, p384, bp256 or bp384");
    return *c;
}

}  // namespace

void add_identity_commands(CLI::App& app, GlobalOptions& global) {
    // --- keygen ---------------------------------------------------------------------------
    struct KeygenArgs {
        unsigned slot = 1;
        std::string curve = "p256";
        unsigned usage_limit = 0xFFFF;
        int zone = -1;
        bool force = false;
        std::string out;
    };
    auto kg = std::make_shared<KeygenArgs>();
    auto* keygen = app.add_subcommand("keygen", "Generate a key pair inside the chip (slot 1)");
    keygen->add_option("--slot", kg->slot, "Key slot (1)")->check(CLI::IsMember({1u}));
    keygen->add_option("--curve", kg->curve, "p256 | p384 | bp256 | bp384");
    keygen->add_option("--usage-limit", kg->usage_limit, "Signatures allowed (65535 = unlimited)")->check(CLI::Range(1u, 65535u));
    keygen->add_option("--zone", kg->zone, "Zone recording the public key (default 4)");
    keygen->add_flag("--force", kg->force, "Replace an existing key (its certificate becomes useless)");
    keygen->add_option("-o,--out", kg->out, "Write the public key (PEM) to this file");
    keygen->callback([&global, kg] {
        identity::KeygenOptions o;
        o.slot = static_cast<std::uint8_t>(kg->slot);
        o.curve = parse_curve(kg->curve);
        o.usage_limit = static_cast<std::uint16_t>(kg->usage_limit);
        o.zone = kg->zone >= 0 ? static_cast<std::uint8_t>(kg->zone) : identity::default_zone(o.slot);
        o.force = kg->force;
        auto se = open_se(global);
        auto pub = identity::keygen(se->device(), o);
        if (!pub && pub.status().code() == Errc::already_exists)
            throw Failure(Exit::already_exists, "slot " + std::to_string(kg->slot) +
                                                    " already holds a key — --force replaces it, losing that key and any certificate issued for it");
        if (!pub) fail(pub.status(), "keygen");
        const std::string pem = public_key_pem(*pub);
        if (global.json) {
            std::printf("%s\n", json{{"slot", kg->slot}, {"curve", st::curve_info(pub->curve).name}, {"zone", o.zone},
                                     {"public_key_pem", pem}}.dump(2).c_str());
        } else {
            write_output(kg->out, pem);
        }
    });

    // --- csr --------------------------------------------------------------------------------
    struct CsrArgs {
        unsigned slot = 1;
        int zone = -1;
        std::string subject;
        std::vector<std::string> sans;
        std::string out;
    };
    auto ca = std::make_shared<CsrArgs>();
    auto* csr = app.add_subcommand("csr", "A PKCS#10 request signed by the chip");
    csr->add_option("--slot", ca->slot, "Key slot")->check(CLI::IsMember({0u, 1u}));
    csr->add_option("--zone", ca->zone, "Zone holding the slot's public key (default: 0 for slot 0, 4 for slot 1)");
    csr->add_option("--subject", ca->subject, "Subject, e.g. \"CN=device-001,O=Acme\"")->required();
    csr->add_option("--san", ca->sans, "Subject alternative name: dns:NAME (repeatable)");
    csr->add_option("-o,--out", ca->out, "Output file (PEM); default stdout");
    csr->callback([&global, ca] {
        std::vector<std::string> dns;
        for (const auto& s : ca->sans) {
            if (s.rfind("dns:", 0) != 0 || s.size() == 4) throw Failure(Exit::usage, "--san takes dns:NAME, got '" + s + "'");
            dns.push_back(s.substr(4));
        }
        auto se = open_se(global);
        const auto slot = static_cast<std::uint8_t>(ca->slot);
        const auto zone = ca->zone >= 0 ? static_cast<std::uint8_t>(ca->zone) : identity::default_zone(slot);
        auto pem = identity::make_csr(se->device(), slot, zone, ca->subject, dns);
        if (!pem && pem.status().code() == Errc::does_not_exist)
            throw Failure(Exit::not_found, "no public key recorded for slot " + std::to_string(slot) + " in zone " +
                                               std::to_string(zone) + " — run `sebind keygen` first");
        if (!pem && pem.status().code() == Errc::invalid_argument)
            throw Failure(Exit::invalid_input, "cannot build the request — check --subject (e.g. \"CN=device-001,O=Acme\")");
        if (!pem) fail(pem.status(), "csr");
        write_output(ca->out, *pem);
    });

    // --- cert store / show ------------------------------------------------------------------
    auto* cert = app.add_subcommand("cert", "The device certificate in a chip zone");
    cert->require_subcommand(1);
    struct StoreArgs {
        int zone = -1;
        unsigned slot = 1;
        bool force = false;
        std::string file;
    };
    auto sa = std::make_shared<StoreArgs>();
    auto* store = cert->add_subcommand("store", "Store a certificate for a slot (PEM, DER or a chain: the leaf is stored)");
    store->add_option("--zone", sa->zone, "Zone (default 4)");
    store->add_option("--slot", sa->slot, "Key slot the certificate belongs to")->check(CLI::IsMember({1u}));
    store->add_flag("--force", sa->force, "Store even if expired or not yet valid");
    store->add_option("file", sa->file, "Certificate file")->required();
    store->callback([&global, sa] {
        const std::string input = read_file_or_fail(sa->file);
        auto se = open_se(global);
        identity::StoreOptions o;
        o.slot = static_cast<std::uint8_t>(sa->slot);
        o.zone = sa->zone >= 0 ? static_cast<std::uint8_t>(sa->zone) : identity::default_zone(o.slot);
        o.force = sa->force;
        std::string why;
        auto report = identity::store_certificate(se->device(), Bytes(reinterpret_cast<const std::uint8_t*>(input.data()), input.size()), o, &why);
        if (!report) {
            const Errc e = report.status().code();
            if (e == Errc::invalid_signature) throw Failure(Exit::mismatch, why + " — store the certificate issued for this chip's key (nothing was written)");
            if (e == Errc::expired) throw Failure(Exit::expired, why + " — renew it, or pass --force (nothing was written)");
            if (e == Errc::out_of_range) throw Failure(Exit::too_large, why + " — use a larger zone (--zone 4 or 7) or a shorter chain/leaf");
            if (e == Errc::not_permitted) throw Failure(Exit::se_refused, why + " — pick a writable zone (1-4, 7)");
            if (e == Errc::invalid_argument || e == Errc::not_supported) throw Failure(Exit::invalid_input, sa->file + ": " + why);
            if (e == Errc::does_not_exist) throw Failure(Exit::not_found, why + " — run `sebind keygen` first");
            fail(report.status(), "cert store");
        }
        if (global.json) {
            std::printf("%s\n", json{{"stored", true}, {"zone", o.zone}, {"subject", report->subject},
                                     {"generation", report->generation}, {"chain_not_stored", report->chain_rest},
                                     {"outside_validity", report->outside_validity}}.dump(2).c_str());
        } else {
            std::printf("stored %s in zone %u (generation %u)\n", report->subject.c_str(), o.zone, report->generation);
            if (report->chain_rest) std::printf("note: %zu more certificate(s) in the file were not stored (only the leaf is)\n", report->chain_rest);
            if (report->outside_validity) std::printf("warning: the certificate is outside its validity period\n");
        }
    });

    struct ShowArgs {
        int zone = 0;
        bool pem = false;
    };
    auto sh = std::make_shared<ShowArgs>();
    auto* show = cert->add_subcommand("show", "Read a certificate back from a zone");
    show->add_option("--zone", sh->zone, "Zone (0 = the factory certificate)");
    show->add_flag("--pem", sh->pem, "Print PEM");
    show->callback([&global, sh] {
        auto se = open_se(global);
        auto stored = identity::read_certificate(se->device(), static_cast<std::uint8_t>(sh->zone));
        if (!stored && stored.status().code() == Errc::does_not_exist)
            throw Failure(Exit::not_found, "zone " + std::to_string(sh->zone) + " holds no certificate — store one with `sebind cert store`");
        if (!stored) fail(stored.status(), "cert show");
        if (sh->pem) {
            std::printf("%s", certificate_pem(stored->der).c_str());
            return;
        }
        json j = certificate_json(stored->der);
        j["zone"] = sh->zone;
        j["layout"] = stored->factory_layout ? "factory" : "sebind";
        if (!stored->factory_layout) j["generation"] = stored->generation;
        if (global.json) {
            std::printf("%s\n", j.dump(2).c_str());
        } else {
            std::printf("zone %d (%s layout)\n  subject  %s\n  issuer   %s\n  valid    %s .. %s%s\n", sh->zone,
                        j["layout"].get<std::string>().c_str(), j.value("subject", "?").c_str(), j.value("issuer", "?").c_str(),
                        j.value("not_before", "?").c_str(), j.value("not_after", "?").c_str(),
                        j.value("expired", false) ? "  (EXPIRED)" : "");
        }
    });

    // --- verify-pair ------------------------------------------------------------------------
    struct PairArgs {
        unsigned slot = 1;
        int zone = -1;
        std::string cert;
    };
    auto pa = std::make_shared<PairArgs>();
    auto* pair = app.add_subcommand("verify-pair", "Prove the chip's key and a certificate belong together");
    pair->add_option("--slot", pa->slot, "Key slot")->check(CLI::IsMember({0u, 1u}));
    auto* zone_opt = pair->add_option("--zone", pa->zone, "Certificate from this zone");
    pair->add_option("--cert", pa->cert, "Certificate from this file")->excludes(zone_opt);
    pair->callback([&global, pa] {
        auto se = open_se(global);
        const auto slot = static_cast<std::uint8_t>(pa->slot);
        std::vector<std::uint8_t> der;
        if (!pa->cert.empty()) {
            const std::string text = read_file_or_fail(pa->cert);
            std::vector<unsigned char> buf(text.begin(), text.end());
            buf.push_back(0);
            mbedtls_x509_crt crt;
            mbedtls_x509_crt_init(&crt);
            if (mbedtls_x509_crt_parse(&crt, buf.data(), text.find("-----BEGIN") != std::string::npos ? buf.size() : text.size()) != 0) {
                mbedtls_x509_crt_free(&crt);
                throw Failure(Exit::invalid_input, pa->cert + " is not a certificate (PEM or DER)");
            }
            der.assign(crt.raw.p, crt.raw.p + crt.raw.len);
            mbedtls_x509_crt_free(&crt);
        } else {
            const auto zone = pa->zone >= 0 ? static_cast<std::uint8_t>(pa->zone) : identity::default_zone(slot);
            auto stored = identity::read_certificate(se->device(), zone);
            if (!stored) {
                if (stored.status().code() == Errc::does_not_exist)
                    throw Failure(Exit::not_found, "zone " + std::to_string(zone) + " holds no certificate — store one or pass --cert FILE");
                fail(stored.status(), "read certificate");
            }
            der = std::move(stored->der);
        }
        Status st = identity::verify_pair(se->device(), slot, der);
        if (st.code() == Errc::invalid_signature)
            throw Failure(Exit::mismatch, "MISMATCH: the certificate's public key is not the key in slot " + std::to_string(slot) +
                                              " — store the certificate issued for this slot (see `sebind csr`)");
        if (st.code() == Errc::invalid_argument)
            throw Failure(Exit::mismatch, "MISMATCH: the certificate is on another curve than slot " + std::to_string(slot));
        if (!st.ok()) fail(st, "verify-pair (chip error, not a mismatch)");
        if (global.json) std::printf("%s\n", json{{"slot", slot}, {"paired", true}}.dump().c_str());
        else std::printf("OK: slot %u and the certificate belong together (chip-signed challenge verified)\n", slot);
    });
}

}  // namespace sebind::cli
