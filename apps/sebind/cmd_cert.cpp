// SPDX-License-Identifier: Apache-2.0
// `sebind cert store|show`: the device certificate in a chip zone (docs/identity-zone-layout.md).
#include <cstdio>
#include <memory>

#include "identity_cli.hpp"
#include "sebind/identity/identity.hpp"

namespace sebind::cli {

namespace {

void add_store(CLI::App* cert, GlobalOptions& global) {
    struct Args {
        int zone = -1;
        unsigned slot = 1;
        bool force = false;
        std::string file;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = cert->add_subcommand("store",
                                     "Store a certificate for a slot (PEM, DER or a chain file: the leaf is stored)");
    cmd->add_option("--zone", a->zone, "Zone (default 4)")->check(CLI::Range(0, 255));
    cmd->add_option("--slot", a->slot, "Key slot the certificate belongs to (default 1)")->check(CLI::IsMember({1u}));
    cmd->add_flag("--force", a->force, "Store even if expired or not yet valid");
    cmd->add_option("file", a->file, "Certificate file")->required();
    cmd->callback([&global, a] {
        const std::string input = read_file_or_fail(a->file);
        auto se = open_se(global);
        identity::StoreOptions o;
        o.slot = static_cast<std::uint8_t>(a->slot);
        o.zone = a->zone >= 0 ? static_cast<std::uint8_t>(a->zone) : identity::default_zone(o.slot);
        o.force = a->force;
        require_zone(se->device(), o.zone);
        std::string why;
        auto report = identity::store_certificate(
            se->device(), Bytes(reinterpret_cast<const std::uint8_t*>(input.data()), input.size()), o, &why);
        if (!report) {
            const Status s = report.status();
            const std::string zone = std::to_string(o.zone);
            // Every refusal below happens before the zone is touched.
            switch (s.code()) {
                case Errc::invalid_signature:
                    throw Failure(Exit::mismatch,
                                  why + " — store the certificate issued for this chip's key (nothing was written)");
                case Errc::expired:
                    throw Failure(Exit::expired, why + " — renew it, or pass --force (nothing was written)");
                case Errc::out_of_range:
                    throw Failure(
                        Exit::too_large,
                        why + " — use a larger zone (--zone 4 or 7) or a smaller certificate (nothing was written)");
                case Errc::not_permitted:
                    if (!why.empty()) throw Failure(Exit::se_refused, why + " — pick a writable zone (1-4, 7)");
                    break;  // the chip's own refusal: fail() names its code and the fix
                case Errc::invalid_argument:
                case Errc::not_supported:
                    if (why.empty())
                        throw Failure(Exit::invalid_input,
                                      "zone " + zone + " cannot hold a certificate — use a data zone (1-4, 7)");
                    throw Failure(Exit::invalid_input, a->file + ": " + why +
                                                           " — pass the certificate issued for this slot's key (from "
                                                           "`sebind csr`), PEM or DER; nothing was written");
                case Errc::does_not_exist:
                    if (why.empty())
                        throw Failure(Exit::not_found,
                                      "zone " + zone + " does not exist — see `sebind info` for the zones");
                    throw Failure(Exit::not_found, why + " — run `sebind keygen` first");
                case Errc::integrity_failure:
                    throw Failure(
                        Exit::integrity,
                        "the record read back from zone " + zone +
                            " differs from what was written; the "
                            "previous certificate is still the valid one — retry, and check the bus if it persists");
                default: break;
            }
            fail(s, "cert store");
        }
        if (global.json) {
            std::printf("%s\n", nlohmann::json{{"stored", true},
                                               {"zone", o.zone},
                                               {"slot", o.slot},
                                               {"subject", report->subject},
                                               {"generation", report->generation},
                                               {"chain_not_stored", report->chain_rest},
                                               {"outside_validity", report->outside_validity}}
                                    .dump(2)
                                    .c_str());
            return;
        }
        std::printf("stored %s in zone %u (generation %u); key pairing checked by the chip\n", report->subject.c_str(),
                    o.zone, report->generation);
        if (report->chain_rest)
            std::fprintf(stderr, "note: %zu more certificate(s) in %s were not stored (only the leaf is)\n",
                         report->chain_rest, a->file.c_str());
        if (report->outside_validity)
            std::fprintf(stderr,
                         "warning: the certificate is outside its validity period (stored because of --force)\n");
    });
}

void add_show(CLI::App* cert, GlobalOptions& global) {
    struct Args {
        int zone = 0;
        bool pem = false;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = cert->add_subcommand("show", "Read a certificate back from a zone (factory layout or sebind's)");
    cmd->add_option("--zone", a->zone, "Zone (0 = the factory certificate, 4 = slot 1's by default)")
        ->check(CLI::Range(0, 255));
    auto* pem = cmd->add_flag("--pem", a->pem, "Print the certificate as PEM");
    cmd->callback([&global, a, pem] {
        if (pem->count() && global.json)
            throw Failure(Exit::usage, "cert show: --pem and --json exclude each other — pick one");
        auto se = open_se(global);
        require_zone(se->device(), static_cast<std::uint8_t>(a->zone));
        auto stored = identity::read_certificate(se->device(), static_cast<std::uint8_t>(a->zone));
        if (!stored) {
            const std::string zone = std::to_string(a->zone);
            switch (stored.status().code()) {
                case Errc::does_not_exist:
                    throw Failure(Exit::not_found,
                                  "zone " + zone + " holds no certificate — store one with `sebind cert store --zone " +
                                      zone + " FILE`");
                case Errc::corrupted_data:
                    throw Failure(Exit::integrity, "the certificate record in zone " + zone +
                                                       " is damaged — store the certificate again");
                case Errc::invalid_argument:
                    throw Failure(Exit::invalid_input, "zone " + zone + " is a counter zone, not a certificate store");
                default: break;
            }
            fail(stored.status(), "cert show");
        }
        if (a->pem) {
            std::printf("%s", certificate_pem(stored->der).c_str());
            return;
        }
        nlohmann::json j = certificate_json(stored->der);
        j["zone"] = a->zone;
        j["layout"] = stored->factory_layout ? "factory" : "sebind";
        if (!stored->factory_layout) j["generation"] = stored->generation;
        if (global.json) {
            std::printf("%s\n", j.dump(2).c_str());
            return;
        }
        std::printf(
            "zone %d (%s layout)\n  subject  %s\n  issuer   %s\n  valid    %s .. %s%s\n", a->zone,
            j["layout"].get<std::string>().c_str(), j.value("subject", "?").c_str(), j.value("issuer", "?").c_str(),
            j.value("not_before", "?").c_str(), j.value("not_after", "?").c_str(),
            j.value("expired", false) ? "  (EXPIRED)" : (j.value("not_yet_valid", false) ? "  (NOT YET VALID)" : ""));
    });
}

}  // namespace

void add_cert_commands(CLI::App& app, GlobalOptions& global) {
    auto* cert = app.add_subcommand("cert", "The device certificate in a chip zone");
    cert->require_subcommand(1);
    add_store(cert, global);
    add_show(cert, global);
}

}  // namespace sebind::cli
