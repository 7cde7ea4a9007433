// SPDX-License-Identifier: Apache-2.0
// `sebind doctor`'s parser of a TLS server's first flight (bytes from the network): any input
// parses to a state without reading outside it; what it keeps stays within its bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sebind/doctor/tls_wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sebind::doctor::ServerFlight flight;
    const auto result = sebind::doctor::parse_server_flight({data, size}, flight);
    std::size_t held = 0;
    for (const auto& c : flight.certificates) held += c.size();
    for (const auto& n : flight.ca_names) held += n.size();
    if (flight.certificates.size() > sebind::doctor::kMaxListEntries ||
        flight.ca_names.size() > sebind::doctor::kMaxListEntries || held > size ||
        (result.state == sebind::doctor::ParseState::malformed && result.error.empty()))
        std::abort();
    (void)sebind::doctor::suite_name(flight.suite);
    (void)sebind::doctor::group_name(flight.group);
    return 0;
}
