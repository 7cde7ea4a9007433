// SPDX-License-Identifier: Apache-2.0
// `sebind emu init DIR` and `sebind emu serve`: create and serve emulated chips.
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/emu/emulator.hpp"

namespace sebind::cli {

namespace {

/// sebind-emud is installed next to sebind.
std::string sibling_executable(const char* name) {
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return name;
    std::string path(self, static_cast<std::size_t>(n));
    const auto slash = path.rfind('/');
    std::string candidate = path.substr(0, slash + 1) + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    // Build tree: apps/sebind/sebind next to apps/sebind-emud/sebind-emud.
    candidate = path.substr(0, slash + 1) + "../" + name + "/" + name;
    return ::access(candidate.c_str(), X_OK) == 0 ? candidate : name;
}

}  // namespace

void add_emu_commands(CLI::App& app, GlobalOptions& global) {
    auto* emu_cmd = app.add_subcommand("emu", "Emulated STSAFE-A110 chips (EMULATED — development only)");
    emu_cmd->require_subcommand(1);

    struct InitArgs {
        std::string dir;
        std::uint64_t seed = 0;
        std::string cn;
        std::uint32_t days = 3650;
    };
    auto init_args = std::make_shared<InitArgs>();
    auto* init = emu_cmd->add_subcommand("init", "Create a chip: keys, zones, factory CA and device certificate");
    init->add_option("dir", init_args->dir, "State directory to create")->required();
    init->add_option("--seed", init_args->seed, "Deterministic keys for tests (0 = random)");
    init->add_option("--cn", init_args->cn, "Common name of the zone-0 device certificate");
    init->add_option("--days", init_args->days, "Validity of the device certificate")->check(CLI::Range(1u, 36500u));
    init->callback([&global, init_args] {
        emu::InitOptions options;
        options.seed = init_args->seed;
        options.device_common_name = init_args->cn;
        options.certificate_days = init_args->days;
        errno = 0;
        Status st = emu::init_chip(init_args->dir, options);
        if (st.code() == Errc::already_exists)
            throw Failure(Exit::already_exists,
                          init_args->dir + " already holds a chip — pick another directory or delete it");
        if (st.code() == Errc::storage_failure)
            fail_write("the emulator state in " + init_args->dir, errno ? errno : EIO);
        check(st, "emu init " + init_args->dir);
        if (global.json) {
            const nlohmann::json j = {{"dir", init_args->dir},
                                      {"factory_ca", init_args->dir + "/" + emu::kFactoryCaFile},
                                      {"se_uri", "emu:" + init_args->dir},
                                      {"emulated", true}};
            std::printf("%s\n", j.dump().c_str());
        } else {
            std::printf("created an emulated STSAFE-A110 in %s (%s)\n", init_args->dir.c_str(), emu::kBanner);
            std::printf("factory CA certificate: %s/%s\n", init_args->dir.c_str(), emu::kFactoryCaFile);
            std::printf("use it with: --se emu:%s   or   export SEBIND_SE=emu:%s\n", init_args->dir.c_str(),
                        init_args->dir.c_str());
        }
    });

    auto serve_args = std::make_shared<std::vector<std::string>>();
    auto* serve = emu_cmd->add_subcommand("serve", "Run sebind-emud: serve chips on a Unix socket");
    serve->allow_extras();
    serve->prefix_command();
    serve->callback([serve] {
        std::vector<std::string> args = {sibling_executable("sebind-emud")};
        for (const auto& a : serve->remaining()) args.push_back(a);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        throw Failure(Exit::not_found, "cannot run sebind-emud — install it next to sebind or put it on PATH");
    });
}

}  // namespace sebind::cli
