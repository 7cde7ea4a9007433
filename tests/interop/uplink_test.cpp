// SPDX-License-Identifier: Apache-2.0
// agent::Uplink over mutual TLS with the chip key against a real mosquitto 2.0 configured by the
// development PKI (require_certificate, CN as username, ACL by CN): a stream of QoS 1 messages
// survives five broker restarts with nothing lost, a QoS 2 stream arrives exactly once, and a
// reconnect to the same broker resumes the TLS session without a chip signature.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <pwd.h>
#include <unistd.h>

#include "emulated_chip.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/agent/uplink.hpp"
#include "sebind/identity/dev_pki.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/mqtt/outbox/posix_storage.hpp"

using namespace sebind;
using namespace std::chrono_literals;

namespace {

class SteadyClock final : public Clock {
public:
    std::uint32_t now_ms() noexcept override {
        return static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
                .count());
    }
    void delay_ms(std::uint32_t ms) noexcept override { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
};

struct Counter final : mqtt::SessionHandler {
    int connects = 0;
    std::uint64_t delivered = 0, refused = 0;
    void on_connected(const mqtt::Connack&) noexcept override { ++connects; }
    void on_delivered(std::uint16_t, std::uint64_t, std::uint8_t reason) noexcept override {
        ++(reason < 0x80 ? delivered : refused);
    }
};

/// A provisioned device (slot-1 P-256 key, CN=device-001 certificate in zone 4) and a broker made
/// from `sebind pki dev`'s files with persistence on, so a restart keeps the subscriber's queue.
class UplinkMtls : public ::testing::Test {
protected:
    void SetUp() override {
        chip = std::make_unique<test::EmulatedChip>(dir.file("se"));
        stsafe::Device& se = *chip->device;
        port = test::free_port();
        identity::DevPkiOptions po;
        po.port = static_cast<std::uint16_t>(port);
        ASSERT_TRUE(identity::create_dev_pki(pki(), po).ok());
        // Persistence keeps the monitor's persistent session and its queue across a SIGTERM restart.
        test::write_file(pki() + "/mosquitto.conf", test::read_text(pki() + "/mosquitto.conf") +
                                                        "persistence true\npersistence_location " + dir.path() +
                                                        "/\nmax_queued_messages 20000\n");
        ASSERT_TRUE(identity::keygen(se, {}));
        auto csr = identity::make_csr(se, stsafe::kSlotUser, 4, "CN=device-001,O=Acme", {});
        ASSERT_TRUE(csr);
        auto crt = identity::sign_csr(pki(), *csr, 30);
        ASSERT_TRUE(crt);
        ASSERT_TRUE(identity::store_certificate(
            se, Bytes(reinterpret_cast<const std::uint8_t*>(crt->data()), crt->size()), {}));
        auto stored = identity::read_certificate(se, 4);
        ASSERT_TRUE(stored);
        auto pub = identity::slot_public_key(se, stsafe::kSlotUser, 4);
        ASSERT_TRUE(pub);
        mbedtls_pk_init(&key);
        mbedtls_x509_crt_init(&chain);
        ASSERT_TRUE(mbedtls_util::setup_se_key(key, se, stsafe::kSlotUser, *pub).ok());
        ASSERT_EQ(mbedtls_x509_crt_parse_der(&chain, stored->der.data(), stored->der.size()), 0);
        start_broker();
    }
    void TearDown() override {
        mbedtls_x509_crt_free(&chain);
        mbedtls_pk_free(&key);
    }

    std::string pki() const { return dir.file("pki"); }
    void start_broker() {
        broker = std::make_unique<test::Peer>(std::vector<std::string>{"mosquitto", "-c", pki() + "/mosquitto.conf"});
        ASSERT_TRUE(broker->wait_for(" running")) << broker->output();
    }
    /// The broker goes down (SIGTERM, waited for: mosquitto writes its persistence file on the
    /// way out) and comes back. mosquitto_sub exits when its broker goes away, so the subscriber
    /// is started again on the same persistent session, which kept its queue.
    /// Stops the broker by PID (SIGTERM) and starts it again on the same port and database.
    /// SIGTERM, not SIGKILL: mosquitto writes what it acknowledged to its database only at
    /// autosave or shutdown, so a SIGKILLed broker loses messages no client can resend (a broker
    /// property; our side of a kill is the agent's SIGKILL test in agent_test.cpp).
    void restart_broker() {
        broker->stop();
        if (sub) {
            earlier_output += sub->output();
            sub->stop();
        }
        start_broker();
        if (sub) sub = subscriber(sub_qos);
    }
    std::string subscriber_output() { return earlier_output + (sub ? sub->output() : std::string()); }

