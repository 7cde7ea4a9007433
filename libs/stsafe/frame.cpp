// SPDX-License-Identifier: Apache-2.0
// Command and response frame codec (§1.2-§1.4). Nothing here trusts a length it did not check.
#include "sebind/stsafe/frame.hpp"

#include <cstring>

#include "sebind/stsafe/crc.hpp"
#include "sebind/stsafe/protocol.hpp"

namespace sebind::stsafe {

Result<std::size_t> encode_command(std::uint8_t header_byte, Bytes payload, Bytes cmac, MutableBytes out) noexcept {
    const bool mac_flag = (header_byte & header::kCmac) != 0;
    if (!(cmac.empty() || cmac.size() == kMacSize) || mac_flag != !cmac.empty()) return Errc::invalid_argument;
    const std::size_t size = 1 + payload.size() + cmac.size() + kCrcSize;
    if (size > out.size()) return Errc::buffer_too_small;
    out[0] = header_byte;
    if (!payload.empty()) std::memcpy(&out[1], payload.data(), payload.size());
    if (!cmac.empty()) std::memcpy(&out[1 + payload.size()], cmac.data(), cmac.size());
    // The command CRC covers header, payload and C-MAC (§2.1).
    const std::uint16_t crc = crc16(out.first(size - kCrcSize));
    store_be16(&out[size - kCrcSize], crc);
    return size;
}

Result<CommandFrame> decode_command(Bytes frame) noexcept {
    if (frame.size() < 1 + kCrcSize) return Errc::invalid_response;
    const std::size_t body = frame.size() - kCrcSize;
    if (crc16(frame.first(body)) != load_be16(&frame[body])) return Errc::integrity_failure;
    CommandFrame out;
    out.header = frame[0];
    std::size_t payload_size = body - 1;
    if (out.header & header::kCmac) {
        if (payload_size < kMacSize) return Errc::invalid_response;
        payload_size -= kMacSize;
        out.cmac = frame.subspan(1 + payload_size, kMacSize);
    }
    out.payload = frame.subspan(1, payload_size);
    return out;
}

Result<std::size_t> encode_response(std::uint8_t status, Bytes payload, Bytes rmac, MutableBytes out) noexcept {
    if (!(rmac.empty() || rmac.size() == kMacSize)) return Errc::invalid_argument;
    const std::size_t length = payload.size() + rmac.size() + kCrcSize;
    const std::size_t size = 3 + length;
    if (length > 0xFFFF) return Errc::invalid_argument;
    if (size > out.size()) return Errc::buffer_too_small;
    out[0] = status;
    store_be16(&out[1], static_cast<std::uint16_t>(length));
    if (!payload.empty()) std::memcpy(&out[3], payload.data(), payload.size());
    if (!rmac.empty()) std::memcpy(&out[3 + payload.size()], rmac.data(), rmac.size());
    // The response CRC covers status, payload and R-MAC but not the length field (§2.1).
    Crc16 crc;
    crc.update(out[0]);
    crc.update(out.subspan(3, payload.size() + rmac.size()));
    store_be16(&out[size - kCrcSize], crc.value());
    return size;
}

Result<std::size_t> response_frame_size(Bytes first) noexcept {
    if (first.size() < 3) return Errc::invalid_response;
    const std::size_t length = load_be16(&first[1]);
    // The length counts payload + R-MAC + CRC; the status byte plus that must fit the I/O buffer.
    if (length < kCrcSize || 1 + length > kIoBufferSize) return Errc::invalid_response;
    return 3 + length;
}

Result<ResponseFrame> decode_response(Bytes frame) noexcept {
    auto size = response_frame_size(frame);
    if (!size) return size.status();
    if (frame.size() < *size) return Errc::invalid_response;
    const std::size_t body = *size - 3 - kCrcSize;  // payload + R-MAC
    Crc16 crc;
    crc.update(frame[0]);
    crc.update(frame.subspan(3, body));
    if (crc.value() != load_be16(&frame[3 + body])) return Errc::integrity_failure;
    ResponseFrame out;
    out.status = frame[0];
    out.frame_size = *size;
    std::size_t payload_size = body;
    if (out.status & kStatusRmacFlag) {
        if (payload_size < kMacSize) return Errc::invalid_response;
        payload_size -= kMacSize;
        out.rmac = frame.subspan(3 + payload_size, kMacSize);
    }
    out.payload = frame.subspan(3, payload_size);
    return out;
}

}  // namespace sebind::stsafe
