// SPDX-License-Identifier: Apache-2.0
// Session: an MQTT client session over a Transport, driven by poll() (no threads, no sleeps).
//
// Outbound QoS 1/2 messages live in a MessageStore from publish() until PUBACK/PUBCOMP; the
// session sends them in FIFO order within an in-flight window, resends them with DUP (and PUBREL
// for QoS 2 messages already released) after a reconnect, and keeps packet ids stable across
// restarts because the store records them. Inbound QoS 2 is delivered exactly once per session.
//
//     Session s(cfg, clock, outbox, handler, rx_buf, tx_buf);
//     s.connect(tcp);                        // queues CONNECT
//     while (running) {
//         if (!s.poll().ok()) { tcp.close(); wait(backoff.next_delay_ms()); tcp.open(); s.connect(tcp); }
//         (void)s.publish("devices/d1/telemetry", reading, QoS::at_least_once);
//         wait_for_io(tcp, s.ms_until_next_timer());
//     }
#pragma once

#include <bitset>
#include <cstdint>
#include <span>
#include <string_view>

#include "sebind/core/clock.hpp"
#include "sebind/core/result.hpp"
#include "sebind/mqtt/codec/decoder.hpp"
#include "sebind/mqtt/session/message_store.hpp"
#include "sebind/mqtt/session/transport.hpp"