    /// mosquitto_sub as the monitor with a persistent session at `qos`, ready at its SUBACK.
    std::unique_ptr<test::Peer> subscriber(int qos) {
        auto p = std::make_unique<test::Peer>(std::vector<std::string>{"stdbuf",
                                                                       "-oL",
                                                                       "mosquitto_sub",
                                                                       "-h",
                                                                       "localhost",
                                                                       "-p",
                                                                       std::to_string(port),
                                                                       "--cafile",
                                                                       pki() + "/ca.pem",
                                                                       "--cert",
                                                                       pki() + "/monitor.pem",
                                                                       "--key",
                                                                       pki() + "/monitor.key",
                                                                       "-t",
                                                                       "devices/device-001/telemetry",
                                                                       "-q",
                                                                       std::to_string(qos),
                                                                       "-c",
                                                                       "-i",
                                                                       "monitor-q" + std::to_string(qos),
                                                                       "-v",
                                                                       "-d"});
        EXPECT_TRUE(p->wait_for("SUBACK")) << p->output();
        return p;
    }

    tls_mbedtls::ClientOptions tls_options() {
        tls_mbedtls::ClientOptions o;
        o.host = "localhost";
        o.port = static_cast<std::uint16_t>(port);
        o.ca_file = pki() + "/ca.pem";
        o.own_chain = &chain;
        o.own_key = &key;
        o.timeout_ms = 5000;
        return o;
    }

    /// Publishes `count` messages at `qos`, restarting the broker after each `restart_every`
    /// accepted ones, until the outbox is empty. Returns the restarts made.
    int stream(agent::Uplink& up, mqtt::Outbox& outbox, int count, mqtt::QoS qos, int restart_every) {
        int published = 0, restarts = 0;
        const auto deadline = std::chrono::steady_clock::now() + 240s;
        while ((published < count || outbox.size() != 0) && std::chrono::steady_clock::now() < deadline) {
            // Feed the outbox a few at a time, as a sensor loop would; busy = full, try later.
            for (int burst = 0; burst < 8 && published < count; ++burst) {
                const std::string m = "m-" + std::to_string(published);
                if (!up.publish("devices/device-001/telemetry",
                                Bytes(reinterpret_cast<const std::uint8_t*>(m.data()), m.size()), qos))
                    break;
                ++published;
                if (restart_every > 0 && published % restart_every == 0 && published < count + 1) {
                    restart_broker();
                    ++restarts;
                }
            }
            up.step();
            if (sub) (void)sub->output();  // keep its pipe empty: a blocked subscriber stops reading the broker
            if (const std::uint32_t wait = up.ms_until_next_step(); wait > 0) clock.delay_ms(std::min(wait, 50u));
        }
        return restarts;
    }

    /// The distinct messages and total lines the subscriber printed, once all `count` are in.
    std::pair<std::size_t, std::size_t> received(int count) {
        std::map<std::string, int> seen;
        std::size_t lines = 0;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        do {
            sub->wait_for("m-" + std::to_string(count - 1), 200);
            seen.clear();
            lines = 0;
            std::istringstream in(subscriber_output());
            for (std::string line; std::getline(in, line);) {
                const std::string prefix = "devices/device-001/telemetry ";
                if (line.rfind(prefix, 0) != 0) continue;
                ++seen[line.substr(prefix.size())];
                ++lines;
            }
        } while (seen.size() < static_cast<std::size_t>(count) && std::chrono::steady_clock::now() < deadline);
        return {seen.size(), lines};
    }

    test::TempDir dir;
    std::unique_ptr<test::EmulatedChip> chip;
    int port = 0;
    mbedtls_pk_context key;
    mbedtls_x509_crt chain;
    std::unique_ptr<test::Peer> broker;
    std::unique_ptr<test::Peer> sub;
    int sub_qos = 1;
    std::string earlier_output;
    SteadyClock clock;
};

agent::UplinkConfig uplink_config(bool clean_start) {
    agent::UplinkConfig c;
    c.session.client_id = "device-001";
    c.session.clean_start = clean_start;
    c.session.keep_alive_s = 10;
    c.backoff = {50, 500, 2, 50};
    c.backoff_seed = 7;
    c.recv_wait_ms = 5;
    return c;
}

}  // namespace

