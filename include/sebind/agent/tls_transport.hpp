// SPDX-License-Identifier: Apache-2.0
// TlsTransport: an MQTT session's byte-stream seam over a TLS stream of either stack.
#pragma once

#include <cstdint>

#include "sebind/mqtt/session/transport.hpp"
#include "sebind/tls/stream.hpp"

namespace sebind::agent {

/// Adapts a connected tls::Stream to mqtt::Transport. recv() waits at most `recv_wait_ms` for
/// data before answering would_block, so the session's timers run at that granularity and a
/// poll loop needs no other wait.
class TlsTransport final : public mqtt::Transport {
public:
    explicit TlsTransport(tls::Stream& stream, std::uint32_t recv_wait_ms = 50) noexcept
        : m_stream(stream), m_recv_wait_ms(recv_wait_ms) {}

    void set_recv_wait_ms(std::uint32_t ms) noexcept { m_recv_wait_ms = ms; }

    mqtt::IoResult send(Bytes data) noexcept override {
        if (data.empty()) return mqtt::IoResult::blocked();
        if (!m_stream.write(data).ok()) return {mqtt::IoStatus::error, 0};
        return mqtt::IoResult::done(data.size());
    }

    mqtt::IoResult recv(MutableBytes buf) noexcept override {
        const Result<std::size_t> n = m_stream.read(buf, m_recv_wait_ms);
        if (!n.ok()) {
            if (n.status().code() == Errc::timeout) return mqtt::IoResult::blocked();
            return {mqtt::IoStatus::error, 0};
        }
        if (*n == 0) return {mqtt::IoStatus::closed, 0};
        // A read returns one TLS record; a broker writes each acknowledgement as its own. Take
        // the records already here too (no wait), so the session handles a burst of them, and
        // refills its window, with one write rather than one per record. A failure or EOF met
        // here shows again at the next call.
        std::size_t got = *n;
        while (got < buf.size()) {
            const Result<std::size_t> more = m_stream.read(buf.subspan(got), 0);
            if (!more.ok() || *more == 0) break;
            got += *more;
        }
        return mqtt::IoResult::done(got);
    }

private:
    tls::Stream& m_stream;
    std::uint32_t m_recv_wait_ms;
};

}  // namespace sebind::agent
