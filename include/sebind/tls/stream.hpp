// SPDX-License-Identifier: Apache-2.0
// Stream: a connected TLS byte stream, whichever stack made it. The MQTT transport, the CLI and
// the agent talk to this seam, so mbedTLS and wolfSSL are interchangeable above the handshake.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"

namespace sebind::tls {

class Stream {
public:
    virtual ~Stream() = default;
    /// Writes all of `data`. Errors: communication_failure (peer gone, not connected).
    virtual Status write(Bytes data) = 0;
    /// Reads up to out.size() bytes, waiting at most `wait_ms` for the first (0 = only what is
    /// already there); 0 bytes = the peer closed. Errors: timeout (nothing arrived in time),
    /// communication_failure.
    virtual Result<std::size_t> read(MutableBytes out, std::uint32_t wait_ms) = 0;
    /// Sends close_notify (best effort) and closes the socket. Idempotent.
    virtual void close() noexcept = 0;
};

}  // namespace sebind::tls
