// SPDX-License-Identifier: Apache-2.0
// Frame codec (§1.2-§1.4) for both sides: the driver encodes commands and decodes responses, the
// emulator decodes commands and encodes responses. Stateless, no I/O; every length is checked.
#pragma once

#include <cstdint>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"

namespace sebind::stsafe {

/// A decoded command frame; the views point into the input.
struct CommandFrame {
    std::uint8_t header = 0;  ///< as transmitted (MAC bits included)
    Bytes payload;            ///< after the header, before C-MAC and CRC
    Bytes cmac;               ///< 4 bytes when header bit 7 is set, else empty
};

/// A decoded response frame; the views point into the input.
struct ResponseFrame {
    std::uint8_t status = 0;     ///< status byte as transmitted (bit 6 = R-MAC present)
    Bytes payload;               ///< after status and length, before R-MAC and CRC
    Bytes rmac;                  ///< 4 bytes when the status byte's R-MAC bit is set, else empty
    std::size_t frame_size = 0;  ///< bytes the whole frame occupies: 3 + length field
};

/// header + payload + cmac + CRC into `out`; returns the frame size.
/// Errors: invalid_argument (cmac not 0 or 4 bytes, or cmac present without header bit 7),
/// buffer_too_small.
Result<std::size_t> encode_command(std::uint8_t header, Bytes payload, Bytes cmac, MutableBytes out) noexcept;

/// Parses a command as received from the bus. Errors: invalid_response (shorter than header +
/// CRC, or C-MAC flag set without room for it), integrity_failure (CRC mismatch).
Result<CommandFrame> decode_command(Bytes frame) noexcept;

/// status + length + payload + rmac + CRC into `out`; returns the frame size.
Result<std::size_t> encode_response(std::uint8_t status, Bytes payload, Bytes rmac, MutableBytes out) noexcept;

/// Total frame size announced by the first 3 bytes of a response (3 + length field), or an
/// error if fewer than 3 bytes are given or the length is impossible (< 2 or > the I/O buffer).
Result<std::size_t> response_frame_size(Bytes first_bytes) noexcept;

/// Parses a complete response. Only the announced frame is parsed (trailing bytes, e.g. 0xFF
/// filler, are ignored). Errors: invalid_response (truncated, length < 2, > I/O buffer, R-MAC
/// flag set on a frame too short to carry one), integrity_failure (CRC mismatch).
Result<ResponseFrame> decode_response(Bytes frame) noexcept;

}  // namespace sebind::stsafe
