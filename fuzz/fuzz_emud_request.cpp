// SPDX-License-Identifier: Apache-2.0
// Fuzz target: sebind-emud's request parser, which reads bytes from any local client.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sebind/emud/daemon_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sebind::port_linux::emud;
    const sebind::Bytes input(data, size);
    // The whole input as one message (the parser must refuse anything but exactly one), then
    // the first message of the input as the daemon's framing would cut it.
    auto whole = parse_request(input);
    auto n = message_size(input);
    if (whole && (!n || *n != size)) std::abort();
    if (!n || *n == 0) return 0;
    auto req = parse_request(input.first(*n));
    if (req) {
        // The codec is canonical: whatever parses encodes back to exactly the same bytes.
        const auto again = encode_request(*req);
        if (again.size() != *n || !std::equal(again.begin(), again.end(), input.begin())) std::abort();
    }
    return 0;
}
