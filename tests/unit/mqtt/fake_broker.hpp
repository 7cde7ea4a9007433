// SPDX-License-Identifier: Apache-2.0
// An in-memory MQTT broker at the Transport seam, for session tests: deterministic (no threads,
// no sockets), with knobs for the situations a real broker produces rarely (no acks, lost pings,
// partial writes, dropped connections, protocol violations) and a log of everything received.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sebind/mqtt/codec/decoder.hpp"
#include "sebind/mqtt/codec/encoder.hpp"
#include "sebind/mqtt/session/transport.hpp"

namespace sebind::mqtt::test {

/// One packet as the broker received it, with its strings copied.
struct Seen {
    PacketType type = PacketType::pingreq;
    std::string topic;
    std::string payload;
    QoS qos = QoS::at_most_once;
    bool dup = false;
    bool retain = false;
    std::uint16_t packet_id = 0;
    std::uint8_t reason_code = 0;
    std::vector<std::string> filters;
};

struct SeenConnect {
    ProtocolVersion version = ProtocolVersion::v3_1_1;
    std::string client_id;
    bool clean_start = true;
    std::uint16_t keep_alive_s = 0;
    bool has_will = false;
    std::string will_topic, will_payload;
    std::uint32_t session_expiry = 0, maximum_packet_size = 0;
    bool has_maximum_packet_size = false;
};

class FakeBroker {
public:
    explicit FakeBroker(ProtocolVersion v) : m_version(v) {}

    /// A new connection; the previous one (if any) is dropped.
    Transport& accept();
    /// Handles everything the client has sent so far.
    void process();
    /// Breaks the current connection: the client's next send/recv reports `closed`.
    void drop();
    /// Queues a packet to the client on the current connection.
    void send(const Packet& p);
    void send_raw(const std::vector<std::uint8_t>& bytes);
    void ack(PacketType type, std::uint16_t packet_id, std::uint8_t reason = 0);
    /// Pretends a session of the client exists already (a broker that outlived a client restart).
    void assume_session() { m_has_session = true; }

    // Policies.
    bool auto_ack = true;  ///< answer PUBLISH/PUBREL with PUBACK/PUBREC/PUBCOMP
    bool answer_pings = true;
    bool answer_connect = true;
    std::uint8_t connack_code = 0;
    bool keep_sessions = true;              ///< remember the session of a clean_start = false client
    Properties connack_properties;          ///< 5.0
    std::size_t max_send_chunk = SIZE_MAX;  ///< bytes the client may write per send() call
    bool block_client_sends = false;        ///< client send() returns would_block
    /// Called when the client's recv() finds nothing to read: where a real transport would wait.
    std::function<void()> on_client_wait;

    // Observations.
    std::vector<Seen> seen;  ///< every packet, all connections, in order
    std::vector<SeenConnect> connects;
    std::vector<std::string> delivered;  ///< application payloads as subscribers would get them
    std::size_t count(PacketType t) const;
    std::vector<Seen> of(PacketType t) const;
    Error last_error = Error::ok;  ///< decode error on the broker side (client bug)
    bool connected() const { return m_link != nullptr && !m_link->closed; }

private:
    struct Link {
        std::vector<std::uint8_t> to_broker;
        std::deque<std::uint8_t> to_client;
        bool closed = false;
    };
    class ClientEnd final : public Transport {
    public:
        ClientEnd(FakeBroker& b, std::shared_ptr<Link> l) : m_broker(b), m_link(std::move(l)) {}
        IoResult send(Bytes data) noexcept override;
        IoResult recv(MutableBytes buf) noexcept override;

    private:
        FakeBroker& m_broker;
        std::shared_ptr<Link> m_link;
    };
    void handle(const Packet& p, std::uint8_t flags);

    ProtocolVersion m_version;
    std::shared_ptr<Link> m_link;
    std::vector<std::unique_ptr<ClientEnd>> m_ends;
    std::vector<std::uint8_t> m_storage = std::vector<std::uint8_t>(1 << 20);
    std::unique_ptr<Decoder> m_decoder;
    bool m_has_session = false;
    std::set<std::uint16_t> m_qos2_inbound;  // ids between PUBLISH and PUBREL (session state)
};

}  // namespace sebind::mqtt::test
