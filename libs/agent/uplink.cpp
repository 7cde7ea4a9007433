// SPDX-License-Identifier: Apache-2.0
// Uplink: TLS stream + MQTT session + reconnect with backoff.
#include "sebind/agent/uplink.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace sebind::agent {

Connector mbedtls_connector(tls_mbedtls::ClientOptions options, tls_mbedtls::SessionCache* cache) {
    auto context = std::make_shared<tls_mbedtls::ClientContext>();
    return [options = std::move(options), cache, context](tls::HandshakeInfo& info,
                                                          tls::Diagnosis& diagnosis) -> std::unique_ptr<tls::Stream> {
        // Set up again after a failure: the CA file may have been fixed meanwhile.
        if (!context->ready() && !context->setup(options, &diagnosis).ok()) return nullptr;
        auto client = std::make_unique<tls_mbedtls::Client>();
        auto connected = client->connect(*context, cache);
        if (!connected.ok()) {
            diagnosis = client->diagnosis();
            return nullptr;
        }
        info = *connected;
        return client;
    };
}

std::string client_id_problem(std::string_view client_id, const std::string& what) {
    switch (mqtt::check_client_id(client_id)) {
        case mqtt::Error::ok: return {};
        case mqtt::Error::value_too_large:
            return what + " is " + std::to_string(client_id.size()) + " bytes, more than the " +
                   std::to_string(mqtt::kMaxClientIdBytes) +
                   " sebind sends (brokers need only take 23) — use a shorter client id";
        default: return what + " is not valid UTF-8 or holds a NUL — use a plain-text client id";
    }
}

Uplink::Uplink(const UplinkConfig& config, Connector connector, Clock& clock, mqtt::MessageStore& store,
               mqtt::SessionHandler& handler, UplinkLog log)
    : m_config(config),
      m_connector(std::move(connector)),
      m_clock(clock),
      m_store(store),
      m_app(handler),
      m_log(std::move(log)),
      m_rx(config.rx_bytes),
      m_tx(config.tx_bytes),
      m_session(m_config.session, clock, store, *this, MutableBytes(m_rx.data(), m_rx.size()),
                MutableBytes(m_tx.data(), m_tx.size())),
      m_backoff(config.backoff, config.backoff_seed) {}

Uplink::~Uplink() {
    if (m_attempt.valid()) m_attempt.wait();  // the connector's timeout bounds this
    close_stream();
}

void Uplink::note(const std::string& line) {
    if (m_log) m_log(line);
}

void Uplink::close_stream() noexcept {
    m_transport.reset();
    if (m_stream) m_stream->close();
    m_stream.reset();
}

void Uplink::schedule_retry() {
    const std::uint32_t delay = m_backoff.next_delay_ms();
    m_retry_at_ms = m_clock.now_ms() + delay;
    m_retry_pending = true;
    note("uplink: retrying in " + std::to_string(delay) + " ms");
}

void Uplink::start_connect() {
    m_retry_pending = false;
    ++m_stats.connect_attempts;
    note("uplink: connecting");
    // The connector (and what it captured: options, context, session cache, the chip) is used
    // by this thread only until the attempt is collected; the session is not touched there.
    m_attempt = std::async(std::launch::async, [connector = m_connector]() {
        Attempt a;
        a.stream = connector(a.info, a.diagnosis);
        return a;
    });
}

void Uplink::finish_connect(Attempt attempt) {
    if (!attempt.stream) {
        ++m_stats.tls_failures;
        if (attempt.diagnosis.failure == tls::Failure::chip_error)
            ++m_stats.chip_failures_in_a_row;
        else
            m_stats.chip_failures_in_a_row = 0;
        m_last_failure = attempt.diagnosis;
        note("uplink: TLS failed: " + attempt.diagnosis.cause + " (" + attempt.diagnosis.fix + ")");
        schedule_retry();
        return;
    }
    m_stats.chip_failures_in_a_row = 0;
    m_stream = std::move(attempt.stream);
    const tls::HandshakeInfo& info = attempt.info;
    m_last_handshake = info;
    m_stats.chip_signatures += info.chip_signatures;
    note("uplink: TLS up: " + info.version + " " + info.ciphersuite + (info.resumed ? " (resumed)" : "") + ", " +
         std::to_string(info.chip_signatures) + " chip signature(s)");
    m_transport = std::make_unique<TlsTransport>(*m_stream, m_config.recv_wait_ms);
    if (const Status st = m_session.connect(*m_transport); !st.ok()) {
        note(std::string("uplink: MQTT CONNECT failed: ") + to_string(st.code()));
        close_stream();
        schedule_retry();
    }
}