namespace sebind::mqtt {

/// The longest client id a session sends. MQTT carries 65,535 bytes, but a broker is only
/// required to accept 1..23 (3.1.1 [MQTT-3.1.3-5], 5.0 [MQTT-3.1.3-5]) and many cap it
/// (mosquitto: 65,535, AWS IoT: 128, Azure: 128, HiveMQ: 65,535 by default); 256 keeps every id
/// a device is likely to need while refusing a runaway value before it reaches the wire.
inline constexpr std::size_t kMaxClientIdBytes = 256;
/// ok, value_too_large (over kMaxClientIdBytes), bad_utf8 (ill-formed UTF-8 or U+0000).
Error check_client_id(std::string_view client_id) noexcept;

struct SessionConfig {
    ProtocolVersion version = ProtocolVersion::v3_1_1;
    std::string_view client_id;       ///< must outlive the session (so must every view below)
    bool clean_start = true;          ///< false: resume the broker-side session (persistent session)
    std::uint16_t keep_alive_s = 60;  ///< 0 disables PINGREQ (§3.1.2.10)
    /// 5.0: how long the broker keeps the session after the connection ends (§3.1.2.11.2). With
    /// clean_start = false set it above 0, or the broker drops the session at disconnect.
    std::uint32_t session_expiry_s = 0;
    bool has_username = false;
    std::string_view username;
    bool has_password = false;
    Bytes password;
    const Will* will = nullptr;  ///< optional will message
    /// Outbound QoS 1/2 messages awaiting acknowledgement at once (range 1..65535; 5.0 also caps
    /// it at the broker's Receive Maximum).
    std::uint16_t max_inflight = 20;
    /// 5.0: inbound QoS 1/2 limit we announce (Receive Maximum); 0 = not sent (65,535).
    std::uint16_t receive_maximum = 0;
    std::uint32_t connect_timeout_ms = 10'000;  ///< CONNECT sent -> CONNACK
    std::uint32_t ping_timeout_ms = 5'000;      ///< PINGREQ sent -> PINGRESP (§3.1.2.10 "reasonable amount of time")
};

enum class SessionState : std::uint8_t { disconnected, connecting, connected, disconnecting };
const char* to_string(SessionState s) noexcept;

/// An inbound PUBLISH the session could not take: larger than its receive storage (`why` =
/// packet_too_large; announced as Maximum Packet Size in 5.0) or malformed in a way that leaves
/// the stream in sync (e.g. bad_utf8 in the topic, bad_property). It was acknowledged at its
/// QoS (5.0: with a failure reason), so the broker does not send it again, and not delivered.
struct RefusedMessage {
    Error why = Error::ok;
    QoS qos = QoS::at_most_once;
    std::uint16_t packet_id = 0;
    std::uint32_t size = 0;  ///< whole packet, fixed header included
    Bytes topic;             ///< as received, possibly cut (topic_truncated) and not valid UTF-8
    bool topic_truncated = false;
};

/// Events of a session, called from inside poll() (and connect()/disconnect()). Handlers may
/// call publish(), subscribe() and unsubscribe(), not connect() or poll().
class SessionHandler {
public:
    virtual ~SessionHandler() = default;
    /// CONNACK accepted. With session_present false the broker has no state of ours: resubscribe.
    virtual void on_connected(const Connack& connack) noexcept { (void)connack; }
    /// An application message. QoS 2 messages arrive once per session even if the broker resends.
    virtual void on_message(const Publish& message) noexcept { (void)message; }
    /// An inbound PUBLISH was refused (see RefusedMessage); the connection goes on.
    virtual void on_refused(const RefusedMessage& message) noexcept { (void)message; }
    /// A stored QoS 1/2 message is finished: PUBACK/PUBCOMP (reason 0 or 0x10), or refused by the
    /// broker (5.0 reason >= 0x80, e.g. 0x87 not authorized), or not sendable to it: too large
    /// (0x95), QoS above its maximum (0x9B), retain unavailable (0x9A).
    virtual void on_delivered(std::uint16_t packet_id, std::uint64_t seq, std::uint8_t reason_code) noexcept {
        (void)packet_id, (void)seq, (void)reason_code;
    }
    virtual void on_subscribed(const Suback& suback) noexcept { (void)suback; }
    virtual void on_unsubscribed(const Unsuback& unsuback) noexcept { (void)unsuback; }
    /// The connection ended: `why` is success after disconnect(), else the failure. `reason_code`
    /// is the CONNACK refusal or the broker's DISCONNECT reason (5.0) when there was one.
    virtual void on_disconnected(Status why, std::uint8_t reason_code) noexcept { (void)why, (void)reason_code; }
};

/// What the broker granted in its last CONNACK (5.0 properties; the spec's defaults in 3.1.1).
struct BrokerLimits {
    bool session_present = false;
    std::uint16_t receive_maximum = 65535;  ///< caps our in-flight window (§3.2.2.3.3)
    std::uint32_t maximum_packet_size = 0;  ///< 0 = no limit (§3.2.2.3.6)
    std::uint16_t keep_alive_s = 0;         ///< Server Keep Alive when sent, else ours (§3.2.2.3.14)
    std::uint8_t maximum_qos = 2;
    bool retain_available = true;
};

struct SessionStats {
    std::uint64_t publishes_sent = 0;  ///< PUBLISH packets written (resends included)
    std::uint64_t resends = 0;         ///< PUBLISH with DUP and PUBREL repeated after a reconnect
    std::uint64_t delivered = 0;       ///< stored messages finished
    std::uint64_t messages_received = 0;
    std::uint64_t duplicates_dropped = 0;  ///< inbound QoS 2 resends not delivered again
    std::uint64_t messages_refused = 0;    ///< inbound PUBLISH too large or malformed (on_refused)
    std::uint32_t connects = 0;
};

class Session {
public:
    /// `rx_storage` bounds the largest inbound packet (announced as Maximum Packet Size in 5.0);
    /// `tx_storage` bounds the largest outbound packet and the bytes queued for the transport.
    /// All references and spans must outlive the session.
    Session(const SessionConfig& config, Clock& clock, MessageStore& store, SessionHandler& handler,
            MutableBytes rx_storage, MutableBytes tx_storage) noexcept;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Starts a connection on a freshly connected transport: queues CONNECT and tries to send it.
    /// Errors: not_permitted (already connected), communication_failure (transport failed),
    /// invalid_argument (configuration the protocol cannot carry, a client id check_client_id
    /// refuses).
    Status connect(Transport& transport) noexcept;

    /// Does all pending work without blocking: sends queued bytes, reads and handles what
    /// arrived, fills the in-flight window, runs keep alive and timeouts. Returns success while
    /// the connection lives (or when there is none); on the call where it ends, the reason:
    /// communication_failure (closed / I/O error), timeout (CONNACK or PINGRESP late),
    /// invalid_response (the broker broke the protocol), not_permitted (CONNACK refused).
    Status poll() noexcept;

    /// QoS 0: queued for the transport; needs a connection (communication_failure otherwise) and
    /// room in tx_storage (busy). QoS 1/2: stored first (see MessageStore::enqueue for busy /
    /// storage_failure / out_of_range), then sent when the window allows, connected or not yet.
    /// Returns the packet id (0 for QoS 0). invalid_argument: bad topic; out_of_range: larger than
    /// tx_storage or the broker's maximum packet size; not_supported: above the broker's Maximum
    /// QoS, or retained where it has no Retain Available (5.0 CONNACK).
    Result<std::uint16_t> publish(std::string_view topic, Bytes payload, QoS qos, bool retain = false) noexcept;

