// SPDX-License-Identifier: Apache-2.0
// Session: connection lifecycle, output queue, in-flight window, timers and the request API.
// Inbound packet handling is in session_inbound.cpp.
#include "sebind/mqtt/session/session.hpp"

#include <algorithm>
#include <cstring>

#include "sebind/core/log.hpp"
#include "sebind/mqtt/codec/encoder.hpp"
#include "sebind/mqtt/codec/topic.hpp"
#include "session_internal.hpp"

namespace sebind::mqtt {

const char* to_string(SessionState s) noexcept {
    switch (s) {
        case SessionState::disconnected: return "disconnected";
        case SessionState::connecting: return "connecting";
        case SessionState::connected: return "connected";
        case SessionState::disconnecting: return "disconnecting";
    }
    return "unknown";
}

Error check_client_id(std::string_view client_id) noexcept {
    if (client_id.size() > kMaxClientIdBytes) return Error::value_too_large;
    if (!is_valid_utf8(client_id)) return Error::bad_utf8;
    return Error::ok;
}

Session::Session(const SessionConfig& config, Clock& clock, MessageStore& store, SessionHandler& handler,
                 MutableBytes rx_storage, MutableBytes tx_storage) noexcept
    : m_config(config),
      m_clock(clock),
      m_store(store),
      m_handler(handler),
      // What we announce as Maximum Packet Size in 5.0 is exactly what the decoder enforces.
      m_decoder(rx_storage, config.version,
                static_cast<std::uint32_t>(std::min<std::size_t>(rx_storage.size(), kMaxPacketSize))),
      m_rx_size(rx_storage.size()),
      m_tx(tx_storage) {
    SEBIND_EXPECTS(config.max_inflight >= 1);
    SEBIND_EXPECTS(tx_storage.size() >= 2 * detail::kAckReserve && rx_storage.size() >= 16);
}

void Session::load_store() noexcept {
    // What a previous process stored may already have reached the broker, so it is resent with
    // DUP (§4.4). Its packet ids stay reserved while stored (allocate_id asks the store).
    StoreEntry e;
    std::uint64_t after = 0;
    while (m_store.next(after, e)) {
        if (e.recovered) m_sent_before = std::max(m_sent_before, e.seq);
        after = e.seq;
    }
    m_store_loaded = true;
}

Status Session::connect(Transport& transport) noexcept {
    if (m_state != SessionState::disconnected) return Status(Errc::not_permitted);
    if (check_client_id(m_config.client_id) != Error::ok) return Status(Errc::invalid_argument);
    if (!m_store_loaded) load_store();
    m_transport = &transport;
    m_decoder.set_version(m_config.version);
    m_decoder.reset();
    m_tx_off = m_tx_len = 0;
    m_chunk_off = m_chunk_len = 0;
    m_cursor = 0;
    m_inflight = 0;
    m_ping_outstanding = m_ping_queued = false;
    m_keep_alive_s = m_config.keep_alive_s;
    m_window = m_config.max_inflight;
    m_broker = BrokerLimits{};

    Connect c;
    c.version = m_config.version;
    c.clean_start = m_config.clean_start;
    c.keep_alive_s = m_config.keep_alive_s;
    c.client_id = m_config.client_id;
    c.has_username = m_config.has_username;
    c.username = m_config.username;
    c.has_password = m_config.has_password;
    c.password = m_config.password;
    if (m_config.will != nullptr) {
        c.has_will = true;
        c.will = *m_config.will;
    }
    if (m_config.version == ProtocolVersion::v5) {
        // Topic Alias Maximum stays absent (= 0): the broker must not send aliases (§3.1.2.11.5).
        if (m_config.session_expiry_s != 0)
            c.properties.set_number(PropertyId::session_expiry_interval, m_config.session_expiry_s);
        if (m_config.receive_maximum != 0)
            c.properties.set_number(PropertyId::receive_maximum, m_config.receive_maximum);
        c.properties.set_number(PropertyId::maximum_packet_size,
                                static_cast<std::uint32_t>(std::min<std::size_t>(m_rx_size, kMaxPacketSize)));
    }
    Packet p{PacketType::connect, c};
    if (const Error e = emit(p, 0); e != Error::ok) {
        m_transport = nullptr;
        return to_status(e, Origin::local);
    }
    m_state = SessionState::connecting;
    m_connect_ms = m_last_send_ms = m_clock.now_ms();
    ++m_stats.connects;
    m_end_status = Status::success();
    if (!flush()) return m_end_status;
    return Status::success();
}

Status Session::poll() noexcept {
    (void)m_store.tick();
    if (m_state == SessionState::disconnected) return Status::success();
    m_end_status = Status::success();
    if (!flush()) return m_end_status;
    if (m_state != SessionState::disconnecting && !read_input()) return m_end_status;
    fill_window();
    check_timers();
    if (m_state == SessionState::disconnected) return m_end_status;
    if (!flush()) return m_end_status;
    return Status::success();
}

bool Session::flush() noexcept {
    while (m_tx_off < m_tx_len) {
        const IoResult r = m_transport->send(Bytes(m_tx.data() + m_tx_off, m_tx_len - m_tx_off));
        if (r.status == IoStatus::would_block) return true;
        if (r.status != IoStatus::ok || r.bytes == 0) {
            end_connection(Status(Errc::communication_failure), 0);
            return false;
        }
        m_tx_off += std::min(r.bytes, m_tx_len - m_tx_off);
        m_last_send_ms = m_clock.now_ms();
    }
    m_tx_off = m_tx_len = 0;
    if (m_state == SessionState::disconnecting) {
        // DISCONNECT is out; the client closes the connection now (§3.14.4).
        end_connection(Status::success(), 0);
        return false;
    }
    return true;
}

bool Session::read_input() noexcept {
    for (int round = 0; round < 64; ++round) {
        while (m_chunk_off < m_chunk_len) {
            // Each inbound packet may need one acknowledgement: keep room for it.
            if (tx_free() < detail::kAckReserve) {
                if (!flush()) return false;
                if (tx_free() < detail::kAckReserve) return true;  // output blocked: read later
            }
            const auto f = m_decoder.feed(Bytes(m_chunk + m_chunk_off, m_chunk_len - m_chunk_off));
            m_chunk_off += f.consumed;
            if (f.error != Error::ok) {
                protocol_violation(f.error, detail::reason_for(f.error));
                return false;
            }
            if (f.discarded) {
                const DiscardedPublish d = m_decoder.discarded();
                if (!refuse_publish(RefusedMessage{Error::packet_too_large, d.qos(), d.packet_id, d.size, d.topic,
                                                   d.topic_truncated}))
                    return false;
            }
            if (f.complete && !handle_packet(m_decoder.packet())) return false;
            if (m_state == SessionState::disconnected) return false;
        }
        m_chunk_off = m_chunk_len = 0;
        // Acknowledgements just handled (here, or left from the last poll's 64th round) may have
        // opened the window: send what it admits now. recv may wait (a TLS transport up to its
        // recv_wait_ms) and the broker has nothing to answer until it gets them, so each emptied
        // window would stall the stream.
        fill_window();
        if (!flush()) return false;
        const IoResult r = m_transport->recv(MutableBytes(m_chunk, sizeof m_chunk));
        if (r.status == IoStatus::would_block) return true;
        if (r.status != IoStatus::ok || r.bytes == 0) {
            end_connection(Status(Errc::communication_failure), 0);
            return false;
        }
        m_chunk_len = std::min(r.bytes, sizeof m_chunk);
    }
    return true;
}

std::size_t Session::tx_free() const noexcept { return m_tx.size() - (m_tx_len - m_tx_off); }

MutableBytes Session::tx_space(std::size_t need) noexcept {
    if (m_tx_off == m_tx_len) m_tx_off = m_tx_len = 0;
    if (m_tx.size() - m_tx_len < need && m_tx_off > 0) {
        std::memmove(m_tx.data(), m_tx.data() + m_tx_off, m_tx_len - m_tx_off);
        m_tx_len -= m_tx_off;
        m_tx_off = 0;
    }
    return m_tx.subspan(m_tx_len);
}

Error Session::emit(const Packet& p, std::size_t reserve) noexcept {
    const auto usable = [reserve](MutableBytes s) {
        return s.size() > reserve ? s.first(s.size() - reserve) : s.first(0);
    };
    EncodeResult r = encode(p, m_config.version, usable(tx_space(0)));
    if (r.error == Error::buffer_too_small) r = encode(p, m_config.version, usable(tx_space(r.size + reserve)));
    if (!r.ok()) return r.error;
    m_tx_len += r.size;
    return Error::ok;
}

void Session::fill_window() noexcept {
    if (m_state != SessionState::connected) return;
    StoreEntry e;
    while (m_inflight < m_window && m_store.next(m_cursor, e)) {
        Packet p;
        StoredMessage m;
        if (e.released) {
            // QoS 2 already acknowledged by PUBREC: only PUBREL is resent (§4.3.3, §4.4).
            p = Packet{PacketType::pubrel, Ack{PacketType::pubrel, e.packet_id, 0, {}}};
        } else {
            const Status st = m_store.load(e.seq, m);
            if (st.code() == Errc::storage_failure) return;  // I/O trouble: try again on the next poll
            if (!st.ok()) {
                log(LogLevel::error, "mqtt: stored message %llu unreadable (%s): dropped",
                    static_cast<unsigned long long>(e.seq), sebind::to_string(st.code()));
                finish_message(e, reason::unspecified_error);
                continue;
            }
            Publish pub;
            pub.topic = m.topic;
            pub.payload = m.payload;
            pub.qos = e.qos;
            pub.retain = e.retain;
            pub.dup = e.seq <= m_sent_before;
            pub.packet_id = e.packet_id;
            p = Packet{PacketType::publish, pub};
        }
        // What the broker said it cannot take ([MQTT-3.2.2-11], [MQTT-3.2.2-14]) is refused
        // for good rather than sent: the broker would close the connection over it.
        if (static_cast<unsigned>(e.qos) > m_broker.maximum_qos) {
            finish_message(e, reason::qos_not_supported);
            continue;
        }
        if (e.retain && !m_broker.retain_available) {
            finish_message(e, reason::retain_not_supported);
            continue;
        }
        const EncodeResult size = encode(p, m_config.version, {});
        if (size.error != Error::buffer_too_small) {  // the stored message cannot be encoded at all
            finish_message(e, reason::topic_name_invalid);
            continue;
        }
        // Too large for our buffer or for the broker ([MQTT-3.2.2-15]): it can never be sent.
        if (size.size + detail::kAckReserve > m_tx.size() ||
            (m_broker.maximum_packet_size != 0 && size.size > m_broker.maximum_packet_size)) {
            finish_message(e, reason::packet_too_large);
            continue;
        }
        if (emit(p, detail::kAckReserve) != Error::ok) return;  // output full: continue after a flush
        m_cursor = e.seq;
        ++m_inflight;
        if (p.type == PacketType::publish) ++m_stats.publishes_sent;
        if (e.released || e.seq <= m_sent_before) ++m_stats.resends;
    }
}

void Session::finish_message(const StoreEntry& e, std::uint8_t reason_code) noexcept {
    if (const Status st = m_store.acknowledge(e.seq); !st.ok())
        log(LogLevel::warning, "mqtt: outbox could not record the acknowledgement of %u (%s)", e.packet_id,
            sebind::to_string(st.code()));
    ++m_stats.delivered;
    m_handler.on_delivered(e.packet_id, e.seq, reason_code);
}

void Session::check_timers() noexcept {
    const std::uint32_t now = m_clock.now_ms();
    if (m_state == SessionState::connecting) {
        if (elapsed_ms(m_connect_ms, now) >= m_config.connect_timeout_ms) end_connection(Status(Errc::timeout), 0);
        return;
    }
    if (m_state != SessionState::connected) return;
    if (m_ping_outstanding) {
        if (!m_ping_queued) m_ping_queued = emit(Packet{PacketType::pingreq, Empty{}}, 0) == Error::ok;
        // No PINGRESP in time: the connection is half-open (§3.1.2.10, §4.1).
        if (elapsed_ms(m_ping_ms, now) >= m_config.ping_timeout_ms) end_connection(Status(Errc::timeout), 0);
        return;
    }
    if (m_keep_alive_s != 0 && elapsed_ms(m_last_send_ms, now) >= std::uint32_t{m_keep_alive_s} * 1000u) {
        m_ping_outstanding = true;
        m_ping_ms = now;  // the timeout runs even if PINGREQ has to wait for room in the output
        m_ping_queued = emit(Packet{PacketType::pingreq, Empty{}}, 0) == Error::ok;
    }
}

std::uint32_t Session::ms_until_next_timer() noexcept {
    const std::uint32_t now = m_clock.now_ms();
    auto left = [now](std::uint32_t since, std::uint32_t period) {
        const std::uint32_t spent = elapsed_ms(since, now);
        return spent >= period ? 0u : period - spent;
    };
    switch (m_state) {
        case SessionState::connecting: return left(m_connect_ms, m_config.connect_timeout_ms);
        case SessionState::connected:
            if (m_ping_outstanding) return left(m_ping_ms, m_config.ping_timeout_ms);
            if (m_keep_alive_s != 0) return left(m_last_send_ms, std::uint32_t{m_keep_alive_s} * 1000u);
            return 60'000;
        default: return 60'000;
    }
}

void Session::end_connection(Status why, std::uint8_t reason_code) noexcept {
    if (m_state == SessionState::disconnected) return;
    m_state = SessionState::disconnected;
    m_transport = nullptr;
    m_end_status = why;
    for (auto& id : m_pending_requests) id = 0;
    // Everything sent on this connection is resent with DUP on the next one (§4.4).
    m_sent_before = std::max(m_sent_before, m_cursor);
    m_cursor = 0;
    m_inflight = 0;
    m_tx_off = m_tx_len = 0;
    m_chunk_off = m_chunk_len = 0;
    m_handler.on_disconnected(why, reason_code);
}

void Session::abort(Status why) noexcept { end_connection(why.ok() ? Status(Errc::communication_failure) : why, 0); }

bool Session::id_in_use(std::uint16_t id) const noexcept {
    for (const std::uint16_t pending : m_pending_requests)
        if (pending == id) return true;
    StoreEntry e;
    return m_store.find(id, e);
}

bool Session::allocate_id(std::uint16_t& id) noexcept {
    // An outbound packet id is in use while a stored message or a pending (un)subscribe carries
    // it: the store and the request slots are the record, so no id set of 64 Ki bits is kept.
    for (std::uint32_t i = 0; i < 65535; ++i) {
        const std::uint16_t candidate = m_next_id;
        m_next_id = static_cast<std::uint16_t>(m_next_id == 65535 ? 1 : m_next_id + 1);
        if (!id_in_use(candidate)) {
            id = candidate;
            return true;
        }
    }
    return false;
}

Result<std::uint16_t> Session::publish(std::string_view topic, Bytes payload, QoS qos, bool retain) noexcept {
    if (!m_store_loaded) load_store();
    if (static_cast<unsigned>(qos) > 2) return Status(Errc::invalid_argument);
    Publish pub;
    pub.topic = topic;
    pub.payload = payload;
    pub.qos = qos;
    pub.retain = retain;
    pub.packet_id = qos == QoS::at_most_once ? 0 : 1;  // a placeholder to measure and validate
    const Packet probe{PacketType::publish, pub};
    const EncodeResult size = encode(probe, m_config.version, {});
    if (size.error != Error::buffer_too_small) return to_status(size.error, Origin::local);
    if (size.size + detail::kAckReserve > m_tx.size()) return Status(Errc::out_of_range);
    if (m_broker.maximum_packet_size != 0 && size.size > m_broker.maximum_packet_size)
        return Status(Errc::out_of_range);
    if (static_cast<unsigned>(qos) > m_broker.maximum_qos || (retain && !m_broker.retain_available))
        return Status(Errc::not_supported);

    if (qos == QoS::at_most_once) {
        if (m_state != SessionState::connected) return Status(Errc::communication_failure);
        if (emit(probe, detail::kAckReserve) != Error::ok) return Status(Errc::busy);
        ++m_stats.publishes_sent;
        return std::uint16_t{0};
    }
    std::uint16_t id = 0;
    if (!allocate_id(id)) return Status(Errc::busy);
    auto seq = m_store.enqueue(id, qos, retain, topic, payload);
    if (!seq) return seq.status();
    fill_window();
    return id;
}

bool Session::pending_request(std::uint16_t id, bool remove) noexcept {
    for (auto& slot : m_pending_requests) {
        if (slot == id && id != 0) {
            if (remove) slot = 0;
            return true;
        }
    }
    return false;
}

Result<std::uint16_t> Session::request(Packet& p) noexcept {
    if (m_state != SessionState::connected) return Status(Errc::communication_failure);
    std::uint16_t* slot = nullptr;
    for (auto& s : m_pending_requests)
        if (s == 0) slot = &s;
    std::uint16_t id = 0;
    if (slot == nullptr || !allocate_id(id)) return Status(Errc::busy);
    if (auto* s = std::get_if<Subscribe>(&p.body)) s->packet_id = id;
    if (auto* u = std::get_if<Unsubscribe>(&p.body)) u->packet_id = id;
    const Error e = emit(p, detail::kAckReserve);
    if (e == Error::ok) {
        *slot = id;
        return id;
    }
    if (e == Error::buffer_too_small) return Status(Errc::busy);
    return to_status(e, Origin::local);
}

Result<std::uint16_t> Session::subscribe(std::span<const Subscription> subscriptions,
                                         const Properties* properties) noexcept {
    Subscribe s;
    s.subscriptions = subscriptions;
    if (properties != nullptr) s.properties = *properties;
    Packet p{PacketType::subscribe, s};
    return request(p);
}

Result<std::uint16_t> Session::unsubscribe(std::span<const Subscription> filters) noexcept {
    Unsubscribe u;
    u.filters = filters;
    Packet p{PacketType::unsubscribe, u};
    return request(p);
}

Status Session::disconnect(std::uint8_t reason_code) noexcept {
    if (m_state == SessionState::disconnected || m_state == SessionState::disconnecting) return Status::success();
    Disconnect d;
    d.reason_code = m_config.version == ProtocolVersion::v5 ? reason_code : 0;
    const Packet p{PacketType::disconnect, d};
    if (emit(p, 0) != Error::ok) {
        // No room even for two bytes after the queued output: give up on a clean goodbye.
        end_connection(Status(Errc::communication_failure), 0);
        return Status(Errc::communication_failure);
    }
    m_state = SessionState::disconnecting;
    (void)flush();
    return Status::success();
}

}  // namespace sebind::mqtt
