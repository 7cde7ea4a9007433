// SPDX-License-Identifier: Apache-2.0
// Uplink: keeps one MQTT session to the broker alive over TLS with the chip key. It opens the
// TLS stream (through a Connector, so mbedTLS or wolfSSL), runs the session, and after any
// failure reconnects with exponential backoff and jitter; QoS 1/2 messages wait in the
// MessageStore meanwhile and are resent. No sleeps of its own: the owner calls step() in a loop
// and waits at most ms_until_next_step() between calls. The one blocking part, the connector
// (TCP + TLS handshake with chip signatures, up to its timeout), runs on a thread of its own, so
// step() never blocks on it and the owner keeps working (sampling into the store) meanwhile;
// the session itself stays on the owner's thread.
//
//     Uplink up(cfg, connector, clock, outbox, handler);
//     while (!stop) {
//         up.step();                                   // connect / poll / back off
//         wait_for_signal_or(up.ms_until_next_step());
//     }
//     up.drain(5000);                                  // SIGTERM: deliver what is in flight
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sebind/agent/tls_transport.hpp"
#include "sebind/core/clock.hpp"
#include "sebind/mqtt/session/backoff.hpp"
#include "sebind/mqtt/session/session.hpp"
#include "sebind/tls/report.hpp"
#include "sebind/tls/stream.hpp"
#include "sebind/tls_mbedtls/client.hpp"
#if SEBIND_HAVE_WOLFSSL
#include "sebind/tls_wolfssl/client.hpp"
#endif

namespace sebind::agent {

/// Opens a TLS stream to the broker. On failure returns nullptr and fills `diagnosis`.
using Connector = std::function<std::unique_ptr<tls::Stream>(tls::HandshakeInfo& info, tls::Diagnosis& diagnosis)>;

/// A Connector on a TLS client type: each call makes a new `ClientT`, connects it with `options`
/// and resumes the session kept in `cache` (so a reconnect needs no chip signature while the
/// broker remembers it). `options` are copied; what they point to (key, chain, device) and the
/// cache must outlive the connector.
template <class ClientT, class OptionsT, class CacheT>
Connector client_connector(OptionsT options, CacheT* cache) {
    return [options = std::move(options), cache](tls::HandshakeInfo& info,
                                                 tls::Diagnosis& diagnosis) -> std::unique_ptr<tls::Stream> {
        auto client = std::make_unique<ClientT>();
        auto connected = client->connect(options, cache);
        if (!connected.ok()) {
            diagnosis = client->diagnosis();
            return nullptr;
        }
        info = *connected;
        return client;
    };
}

/// The mbedTLS client (TLS 1.2). The trusted CAs, the DRBG and the TLS configuration are set up
/// at the first call and shared by every later connection (tls_mbedtls::ClientContext: a reconnect costs
/// ~3 KB less heap and no CA parsing or entropy gathering). `cache` may be null.
Connector mbedtls_connector(tls_mbedtls::ClientOptions options, tls_mbedtls::SessionCache* cache);

#if SEBIND_HAVE_WOLFSSL
/// The wolfSSL client (TLS 1.2 and 1.3; the chip key through its PK callback).
inline Connector wolfssl_connector(tls_wolfssl::ClientOptions options, tls_wolfssl::SessionCache* cache) {
    return client_connector<tls_wolfssl::Client>(std::move(options), cache);
}
#endif

/// Empty when `client_id` is one sessions send (mqtt::check_client_id); otherwise one line with
/// the cause and the fix, `what` naming where the id came from (e.g. "--client-id").
std::string client_id_problem(std::string_view client_id, const std::string& what);

struct UplinkConfig {
    mqtt::SessionConfig session;  ///< client id, keep alive, clean start, will... (views must outlive the uplink)
    mqtt::BackoffConfig backoff{500, 30'000, 2, 50};
    std::uint64_t backoff_seed = 0;    ///< e.g. a hash of the client id: a fleet spreads out
    std::uint32_t recv_wait_ms = 50;   ///< how long step() waits for broker data when idle
    std::size_t rx_bytes = 64u << 10;  ///< largest inbound packet
    std::size_t tx_bytes = 64u << 10;  ///< largest outbound packet + queued output
};

/// A line per state change (connecting, connected, failed + why, disconnected + why).
using UplinkLog = std::function<void(const std::string& line)>;

struct UplinkStats {
    std::uint32_t connect_attempts = 0;
    std::uint32_t connects = 0;  ///< CONNACK accepted
    std::uint32_t tls_failures = 0;
    std::uint32_t disconnects = 0;      ///< connections that ended without our disconnect()
    std::uint32_t chip_signatures = 0;  ///< over all handshakes (resumed ones add none)
    /// Connection attempts in a row that failed in the secure element (tls::Failure::chip_error);
    /// 0 again after any handshake that got past the chip or failed for another reason.
    std::uint32_t chip_failures_in_a_row = 0;
};

class Uplink final : private mqtt::SessionHandler {
public:
    /// `clock`, `store` and `handler` must outlive the uplink. `handler` receives the session's
    /// events (the uplink sees them first for its own bookkeeping).
    Uplink(const UplinkConfig& config, Connector connector, Clock& clock, mqtt::MessageStore& store,
           mqtt::SessionHandler& handler, UplinkLog log = {});
    ~Uplink() override;
    Uplink(const Uplink&) = delete;
    Uplink& operator=(const Uplink&) = delete;

