// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the identity-zone layout reader (a zone image comes from the chip, i.e. outside).
// When the first input byte is odd, the rest is a zone image whose header is rewritten valid
// (magic, version, CRC) around the fuzzed fields, with the digest of the record it points at, so
// the fuzzer reaches the record decoder instead of stopping at a SHA-256 it cannot guess.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sebind/identity/zone_record.hpp"
#include "sebind/stsafe/responses.hpp"

namespace {

using namespace sebind::identity;

/// The header fields taken from the image's first 32 bytes where they are, made consistent.
void fix_header(std::vector<std::uint8_t>& image) {
    if (image.size() < kHeaderSize) return;
    ZoneHeader h;
    h.active_copy = image[5] & 1;
    h.generation = static_cast<std::uint32_t>(image[6]) << 24 | static_cast<std::uint32_t>(image[7]) << 16 |
                   static_cast<std::uint32_t>(image[8]) << 8 | image[9];
    h.slot = image[10];
    h.curve = static_cast<sebind::stsafe::Curve>(image[11] % 4);
    const CopyArea area = copy_area(image.size(), h.active_copy);
    const std::size_t room = area.offset < image.size() ? std::min(area.size, image.size() - area.offset) : 0;
    h.record_size = static_cast<std::uint16_t>(
        room ? (static_cast<std::size_t>(image[12]) << 8 | image[13]) % (room + 1) : 0);
    h.record_digest = record_digest(sebind::Bytes(image.data() + area.offset, h.record_size));
    const auto header = encode_header(h);
    std::memcpy(image.data(), header.data(), header.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t input_size) {
    if (input_size < 1) return 0;
    std::vector<std::uint8_t> image(input + 1, input + input_size);
    if (input[0] & 1) fix_header(image);
    const std::uint8_t* data = image.data();
    const std::size_t size = image.size();
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
