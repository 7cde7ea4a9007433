// SPDX-License-Identifier: Apache-2.0
// Status: the error type of every sebind library (no exceptions in the core).
#pragma once

#include <cstdint>

namespace sebind {

/// Error categories. Modelled on the PSA Crypto error set so the mbedTLS glue maps them one to
/// one; the raw chip status (when the chip said no) is kept next to the category.
enum class Errc : std::uint8_t {
    ok = 0,
    communication_failure,  ///< bus fault, chip never answered, command CRC rejected by the chip
    busy,                   ///< chip still NACKing after the polling budget
    integrity_failure,      ///< response CRC or R-MAC wrong after the retry budget
    invalid_response,       ///< response malformed: length, layout or content not as specified
    invalid_argument,       ///< caller passed something the protocol cannot carry
    buffer_too_small,       ///< caller's output span cannot hold the result
    not_permitted,          ///< access condition, usage limit, life cycle, authorisation
    does_not_exist,         ///< empty key slot, unknown zone, missing resource
    already_exists,         ///< one-time attribute or slot already written
    invalid_signature,      ///< a signature or MAC that does not verify
    not_supported,          ///< command, curve or option this chip or build does not offer
    hardware_failure,       ///< chip reported an internal error or entered an unusable state
    storage_failure,        ///< host-side file system error (emulator state, outbox)
    corrupted_data,         ///< stored data fails its own integrity check
    out_of_range,           ///< offset, length or counter outside the allowed range
    timeout,                ///< a host-side deadline passed
    expired,                ///< a certificate or credential outside its validity period
};

/// Short stable name of a category ("communication_failure", ...).
const char* to_string(Errc e) noexcept;

/// A category plus, when the chip produced it, the chip's raw status code (1..0x1F).
class [[nodiscard]] Status {
public:
    constexpr Status() noexcept = default;
    constexpr explicit Status(Errc code, std::uint8_t device_status = 0) noexcept
        : m_code(code), m_device_status(device_status) {}

    static constexpr Status success() noexcept { return Status(); }

    constexpr bool ok() const noexcept { return m_code == Errc::ok; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    constexpr Errc code() const noexcept { return m_code; }
    /// The chip's status code when the chip rejected the command, else 0.
    constexpr std::uint8_t device_status() const noexcept { return m_device_status; }

    friend constexpr bool operator==(Status a, Status b) noexcept {
        return a.m_code == b.m_code && a.m_device_status == b.m_device_status;
    }
    friend constexpr bool operator==(Status a, Errc b) noexcept { return a.m_code == b; }

private:
    Errc m_code = Errc::ok;
    std::uint8_t m_device_status = 0;
};

}  // namespace sebind

/// Return early from a function returning Status or Result<T> when `expr` (a Status) failed.
#define SEBIND_TRY(expr)                                                                        \
    do {                                                                                        \
        if (::sebind::Status sebind_try_s_ = (expr); !sebind_try_s_.ok()) return sebind_try_s_; \
    } while (0)