TEST_F(UplinkMtls, Qos1StreamOf5000SurvivesFiveBrokerRestartsWithNothingLost) {
    constexpr int kMessages = 5000;
    sub = subscriber(sub_qos = 1);
    auto storage = mqtt::PosixFileStorage::open(dir.file("outbox"));
    ASSERT_TRUE(storage);
    mqtt::OutboxConfig oc;
    oc.sync = mqtt::SyncPolicy::batch;  // SIGKILL-safe; each restart here is the broker's
    mqtt::Outbox outbox(**storage, clock, oc);
    ASSERT_TRUE(outbox.open().ok());
    tls_mbedtls::SessionCache cache;
    Counter events;
    std::vector<std::string> log;
    agent::Uplink up(uplink_config(false), agent::mbedtls_connector(tls_options(), &cache), clock, outbox, events,
                     [&](const std::string& line) { log.push_back(line); });

    const auto signatures = chip->chip->stats().signatures;
    const int restarts = stream(up, outbox, kMessages, mqtt::QoS::at_least_once, 900);
    EXPECT_EQ(restarts, 5);
    ASSERT_EQ(outbox.size(), 0u) << "unacknowledged messages left; broker log:\n" << broker->output();
    EXPECT_EQ(events.delivered, static_cast<std::uint64_t>(kMessages));
    EXPECT_EQ(events.refused, 0u);
    EXPECT_GE(up.stats().connects, 6u);
    // Every connect meets a restarted broker, which knows no session to resume: one full
    // handshake, one signature each, counted by the emulator (resumption: UplinkResumption).
    EXPECT_EQ(chip->chip->stats().signatures - signatures, up.stats().connects);
    EXPECT_EQ(up.stats().chip_signatures, up.stats().connects);

    const auto [distinct, lines] = received(kMessages);
    EXPECT_EQ(distinct, static_cast<std::size_t>(kMessages)) << subscriber_output().substr(0, 3000);
    std::cout << "qos1 stream: " << kMessages << " published, " << distinct << " distinct received, "
              << (lines - distinct) << " duplicates, " << restarts << " broker restarts, " << up.stats().connects
              << " connects, " << up.stats().chip_signatures << " chip signatures\n";
    up.drain(1000);
}

TEST_F(UplinkMtls, Qos2StreamArrivesExactlyOnceAcrossBrokerRestarts) {
    constexpr int kMessages = 1000;
    sub = subscriber(sub_qos = 2);
    auto storage = mqtt::PosixFileStorage::open(dir.file("outbox"));
    ASSERT_TRUE(storage);
    mqtt::Outbox outbox(**storage, clock, {});
    ASSERT_TRUE(outbox.open().ok());
    tls_mbedtls::SessionCache cache;
    Counter events;
    agent::Uplink up(uplink_config(false), agent::mbedtls_connector(tls_options(), &cache), clock, outbox, events);

    const int restarts = stream(up, outbox, kMessages, mqtt::QoS::exactly_once, 400);
    EXPECT_EQ(restarts, 2);
    ASSERT_EQ(outbox.size(), 0u) << broker->output();
    const auto [distinct, lines] = received(kMessages);
    EXPECT_EQ(distinct, static_cast<std::size_t>(kMessages));
    EXPECT_EQ(lines, distinct) << "QoS 2 must not duplicate";
    up.drain(1000);
}

class UplinkResumption : public UplinkMtls, public ::testing::WithParamInterface<bool> {};

TEST_P(UplinkResumption, ReconnectToTheSameBrokerResumesWithoutAChipSignature) {
    mqtt::MemoryStore store;
    tls_mbedtls::SessionCache cache;
    Counter events;
    std::vector<std::string> log;
    tls_mbedtls::ClientOptions options = tls_options();
    options.session_tickets = GetParam();
    agent::Uplink up(uplink_config(true), agent::mbedtls_connector(options, &cache), clock, store, events,
                     [&](const std::string& line) { log.push_back(line); });
    const auto until = [&](auto done) {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            up.step();
            clock.delay_ms(std::min(up.ms_until_next_step(), 50u));
        }
        return done();
    };
    const auto signatures = chip->chip->stats().signatures;
    ASSERT_TRUE(until([&] { return up.connected(); })) << broker->output();
    EXPECT_EQ(up.last_handshake().chip_signatures, 1u);
    EXPECT_FALSE(up.last_handshake().resumed);
    EXPECT_EQ(chip->chip->stats().signatures - signatures, 1u);  // counted by the emulator

    up.abort_connection();  // the link drops; the broker keeps the TLS session
    ASSERT_TRUE(until([&] { return up.connected() && events.connects == 2; })) << broker->output();
    EXPECT_TRUE(up.last_handshake().resumed);
    EXPECT_EQ(up.last_handshake().chip_signatures, 0u);
    EXPECT_EQ(up.stats().chip_signatures, 1u);
    // mosquitto demands a client certificate: a second connection the broker accepted without a
    // CertificateVerify signed by the chip is a resumed one.
    EXPECT_EQ(events.connects, 2);
    EXPECT_EQ(chip->chip->stats().signatures - signatures, 1u);
    EXPECT_TRUE(broker->wait_for("u'device-001'")) << broker->output();

    bool logged_connect = false;
    for (const auto& l : log) logged_connect |= l.find("uplink: connected") != std::string::npos;
    EXPECT_TRUE(logged_connect);
    up.drain(1000);
}

// mosquitto (OpenSSL) resumes by ticket and from its session-id cache.
INSTANTIATE_TEST_SUITE_P(TicketOrId, UplinkResumption, ::testing::Bool(),
                         [](const auto& p) { return std::string(p.param ? "session_ticket" : "session_id"); });
