// SPDX-License-Identifier: Apache-2.0
// The `--faults` text of sebind-emud (and of anything else that injects faults by string).
#include <charconv>
#include <cmath>
#include <string>

#include "sebind/emud/daemon.hpp"
#include "sebind/emud/daemon_protocol.hpp"

namespace sebind::port_linux {

namespace {

bool parse_u64(std::string_view text, std::uint64_t& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 10);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool parse_rate(std::string_view text, double& out) {
    // from_chars for double is in libstdc++ 11+; it accepts neither "+", spaces nor hex floats.
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, std::chars_format::general);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size() && std::isfinite(out) && out >= 0.0 &&
           out <= 1.0;
}

}  // namespace

Result<emu::FaultConfig> parse_fault_spec(std::string_view spec) {
    emu::FaultConfig faults;
    while (!spec.empty()) {
        const auto comma = spec.find(',');
        const std::string_view item = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        if (comma != std::string_view::npos && spec.empty()) return Errc::invalid_argument;  // trailing comma
        const auto eq = item.find('=');
        if (eq == std::string_view::npos) return Errc::invalid_argument;
        const std::string_view key = item.substr(0, eq);
        const std::string_view value = item.substr(eq + 1);
        std::uint64_t n = 0;
        bool ok = false;
        if (key == "crc")
            ok = parse_rate(value, faults.response_corruption_rate);
        else if (key == "cmd")
            ok = parse_rate(value, faults.command_corruption_rate);
        else if (key == "nack")
            ok = parse_rate(value, faults.nack_burst_rate);
        else if (key == "seed")
            ok = parse_u64(value, faults.seed);
        else if (key == "powerloss")
            ok = parse_u64(value, faults.power_loss_at_write);
        else if (key == "nacklen") {
            ok = parse_u64(value, n) && n >= 1 && n <= emud::kMaxNackBurst;
            faults.nack_burst_length = static_cast<std::uint32_t>(n);
        }
        if (!ok) return Errc::invalid_argument;
    }
    return faults;
}

}  // namespace sebind::port_linux