void Uplink::step() {
    if (m_attempt.valid()) {
        if (m_attempt.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;  // still opening
        finish_connect(m_attempt.get());
        if (!m_stream) return;
    } else if (!m_stream) {
        if (m_retry_pending && ms_until_next_step() > 0) return;  // still backing off
        start_connect();
        return;
    }
    (void)m_session.poll();  // a failure arrives through on_disconnected
    if (m_session.state() == mqtt::SessionState::disconnected && m_stream) {
        close_stream();
        schedule_retry();
    }
}

std::uint32_t Uplink::ms_until_next_step() noexcept {
    // Opening a connection: look again soon (the owner's wait is its own work's pace too).
    if (m_attempt.valid()) return std::max<std::uint32_t>(m_config.recv_wait_ms, 5);
    // Connected, step() itself waits in recv for up to recv_wait_ms: call again at once.
    if (m_stream || !m_retry_pending) return 0;
    const auto left = static_cast<std::int32_t>(m_retry_at_ms - m_clock.now_ms());  // wrap-safe
    return left > 0 ? static_cast<std::uint32_t>(left) : 0;
}

Result<std::uint16_t> Uplink::publish(std::string_view topic, Bytes payload, mqtt::QoS qos, bool retain) noexcept {
    return m_session.publish(topic, payload, qos, retain);
}

void Uplink::set_subscriptions(std::vector<std::string> filters, mqtt::QoS qos) {
    m_filters = std::move(filters);
    m_sub_qos = qos;
}

std::size_t Uplink::drain(std::uint32_t timeout_ms) {
    const std::uint32_t start = m_clock.now_ms();
    // Pending QoS 1/2 messages count as "in flight" until acknowledged; messages not yet sent are
    // sent first by poll() filling the window.
    while (elapsed_ms(start, m_clock.now_ms()) < timeout_ms) {
        step();
        if (connected() && m_store.size() == 0 && m_session.pending_output() == 0) break;
        if (!m_stream) {
            const std::uint32_t wait = ms_until_next_step();
            const std::uint32_t remaining = timeout_ms - elapsed_ms(start, m_clock.now_ms());
            m_clock.delay_ms(std::min(wait, remaining));
        }
    }
    if (connected()) (void)m_session.disconnect();  // logged by on_disconnected
    if (m_attempt.valid()) {
        // Too late to use: wait for the connector (its own timeout bounds it) and close.
        note("uplink: waiting for the connection being opened to give up");
        m_attempt.wait();
        if (Attempt late = m_attempt.get(); late.stream) late.stream->close();
    }
    close_stream();
    return m_store.size();
}

void Uplink::abort_connection() {
    m_session.abort(Status(Errc::communication_failure));
    close_stream();
}

void Uplink::on_connected(const mqtt::Connack& connack) noexcept {
    ++m_stats.connects;
    m_backoff.reset();
    note(std::string("uplink: connected (session present: ") + (connack.session_present ? "yes" : "no") + ")");
    if (!connack.session_present && !m_filters.empty()) {
        std::vector<mqtt::Subscription> subs;
        for (const auto& f : m_filters) subs.push_back(mqtt::Subscription{f, m_sub_qos});
        if (const auto id = m_session.subscribe(subs); !id.ok())
            note(std::string("uplink: SUBSCRIBE failed: ") + to_string(id.status().code()));
    }
    m_app.on_connected(connack);
}

void Uplink::on_message(const mqtt::Publish& message) noexcept { m_app.on_message(message); }
void Uplink::on_refused(const mqtt::RefusedMessage& message) noexcept { m_app.on_refused(message); }

void Uplink::on_delivered(std::uint16_t packet_id, std::uint64_t seq, std::uint8_t reason_code) noexcept {
    m_app.on_delivered(packet_id, seq, reason_code);
}

void Uplink::on_subscribed(const mqtt::Suback& suback) noexcept { m_app.on_subscribed(suback); }
void Uplink::on_unsubscribed(const mqtt::Unsuback& unsuback) noexcept { m_app.on_unsubscribed(unsuback); }

void Uplink::on_disconnected(Status why, std::uint8_t reason_code) noexcept {
    if (!why.ok()) ++m_stats.disconnects;
    note(std::string("uplink: disconnected: ") + (why.ok() ? "DISCONNECT sent" : to_string(why.code())) +
         (reason_code ? " (reason " + std::to_string(reason_code) + ")" : ""));
    m_app.on_disconnected(why, reason_code);
}

}  // namespace sebind::agent
