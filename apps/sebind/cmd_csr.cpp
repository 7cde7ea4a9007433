// SPDX-License-Identifier: Apache-2.0
// `sebind csr`: a PKCS#10 request for a slot's key, signed by the chip.
#include <memory>

#include <strings.h>

#include "identity_cli.hpp"
#include "sebind/identity/identity.hpp"

namespace sebind::cli {

void add_csr_command(CLI::App& app, GlobalOptions& global) {
    struct Args {
        unsigned slot = 1;
        int zone = -1;
        std::string subject;
        std::vector<std::string> sans;
        std::string out;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand(
        "csr", "A PKCS#10 certificate request signed by the chip (PEM; --json: a summary, the PEM in it or in -o)");
    cmd->add_option("--slot", a->slot, "Key slot (default 1)")->check(CLI::IsMember({0u, 1u}));
    cmd->add_option("--zone", a->zone, "Zone holding the slot's public key (default: 0 for slot 0, 4 for slot 1)")
        ->check(CLI::Range(0, 255));
    cmd->add_option("--subject", a->subject, "Subject, e.g. \"CN=device-001,O=Acme\" or \"/CN=device-001/O=Acme\"")
        ->required();
    cmd->add_option("--san", a->sans, "Subject alternative name DNS:NAME or IP:ADDRESS (repeatable)");
    cmd->add_option("-o,--out", a->out, "Output file (PEM); default stdout");
    cmd->callback([&global, a] {
        for (const auto& s : a->sans) {
            const std::string kind = s.substr(0, s.find(':') + 1);
            if (s.size() == kind.size() ||
                (strcasecmp(kind.c_str(), "DNS:") != 0 && strcasecmp(kind.c_str(), "IP:") != 0))
                throw Failure(Exit::invalid_input,
                              "--san '" + s +
                                  "' is not DNS:NAME or IP:ADDRESS — pass e.g. DNS:device-001.example or IP:192.0.2.7");
        }
        // The rules `pki sign` applies, checked before the chip signs anything.
        if (std::string why; !identity::check_subject(identity::x509_name_text(a->subject), &why).ok())
            throw Failure(Exit::invalid_input, "--subject: " + why + " — pass e.g. \"CN=device-001,O=Acme\"");
        OutputFile output(a->out);
        auto se = open_se(global);
        const auto slot = static_cast<std::uint8_t>(a->slot);
        const auto zone = a->zone >= 0 ? static_cast<std::uint8_t>(a->zone) : identity::default_zone(slot);
        require_zone(se->device(), zone);
        auto pem = identity::make_csr(se->device(), slot, zone, a->subject, a->sans);
        if (!pem) {
            const std::string s = std::to_string(slot), z = std::to_string(zone);
            switch (pem.status().code()) {
                case Errc::does_not_exist:
                    throw Failure(Exit::not_found, "no public key recorded for slot " + s + " in zone " + z +
                                                       " — run `sebind keygen` first");
                case Errc::invalid_argument:
                    throw Failure(Exit::invalid_input,
                                  "cannot build the request — check --subject (e.g. \"CN=device-001,O=Acme\") and "
                                  "that each --san is DNS: a DNS name (letters, digits, '-', '.', a leading '*.') or "
                                  "IP: an IPv4/IPv6 address");
                case Errc::invalid_signature:
                    throw Failure(
                        Exit::mismatch,
                        "the public key recorded in zone " + z + " is not the key in slot " + s +
                            " (an interrupted keygen?) — run `sebind keygen --force` again, then `sebind csr`");
                case Errc::corrupted_data:
                    throw Failure(Exit::integrity,
                                  "the key record in zone " + z + " is damaged — run `sebind keygen --force` again");
                case Errc::buffer_too_small:
                    throw Failure(Exit::too_large,
                                  "the request would be larger than " + std::to_string(identity::kMaxCsrPemSize) +
                                      " bytes (PEM), the CSR size limit, with " + std::to_string(a->sans.size()) +
                                      " --san name(s) — pass fewer or shorter --san names");
                default: break;
            }
            fail(pem.status(), "csr (the chip did not sign)");
        }
        if (!global.json) {
            output.write_or_fail(*pem);
            return;
        }
        // JSON: the summary on stdout; the request in it, or in -o FILE as PEM.
        nlohmann::json j = {{"slot", slot}, {"zone", zone}, {"subject", a->subject}, {"alt_names", a->sans}};
        if (output.is_stdout()) {
            j["csr_pem"] = *pem;
        } else {
            output.write_or_fail(*pem);
            j["file"] = a->out;
        }
        OutputFile("").write_or_fail(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    });
}

}  // namespace sebind::cli
