// SPDX-License-Identifier: Apache-2.0
// `sebind random N` and `sebind echo HEX`: the simplest end-to-end checks of a chip.
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/core/hex.hpp"

namespace sebind::cli {

void add_random_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("random", "Random bytes from the chip's generator");
    auto count = std::make_shared<unsigned>(32);
    cmd->add_option("count", *count, "Number of bytes (1..1024)")->check(CLI::Range(1u, 1024u));
    cmd->callback([&global, count] {
        auto se = open_se(global);
        std::vector<std::uint8_t> out(*count);
        for (std::size_t done = 0; done < out.size();) {
            const std::size_t n = std::min<std::size_t>(255, out.size() - done);
            check(se->device().generate_random(MutableBytes(out.data() + done, n)), "random");
            done += n;
        }
        if (global.json) std::printf("%s\n", nlohmann::json{{"random", to_hex(out)}}.dump().c_str());
        else std::printf("%s\n", to_hex(out).c_str());
    });
}

void add_echo_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("echo", "Send bytes to the chip and check they come back unchanged");
    auto text = std::make_shared<std::string>();
    cmd->add_option("hex", *text, "Bytes in hex (1..500)")->required();
    cmd->callback([&global, text] {
        auto data = from_hex(*text);
        if (!data || data->empty() || data->size() > 500)
            throw Failure(Exit::usage, "echo needs 1 to 500 bytes in hex, e.g. `sebind echo 0102ab`");
        auto se = open_se(global);
        std::vector<std::uint8_t> out(data->size());
        auto n = se->device().echo(*data, out);
        if (!n) fail(n.status(), "echo");
        if (global.json) std::printf("%s\n", nlohmann::json{{"echo", to_hex(out)}, {"match", true}}.dump().c_str());
        else std::printf("%s\n", to_hex(out).c_str());
    });
}

}  // namespace sebind::cli
