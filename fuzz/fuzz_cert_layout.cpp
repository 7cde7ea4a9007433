// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the identity-zone layout reader (a zone image comes from the chip, i.e. outside).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sebind/identity/zone_record.hpp"
#include "sebind/stsafe/responses.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sebind::identity;
    const sebind::Bytes zone(data, size);
    auto record = decode_zone_image(zone);
    if (record) {
        // Whatever decodes must encode to a record of the same content.
        const auto again = encode_record(*record);
        auto back = decode_record(again, record->public_key.curve);
        if (!back || back->certificate != record->certificate) std::abort();
    } else if (record.status().code() == sebind::Errc::does_not_exist) {
        // No identity header: the reader falls back to the factory layout (§6.3), whose length
        // comes from the first DER bytes and is then bounded by the zone.
        (void)sebind::stsafe::der_total_length(zone.first(size < 4 ? size : 4));
    }
    auto header = decode_header(zone);
    if (header) {
        // A header that decodes re-encodes to the same bytes (the CRC covers all of them).
        const auto bytes = encode_header(*header);
        for (std::size_t i = 0; i < bytes.size(); ++i)
            if (bytes[i] != data[i]) std::abort();
    }
    return 0;
}
