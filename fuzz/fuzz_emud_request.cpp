// SPDX-License-Identifier: Apache-2.0
// Fuzz target: sebind-emud's request parser, which reads bytes from any local client.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sebind/port_linux/daemon_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sebind::port_linux::emud;
    const sebind::Bytes input(data, size);
    auto n = message_size(input);
    if (!n || *n == 0) return 0;
    auto req = parse_request(input.first(*n));
    if (req) {
        // Whatever parses must encode back to the same bytes.
        const auto again = encode_request(*req);
        auto reparsed = parse_request(again);
        if (!reparsed || reparsed->op != req->op) std::abort();
    }
    return 0;
}
