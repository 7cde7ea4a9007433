// SPDX-License-Identifier: Apache-2.0
// `sebind verify-pair`: proves a slot's key and a certificate belong together (chip-signed challenge).
#include <cstdio>
#include <memory>

#include "identity_cli.hpp"
#include "sebind/identity/identity.hpp"

namespace sebind::cli {

void add_verify_pair_command(CLI::App& app, GlobalOptions& global) {
    struct Args {
        unsigned slot = 1;
        int zone = -1;
        std::string cert;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("verify-pair", "Prove the chip's key and a certificate belong together");
    cmd->add_option("--slot", a->slot, "Key slot (default 1)")->check(CLI::IsMember({0u, 1u}));
    auto* zone_opt = cmd->add_option("--zone", a->zone, "Certificate from this zone (default: the slot's zone)")
                         ->check(CLI::Range(0, 255));
    cmd->add_option("--cert", a->cert, "Certificate from this file (PEM or DER)")->excludes(zone_opt);
    cmd->callback([&global, a] {
        const auto slot = static_cast<std::uint8_t>(a->slot);
        std::vector<std::uint8_t> der;
        if (!a->cert.empty()) der = load_certificate_file(a->cert);
        auto se = open_se(global);
        if (der.empty()) {
            const auto zone = a->zone >= 0 ? static_cast<std::uint8_t>(a->zone) : identity::default_zone(slot);
            require_zone(se->device(), zone);
            auto stored = identity::read_certificate(se->device(), zone);
            if (!stored) {
                if (stored.status().code() == Errc::does_not_exist)
                    throw Failure(Exit::not_found, "zone " + std::to_string(zone) +
                                                       " holds no certificate — store one or pass --cert FILE");
                fail(stored.status(), "verify-pair: reading zone " + std::to_string(zone));
            }
            der = std::move(stored->der);
        }
        const Status st = identity::verify_pair(se->device(), slot, der);
        const std::string s = std::to_string(slot);
        if (st.code() == Errc::invalid_signature)
            throw Failure(Exit::mismatch, "MISMATCH: the certificate's public key is not the key in slot " + s +
                                              " — store the certificate issued for this slot's key (see `sebind csr`)");
        if (st.code() == Errc::invalid_argument && !st.device_status()) {
            auto curve = se->device().slot_curve(slot);
            throw Failure(Exit::mismatch,
                          "MISMATCH: the certificate has " + identity::certificate_key_name(der) + ", slot " + s +
                              " holds an EC " + (curve ? stsafe::curve_info(*curve).name : std::string("")) +
                              (curve ? " " : "") +
                              "key — pass the certificate issued for this slot's key (see `sebind csr`)");
        }
        if (st.code() == Errc::does_not_exist && !st.device_status())
            throw Failure(Exit::not_found, "slot " + s + " holds no key — run `sebind keygen` first");
        if (!st.ok()) fail(st, "verify-pair: CHIP ERROR, not a mismatch");
        if (global.json) {
            std::printf("%s\n", nlohmann::json{{"slot", slot}, {"paired", true}}.dump().c_str());
        } else {
            std::printf("OK: slot %u and the certificate belong together (chip-signed challenge verified)\n", slot);
        }
    });
}

}  // namespace sebind::cli
