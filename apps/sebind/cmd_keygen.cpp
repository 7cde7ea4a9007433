// SPDX-License-Identifier: Apache-2.0
// `sebind keygen`: a key pair generated inside the chip; prints its public key.
#include <cstdio>
#include <cstring>
#include <memory>

#include "identity_cli.hpp"
#include "sebind/identity/identity.hpp"

namespace sebind::cli {

void add_keygen_command(CLI::App& app, GlobalOptions& global) {
    struct Args {
        unsigned slot = 1;
        std::string curve = "p256";
        unsigned usage_limit = 0xFFFF;
        int zone = -1;
        bool force = false;
        std::string out;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("keygen", "Generate a key pair inside the chip (slot 1) and print its public key");
    cmd->add_option("--slot", a->slot, "Key slot (1; slot 0 is the factory key)")->check(CLI::IsMember({1u}));
    cmd->add_option("--curve", a->curve, "p256 | p384 | bp256 | bp384 (default p256)");
    cmd->add_option("--usage-limit", a->usage_limit, "Signatures allowed (65535 = unlimited)")
        ->check(CLI::Range(1u, 65535u));
    cmd->add_option("--zone", a->zone, "Zone recording the public key (default 4)")->check(CLI::Range(0, 255));
    cmd->add_flag("--force", a->force,
                  "Replace an existing key: the old key and any certificate issued for it are lost");
    cmd->add_option("-o,--out", a->out, "Write the public key (PEM) to this file instead of stdout");
    cmd->callback([&global, a] {
        identity::KeygenOptions o;
        o.slot = static_cast<std::uint8_t>(a->slot);
        o.curve = parse_curve(a->curve);
        o.usage_limit = static_cast<std::uint16_t>(a->usage_limit);
        o.zone = a->zone >= 0 ? static_cast<std::uint8_t>(a->zone) : identity::default_zone(o.slot);
        o.force = a->force;
        // An output that cannot be created is found before a key is generated.
        OutputFile output(a->out);
        auto se = open_se(global);
        require_zone(se->device(), o.zone);
        auto pub = identity::keygen(se->device(), o);
        if (!pub) {
            const std::string slot = std::to_string(a->slot), zone = std::to_string(o.zone);
            switch (pub.status().code()) {
                case Errc::already_exists:
                    throw Failure(Exit::already_exists,
                                  "slot " + slot +
                                      " already holds a key — --force replaces it, and the old key "
                                      "and any certificate issued for it are lost for good");
                case Errc::not_permitted:
                    if (!pub.status().device_status())
                        throw Failure(Exit::se_refused,
                                      "zone " + zone +
                                          " is read-only, the public key cannot be recorded there"
                                          " — pass a writable zone (--zone 1-4 or 7); nothing was generated");
                    break;
                case Errc::out_of_range:
                    throw Failure(Exit::too_large,
                                  "zone " + zone + " is too small for the key record — use zone 4 or 7");
                default: break;
            }
            fail(pub.status(), "keygen");
        }
        const std::string pem = public_key_pem(*pub);
        std::string text = pem;
        if (global.json) {
            const nlohmann::json j = {{"slot", a->slot},
                                      {"curve", stsafe::curve_info(pub->curve).name},
                                      {"bits", stsafe::curve_info(pub->curve).coordinate_size * 8},
                                      {"zone", o.zone},
                                      {"usage_limit", a->usage_limit},
                                      {"public_key_pem", pem}};
            text = j.dump(2) + "\n";
        }
        if (const int err = output.write(text))
            throw Failure(Exit::storage, "the key was generated in slot " + std::to_string(a->slot) +
                                             " (public key recorded in zone " + std::to_string(o.zone) +
                                             ") but could not be written to " + output.name() + ": " +
                                             std::strerror(err) + " — " + host::write_fix(err) +
                                             "; `sebind csr` uses the new key as it is");
    });
}

}  // namespace sebind::cli
