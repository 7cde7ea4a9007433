// SPDX-License-Identifier: Apache-2.0
// Transport: the byte-stream seam under an MQTT session (TCP, TLS, an in-memory fake broker).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sebind/core/bytes.hpp"

namespace sebind::mqtt {

enum class IoStatus : std::uint8_t {
    ok,           ///< `bytes` (> 0) were sent / received
    would_block,  ///< nothing can be done now; try again later (non-blocking transports)
    closed,       ///< the peer closed the stream in order (EOF, TLS close_notify)
    error,        ///< the stream failed (reset, TLS alert, timeout of a blocking transport)
};

struct IoResult {
    IoStatus status = IoStatus::error;
    std::size_t bytes = 0;
    static constexpr IoResult done(std::size_t n) noexcept { return {IoStatus::ok, n}; }
    static constexpr IoResult blocked() noexcept { return {IoStatus::would_block, 0}; }
};

/// A connected, ordered, reliable byte stream. The session calls it from one thread, never
/// re-entrantly, and never closes it: whoever opened the connection closes it after the session
/// reports the end (Session::poll returning an error, or state() == disconnected).
///
/// Contract (like coreMQTT's transport interface, with "retry later" kept apart from failure):
/// - send(data): writes 1..data.size() bytes and returns ok with the count, or would_block
///   (nothing written), or closed/error. It must not return ok with 0 bytes.
/// - recv(buf): reads 1..buf.size() bytes and returns ok with the count, or would_block (no data
///   yet), or closed (EOF) / error. A blocking transport may wait a short while before
///   answering would_block; the session's timers then run at that granularity.
class Transport {
public:
    virtual ~Transport() = default;
    virtual IoResult send(Bytes data) noexcept = 0;
    virtual IoResult recv(MutableBytes buf) noexcept = 0;
};

}  // namespace sebind::mqtt
