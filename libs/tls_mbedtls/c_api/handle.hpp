// SPDX-License-Identifier: Apache-2.0
// Internal to the C API: what a sebind_mbedtls_se handle is (a driver plus the last error text),
// shared by the portable part and the Linux URI part, and the guard every C entry goes through.
#pragma once

#include <new>
#include <string>

#include "sebind/core/status.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/tls_mbedtls/sebind_mbedtls.h"

/// The opaque handle of the C API: whatever owns the bus and the driver, behind one interface.
struct sebind_mbedtls_se {
    sebind_mbedtls_se() noexcept;  ///< starts PSA crypto where mbedTLS needs it (3.x)
    virtual ~sebind_mbedtls_se() = default;
    virtual sebind::stsafe::Device& device() noexcept = 0;
    std::string last_error;
};

namespace sebind::tls_mbedtls::c_api {

/// The C code of a Status category (0 for ok).
int to_code(Errc e) noexcept;

/// Records `what` plus the status (and the chip's code) as the handle's last error; returns the code.
int fail(sebind_mbedtls_se* se, Status status, const char* what, const char* fix = nullptr) noexcept;

/// Runs a C entry's body; no exception leaves it (bad_alloc and anything else become
/// SEBIND_MBEDTLS_ERR_OUT_OF_MEMORY). Without exceptions (-fno-exceptions) it is a plain call.
template <class F>
int guarded(sebind_mbedtls_se* se, F&& body) noexcept {
#if defined(__cpp_exceptions)
    try {
        return body();
    } catch (...) {
        if (se) {
            try {
                se->last_error = "out of host memory (or another host-side error)";
            } catch (...) {}
        }
        return SEBIND_MBEDTLS_ERR_OUT_OF_MEMORY;
    }
#else
    (void)se;
    return body();
#endif
}

}  // namespace sebind::tls_mbedtls::c_api
