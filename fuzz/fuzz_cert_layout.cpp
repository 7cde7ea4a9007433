// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the identity-zone layout reader (a zone image comes from the chip, i.e. outside).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sebind/identity/zone_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sebind::identity;
    auto record = decode_zone_image(sebind::Bytes(data, size));
    if (record) {
        // Whatever decodes must encode to a record of the same content.
        const auto again = encode_record(*record);
        auto back = decode_record(again, record->public_key.curve);
        if (!back || back->certificate != record->certificate) std::abort();
    }
    (void)decode_header(sebind::Bytes(data, size));
    return 0;
}