    /// Does what is due: connects when the backoff delay has passed, otherwise runs the session
    /// (waiting up to recv_wait_ms for broker data). Failures are logged and retried, never fatal.
    void step();
    /// How long the owner may wait before the next step() (0 = at once; while a connection is
    /// being opened, a short poll interval).
    std::uint32_t ms_until_next_step() noexcept;

    /// Session::publish. QoS 1/2 are stored even while disconnected.
    Result<std::uint16_t> publish(std::string_view topic, Bytes payload, mqtt::QoS qos, bool retain = false) noexcept;
    /// Subscriptions to (re)make after every CONNACK without a session present.
    void set_subscriptions(std::vector<std::string> filters, mqtt::QoS qos);

    /// Runs until every stored message is acknowledged or `timeout_ms` passed, then sends
    /// DISCONNECT and closes. Returns the number of stored messages left (kept for next time).
    /// A connection still being opened then is waited for (its connector's own timeout bounds
    /// it) and closed.
    std::size_t drain(std::uint32_t timeout_ms);
    /// Closes without DISCONNECT (the broker publishes the will).
    void abort_connection();

    bool connected() const noexcept { return m_session.state() == mqtt::SessionState::connected; }
    /// A connector thread is opening a connection (TCP + TLS).
    bool connecting() const noexcept { return m_attempt.valid(); }
    const mqtt::Session& session() const noexcept { return m_session; }
    const UplinkStats& stats() const noexcept { return m_stats; }
    const tls::Diagnosis& last_tls_failure() const noexcept { return m_last_failure; }
    const tls::HandshakeInfo& last_handshake() const noexcept { return m_last_handshake; }

private:
    void on_connected(const mqtt::Connack& connack) noexcept override;
    void on_message(const mqtt::Publish& message) noexcept override;
    void on_refused(const mqtt::RefusedMessage& message) noexcept override;
    void on_delivered(std::uint16_t packet_id, std::uint64_t seq, std::uint8_t reason_code) noexcept override;
    void on_subscribed(const mqtt::Suback& suback) noexcept override;
    void on_unsubscribed(const mqtt::Unsuback& unsuback) noexcept override;
    void on_disconnected(Status why, std::uint8_t reason_code) noexcept override;

    /// What a connector thread hands back.
    struct Attempt {
        std::unique_ptr<tls::Stream> stream;
        tls::HandshakeInfo info;
        tls::Diagnosis diagnosis;
    };
    void start_connect();
    void finish_connect(Attempt attempt);
    void close_stream() noexcept;
    void schedule_retry();
    void note(const std::string& line);

    UplinkConfig m_config;
    Connector m_connector;
    Clock& m_clock;
    mqtt::MessageStore& m_store;
    mqtt::SessionHandler& m_app;
    UplinkLog m_log;
    std::vector<std::uint8_t> m_rx, m_tx;
    mqtt::Session m_session;
    mqtt::Backoff m_backoff;
    std::unique_ptr<tls::Stream> m_stream;
    std::unique_ptr<TlsTransport> m_transport;
    std::uint32_t m_retry_at_ms = 0;
    bool m_retry_pending = false;    // false: connect at the next step
    std::future<Attempt> m_attempt;  // valid while a connector thread runs
    std::vector<std::string> m_filters;
    mqtt::QoS m_sub_qos = mqtt::QoS::at_least_once;
    UplinkStats m_stats;
    tls::Diagnosis m_last_failure;
    tls::HandshakeInfo m_last_handshake;
};

}  // namespace sebind::agent
