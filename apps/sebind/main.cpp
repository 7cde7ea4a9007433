// SPDX-License-Identifier: Apache-2.0
// sebind: one binary, one file per subcommand (see cli.hpp for exit codes).
#include <cstdio>
#include <exception>

#include "cli.hpp"

int main(int argc, char** argv) {
    using namespace sebind::cli;
    guard_output();
    CLI::App app{"sebind: a device identity whose private key never leaves the secure element"};
    app.require_subcommand(1);
    app.footer(exit_code_help());
    GlobalOptions global;
    app.add_option("--se", global.se_uri, "Secure element URI: emu:DIR, emud:SOCKET[#CHIP], i2c:/dev/i2c-N[?addr=0x20] (default: $SEBIND_SE)");
    app.add_flag("--json", global.json, "Machine-readable output where the output is data");
    app.add_flag("-v,--verbose", global.verbose, "Log driver activity to stderr");

    // Registration list: one line per subcommand file.
    add_emu_commands(app, global);
    add_info_command(app, global);
    add_random_command(app, global);
    add_echo_command(app, global);
    add_keygen_command(app, global);
    add_csr_command(app, global);
    add_cert_commands(app, global);
    add_verify_pair_command(app, global);
    add_pki_commands(app, global);
    add_connect_command(app, global);
    add_run_command(app, global);

    try {
        app.parse(argc, argv);
        finish_stdout();
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : static_cast<int>(Exit::usage);
    } catch (const Failure& f) {
        std::fprintf(stderr, "sebind: %s\n", f.what());
        return static_cast<int>(f.code);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sebind: internal error: %s (please report this)\n", e.what());
        return static_cast<int>(Exit::internal);
    }
    return 0;
}
