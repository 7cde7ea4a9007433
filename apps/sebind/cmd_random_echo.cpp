// SPDX-License-Identifier: Apache-2.0
// `sebind random N` and `sebind echo HEX`: the simplest end-to-end checks of a chip.
#include <algorithm>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/core/hex.hpp"

namespace sebind::cli {

void add_random_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("random", "Random bytes from the chip's generator (raw bytes; --hex for text)");
    auto count = std::make_shared<unsigned>(32);
    auto hex = std::make_shared<bool>(false);
    cmd->add_option("count", *count, "Number of bytes (1..1024)")->required()->check(CLI::Range(1u, 1024u));
    cmd->add_flag("--hex", *hex, "Print the bytes as hex text instead of raw");
    cmd->callback([&global, count, hex] {
        auto se = open_se(global);
        std::vector<std::uint8_t> out(*count);
        // Generate Random returns at most 255 bytes per command (§4.4).
        for (std::size_t done = 0; done < out.size();) {
            const std::size_t n = std::min<std::size_t>(255, out.size() - done);
            check(se->device().generate_random(MutableBytes(out.data() + done, n)), "random");
            done += n;
        }
        if (global.json) {
            std::printf("%s\n", nlohmann::json{{"random", to_hex(out)}, {"bytes", out.size()}}.dump().c_str());
        } else if (*hex) {
            std::printf("%s\n", to_hex(out).c_str());
        } else if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
            throw Failure(Exit::storage, "random: cannot write to standard output — check the redirection target");
        }
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
        // The driver reports a CRC-valid but different echo as integrity_failure: say so plainly.
        if (!n && n.status().code() == Errc::integrity_failure && !n.status().device_status())
            throw Failure(Exit::integrity,
                          "echo: the answer differed from what was sent (or its CRC kept failing)"
                          " — check the bus wiring, pull-ups and I2C address");
        if (!n) fail(n.status(), "echo");
        // The point of echo is to prove the path is clean: a short or altered answer is a failure
        // even when every CRC was right.
        if (*n != data->size() || !std::equal(out.begin(), out.end(), data->begin()))
            throw Failure(Exit::integrity, "echo: the chip answered " +
                                               to_hex(Bytes(out.data(), std::min(*n, out.size()))) + " instead of " +
                                               *text + " — check the bus wiring and address, or report a bug");
        if (global.json)
            std::printf("%s\n", nlohmann::json{{"echo", to_hex(out)}, {"match", true}}.dump().c_str());
        else
            std::printf("%s\n", to_hex(out).c_str());
    });
}

}  // namespace sebind::cli
