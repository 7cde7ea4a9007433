// SPDX-License-Identifier: Apache-2.0
// One TLS connection's wolfSSL state, its non-blocking socket and the waits with deadlines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chip_signer.hpp"
#include "sebind/host/clock.hpp"
#include "sebind/tls/tcp.hpp"
#include "sebind/tls_wolfssl/client.hpp"
#include "wolfssl.hpp"

namespace sebind::tls_wolfssl {

/// What the socket callbacks saw (wolfSSL only passes their return codes up).
struct Io {
    int fd = -1;
    int last_errno = 0;
    bool peer_closed = false;  ///< orderly EOF from the peer (TCP FIN)
    bool peer_reset = false;   ///< connection reset or broken pipe
};

using tls::TcpError;

/// How a Connection is configured: for real, or as the diagnosis' probe (every suite, no
/// verification, no client certificate) that learns what the server wanted.
enum class Mode : std::uint8_t { client, probe };

struct Connection {
    Connection() = default;
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Context and session objects from the options. Returns WOLFSSL_SUCCESS or a wolfSSL error;
    /// `what` names the step that failed. `cap_tls12`: the key cannot sign in TLS 1.3.
    int setup(const ClientOptions& o, Mode mode, bool cap_tls12, const LeafKey* leaf, std::string& what) noexcept;
    /// tls::tcp_connect within `deadline_ms` (a host::monotonic_ms() value), the socket non-blocking.
    TcpError open_tcp(const ClientOptions& o, std::uint32_t deadline_ms) noexcept;
    int resolver_error = 0;  ///< getaddrinfo's code when open_tcp gave unknown_host
    /// Runs wolfSSL_connect to completion or `deadline_ms`; 0 or a wolfSSL error code.
    int handshake(std::uint32_t deadline_ms) noexcept;
    /// Waits for the socket to become readable (or writable) until `deadline_ms`; false = time out.
    bool wait(bool for_write, std::uint32_t deadline_ms) noexcept;
    /// After a TLS 1.3 handshake: reads until the server's first record, a session ticket or
    /// data (left for the reader), or until `deadline_ms`; 0 then, or the wolfSSL error its
    /// alert (or close) caused.
    int await_verdict(std::uint32_t deadline_ms) noexcept;

    WOLFSSL_CTX* ctx = nullptr;
    WOLFSSL* ssl = nullptr;
    Io io;
    ChipSigner signer;
    std::string host;            ///< the name the server's certificate must carry (tls/host_name.hpp)
    bool name_mismatch = false;  ///< the server's certificate verified but does not name `host`
    bool max_tls12 = false;      ///< as set up: the key cannot sign in TLS 1.3
    bool timed_out = false;
    bool ticket_arrived = false;                     ///< a NewSessionTicket came in since the cache was last refreshed
    std::string alpn_list;                           ///< comma-separated, writable: what wolfSSL_UseALPN takes
    std::vector<std::vector<std::uint8_t>> trusted;  ///< the CA file's certificates (DER), set before setup
    std::size_t bad_trusted = 0;  ///< setup failed at "CA file": the index of the one wolfSSL refused
};

}  // namespace sebind::tls_wolfssl
