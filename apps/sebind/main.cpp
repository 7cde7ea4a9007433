// SPDX-License-Identifier: Apache-2.0
// sebind: one binary, one file per subcommand (see exit_codes.hpp for exit codes).
#include <cstdio>
#include <cstring>
#include <exception>

#include <unistd.h>

#include "cli.hpp"
#include "sebind/host/journal.hpp"
#include "sebind/version.h"

namespace {

/// --json anywhere on the command line: a usage error found before the parser reached it is
/// still reported as JSON.
bool json_requested(int argc, char** argv) {
    for (int i = 1; i < argc && std::strcmp(argv[i], "--") != 0; ++i)
        if (std::strcmp(argv[i], "--json") == 0) return true;
    return false;
}

/// The deepest subcommand the parser entered, for "see `sebind cert show --help`".
std::string command_path(CLI::App& app) {
    std::string path = app.get_name();
    for (CLI::App* cmd = &app;;) {
        const auto parsed = cmd->get_subcommands();
        if (parsed.empty()) return path;
        cmd = parsed.front();
        path += " " + cmd->get_name();
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace sebind::cli;
    guard_output();
    CLI::App app{"sebind: a device identity whose private key never leaves the secure element", "sebind"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "sebind " SEBIND_VERSION_STRING, "Print the version and exit");
    app.footer(exit_code_help());
    GlobalOptions global;

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
    add_doctor_command(app, global);
    add_global_options(app, global);

    const auto report = [&](Exit code, const std::string& message) {
        std::fprintf(
            stderr, "%s%s\n",
            sebind::host::is_journal_stream(STDERR_FILENO) ? sebind::host::journal_prefix(sebind::LogLevel::error) : "",
            failure_line(code, message, global.json || json_requested(argc, argv)).c_str());
        return static_cast<int>(code);
    };
    try {
        app.parse(argc, argv);
        finish_stdout();
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        return report(Exit::usage, usage_line(e.what(), command_path(app)));
    } catch (const Failure& f) {
        return report(f.code, f.what());
    } catch (const std::exception& e) {
        return report(Exit::internal, std::string("internal error: ") + e.what() + " (please report this)");
    }
    return 0;
}