    /// SUBSCRIBE / UNSUBSCRIBE (only Subscription::filter is used). Needs a connection. Returns
    /// the packet id that on_subscribed / on_unsubscribed will report. Pending requests are not
    /// resent after a reconnect: subscribe again when on_connected says session_present is false.
    Result<std::uint16_t> subscribe(std::span<const Subscription> subscriptions,
                                    const Properties* properties = nullptr) noexcept;
    Result<std::uint16_t> unsubscribe(std::span<const Subscription> filters) noexcept;

    /// Queues DISCONNECT (5.0: with `reason_code`) and sends it; the state is disconnected once it
    /// is written (poll() finishes it when the transport would block). The will is not published.
    Status disconnect(std::uint8_t reason_code = 0) noexcept;
    /// The transport failed outside the session (e.g. the TLS layer): ends the connection now.
    void abort(Status why) noexcept;

    SessionState state() const noexcept { return m_state; }
    /// Milliseconds until poll() has timer work (keep alive, timeouts); 0 = now.
    std::uint32_t ms_until_next_timer() noexcept;
    /// Outbound messages sent and not yet acknowledged on this connection.
    std::size_t inflight() const noexcept { return m_inflight; }
    /// Bytes queued for the transport.
    std::size_t pending_output() const noexcept { return m_tx_len - m_tx_off; }
    const SessionStats& stats() const noexcept { return m_stats; }
    const BrokerLimits& broker() const noexcept { return m_broker; }

private:
    bool handle_packet(const RawPacket& raw) noexcept;
    bool handle_connack(const Connack& c) noexcept;
    bool handle_publish(const Publish& p) noexcept;
    bool handle_ack(const Ack& a) noexcept;
    void fill_window() noexcept;
    bool queue_ack(PacketType type, std::uint16_t packet_id, std::uint8_t reason_code = 0) noexcept;
    bool refuse_publish(const RefusedMessage& m) noexcept;
    bool flush() noexcept;
    bool read_input() noexcept;
    void check_timers() noexcept;
    void finish_message(const StoreEntry& e, std::uint8_t reason) noexcept;
    void protocol_violation(Error e, std::uint8_t reason) noexcept;
    void end_connection(Status why, std::uint8_t reason_code) noexcept;
    void load_store() noexcept;
    bool id_in_use(std::uint16_t id) const noexcept;
    bool allocate_id(std::uint16_t& id) noexcept;
    MutableBytes tx_space(std::size_t need) noexcept;
    std::size_t tx_free() const noexcept;
    /// Encodes `p` into the output queue, leaving `reserve` bytes free for acknowledgements.
    Error emit(const Packet& p, std::size_t reserve) noexcept;
    Result<std::uint16_t> request(Packet& p) noexcept;
    bool pending_request(std::uint16_t id, bool remove) noexcept;

    SessionConfig m_config;
    Clock& m_clock;
    MessageStore& m_store;
    SessionHandler& m_handler;
    Decoder m_decoder;
    std::size_t m_rx_size;
    MutableBytes m_tx;
    Transport* m_transport = nullptr;
    SessionState m_state = SessionState::disconnected;
    Status m_end_status;
    bool m_store_loaded = false;

    std::size_t m_tx_off = 0;         // bytes of m_tx already sent
    std::size_t m_tx_len = 0;         // bytes of m_tx queued
    std::uint64_t m_cursor = 0;       // seq of the last stored message sent on this connection
    std::uint64_t m_sent_before = 0;  // stored messages up to this seq may have been sent before: DUP
    std::size_t m_inflight = 0;
    std::uint16_t m_window = 0;
    std::uint16_t m_keep_alive_s = 0;
    std::uint16_t m_next_id = 1;
    std::bitset<65536> m_qos2_inbound;  // inbound QoS 2 ids between PUBREC and PUBREL (§4.3.3)
    static constexpr std::size_t kMaxPendingRequests = 16;
    std::uint16_t m_pending_requests[kMaxPendingRequests] = {};

    std::uint32_t m_connect_ms = 0;
    std::uint32_t m_last_send_ms = 0;
    std::uint32_t m_ping_ms = 0;
    bool m_ping_outstanding = false;
    bool m_ping_queued = false;
    BrokerLimits m_broker;
    SessionStats m_stats;
    std::uint8_t m_chunk[1024] = {};
    std::size_t m_chunk_off = 0;
    std::size_t m_chunk_len = 0;
};

}  // namespace sebind::mqtt
