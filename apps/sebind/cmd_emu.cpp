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
#include "sebind/emud/daemon.hpp"

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

/// A control connection to one chip of a running sebind-emud; failures as `--se emud:` reports
/// them (the daemon not running, its socket refusing us, no such chip).
std::unique_ptr<port_linux::DaemonControl> connect_control(const std::string& socket, const std::string& chip) {
    std::string detail;
    auto control = port_linux::DaemonControl::connect(socket, chip, &detail);
    if (control) return std::move(*control);
    switch (control.status().code()) {
        case Errc::does_not_exist:
            throw Failure(Exit::not_found,
                          detail.empty() ? "sebind-emud at " + socket + " has no chip '" + chip + "'" : detail);
        case Errc::not_permitted: throw Failure(Exit::se_refused, detail);
        case Errc::invalid_argument: throw Failure(Exit::invalid_input, "--socket: " + detail);
        default: throw Failure(Exit::se_unreachable, detail);
    }
}

/// `sebind emu power-cycle|faults|latency|stats --socket PATH [--chip NAME]`: the daemon's control
/// messages (docs/emud-protocol.md) for a chip it serves.
void add_control_commands(CLI::App& emu_cmd, GlobalOptions& global) {
    struct Args {
        std::string socket;
        std::string chip;
        std::string value;
    };
    const auto target = [](CLI::App* cmd, Args& a) {
        cmd->add_option("--socket", a.socket, "sebind-emud's socket (its --socket PATH)")->required();
        cmd->add_option("--chip", a.chip, "The chip's name: its directory's base name (default: the first served)");
    };

    auto pc = std::make_shared<Args>();
    auto* power = emu_cmd.add_subcommand(
        "power-cycle",
        "Cut and restore a served chip's power: RAM state lost, NVM reloaded, power-loss fault disarmed");
    target(power, *pc);
    power->callback([&global, pc] {
        auto control = connect_control(pc->socket, pc->chip);
        check(control->power_cycle(), "power-cycle chip '" + control->chip() + "'");
        if (global.json)
            std::printf("%s\n", nlohmann::json{{"chip", control->chip()}, {"power_cycled", true}}.dump().c_str());
        else
            std::printf("chip %s power-cycled (RAM state lost, NVM reloaded from its last complete write)\n",
                        control->chip().c_str());
    });

    auto fa = std::make_shared<Args>();
    auto* faults = emu_cmd.add_subcommand("faults", "Set (or with `none` clear) a served chip's fault injection");
    target(faults, *fa);
    faults
        ->add_option("spec", fa->value,
                     "seed=N,crc=RATE,cmd=RATE,nack=RATE,nacklen=N,powerloss=N (rates 0..1), or none")
        ->required();
    faults->callback([&global, fa] {
        emu::FaultConfig config;
        if (fa->value != "none") {
            auto parsed = port_linux::parse_fault_spec(fa->value);
            if (!parsed)
                throw Failure(Exit::usage,
                              "bad fault specification '" + fa->value +
                                  "' — use e.g. seed=7,crc=0.01,cmd=0.01,nack=0.01,nacklen=3,powerloss=5 (rates 0..1, "
                                  "nacklen 1..1000), or none");
            config = *parsed;
        }
        auto control = connect_control(fa->socket, fa->chip);
        check(control->set_faults(config), "set the faults of chip '" + control->chip() + "'");
        if (global.json)
            std::printf("%s\n", nlohmann::json{{"chip", control->chip()}, {"faults", fa->value}}.dump().c_str());
        else
            std::printf("chip %s: faults %s\n", control->chip().c_str(),
                        fa->value == "none" ? "cleared" : ("set to " + fa->value).c_str());
    });

    auto la = std::make_shared<Args>();
    auto* latency = emu_cmd.add_subcommand("latency", "Set a served chip's timing model");
    target(latency, *la);
    latency->add_option("mode", la->value, "zero | realistic (the chip NACKs for the A110 command times)")
        ->required()
        ->check(CLI::IsMember({"zero", "realistic"}));
    latency->callback([&global, la] {
        auto control = connect_control(la->socket, la->chip);
        check(control->set_latency(la->value == "realistic" ? emu::Latency::realistic : emu::Latency::zero),
              "set the latency of chip '" + control->chip() + "'");
        if (global.json)
            std::printf("%s\n", nlohmann::json{{"chip", control->chip()}, {"latency", la->value}}.dump().c_str());
        else
            std::printf("chip %s: latency %s\n", control->chip().c_str(), la->value.c_str());
    });

    auto st = std::make_shared<Args>();
    auto* stats = emu_cmd.add_subcommand("stats", "A served chip's counters since the daemon started");
    target(stats, *st);
    stats->callback([&global, st] {
        auto control = connect_control(st->socket, st->chip);
        auto counters = control->stats();
        if (!counters) fail(counters.status(), "read the counters of chip '" + control->chip() + "'");
        if (global.json) {
            const nlohmann::json j = {{"chip", control->chip()},
                                      {"commands", counters->commands},
                                      {"signatures", counters->signatures},
                                      {"key_establishments", counters->key_establishments},
                                      {"nvm_writes", counters->nvm_writes}};
            std::printf("%s\n", j.dump().c_str());
        } else {
            std::printf("chip %s: %llu command(s), %llu signature(s), %llu key establishment(s), %llu NVM write(s)\n",
                        control->chip().c_str(), static_cast<unsigned long long>(counters->commands),
                        static_cast<unsigned long long>(counters->signatures),
                        static_cast<unsigned long long>(counters->key_establishments),
                        static_cast<unsigned long long>(counters->nvm_writes));
        }
    });
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

    add_control_commands(*emu_cmd, global);

    auto serve_args = std::make_shared<std::vector<std::string>>();
    auto* serve = emu_cmd->add_subcommand("serve", "Run sebind-emud: serve chips on a Unix socket");
    serve->allow_extras();
    serve->prefix_command();
    // Everything after `serve` goes to sebind-emud, `--help` included: its help lists the options
    // (--socket, --socket-group, --faults, ...) and the chip directories.
    serve->set_help_flag();
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
