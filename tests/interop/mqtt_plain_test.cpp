// SPDX-License-Identifier: Apache-2.0
// sebind::mqtt against a real mosquitto 2.0 on plain TCP 127.0.0.1: QoS 0/1/2 reach
// mosquitto_sub (3.1.1 and 5.0), a persistent session resumes with the messages queued while
// offline, the will is published after an abrupt close, the ACL refusal comes back as reason
// 0x87 (5.0), and a QoS 1 stream over the persistent outbox survives broker restarts.
// The TCP adapter here is test code: the product's transports live elsewhere.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.hpp"
#include "process.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/mqtt/outbox/posix_storage.hpp"
#include "sebind/mqtt/session/backoff.hpp"
#include "sebind/mqtt/session/session.hpp"

using namespace sebind;
using namespace sebind::mqtt;

namespace {

/// Blocking TCP socket whose recv() waits at most 10 ms before answering would_block.
class TcpTransport final : public Transport {
public:
    static std::unique_ptr<TcpTransport> connect(int port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return nullptr;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return std::unique_ptr<TcpTransport>(new TcpTransport(fd));
    }
    ~TcpTransport() override { ::close(m_fd); }
    IoResult send(Bytes data) noexcept override {
        const ssize_t n = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
        return n > 0 ? IoResult::done(static_cast<std::size_t>(n)) : IoResult{IoStatus::error, 0};
    }
    IoResult recv(MutableBytes buf) noexcept override {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, 10) == 0) return IoResult::blocked();
        const ssize_t n = ::recv(m_fd, buf.data(), buf.size(), 0);
        if (n > 0) return IoResult::done(static_cast<std::size_t>(n));
        return {n == 0 ? IoStatus::closed : IoStatus::error, 0};
    }

private:
    explicit TcpTransport(int fd) : m_fd(fd) {}
    int m_fd;
};

class SteadyClock final : public Clock {
public:
    std::uint32_t now_ms() noexcept override {
        return static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
                .count());
    }
    void delay_ms(std::uint32_t ms) noexcept override { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
};

struct Events final : SessionHandler {
    int connects = 0;
    bool session_present = false;
    std::vector<std::string> messages;
    std::vector<std::uint8_t> delivered_reasons;
    int subacks = 0;
    void on_connected(const Connack& c) noexcept override {
        ++connects;
        session_present = c.session_present;
    }
    void on_message(const Publish& p) noexcept override { messages.emplace_back(p.payload.begin(), p.payload.end()); }
    void on_delivered(std::uint16_t, std::uint64_t, std::uint8_t reason) noexcept override {
        delivered_reasons.push_back(reason);
    }
    void on_subscribed(const Suback&) noexcept override { ++subacks; }
};

/// A mosquitto on 127.0.0.1:port with an optional extra configuration, restartable.
class Mosquitto {
public:
    explicit Mosquitto(const test::TempDir& dir, const std::string& extra = "") : m_port(test::free_port()) {
        // As root, mosquitto switches to the user named here (so it can write the temp dir).
        const passwd* pw = ::getpwuid(::getuid());
        m_conf = dir.file("mosquitto.conf");
        test::write_file(m_conf, "listener " + std::to_string(m_port) + " 127.0.0.1\nallow_anonymous true\nuser " +
                                     std::string(pw != nullptr ? pw->pw_name : "root") + "\n" + extra);
        start();
    }
    void start() {
        m_peer = std::make_unique<test::Peer>(std::vector<std::string>{"mosquitto", "-c", m_conf});
        ASSERT_TRUE(m_peer->wait_for(" running")) << m_peer->output();
    }
    void stop() { m_peer->stop(); }
    int port() const { return m_port; }
    std::string log() { return m_peer->output(); }

private:
    int m_port;
    std::string m_conf;
    std::unique_ptr<test::Peer> m_peer;
};

/// mosquitto_sub, line-buffered, ready once its SUBACK is logged (-d).
std::unique_ptr<test::Peer> subscriber(int port, const std::string& topic, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {
        "stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", topic, "-v", "-d"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<test::Peer>(argv);
    EXPECT_TRUE(p->wait_for("SUBACK")) << p->output();
    return p;
}

template <class Done>
bool drive(Session& s, Done done, int timeout_ms = 10'000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline || s.state() == SessionState::disconnected) return done();
        (void)s.poll();
    }
    return true;
}

struct Client {
    explicit Client(SessionConfig cfg, MessageStore* store = nullptr) : config(cfg) {
        session = std::make_unique<Session>(config, clock, store != nullptr ? *store : memory, events, rx, tx);
    }
    bool connect(int port) {
        transport = TcpTransport::connect(port);
        if (!transport || !session->connect(*transport).ok()) return false;
        return drive(*session, [&] { return session->state() == SessionState::connected; });
    }
    SessionConfig config;
    SteadyClock clock;
    MemoryStore memory{10'000, 16u << 20};
    Events events;
    std::vector<std::uint8_t> rx = std::vector<std::uint8_t>(8192);
    std::vector<std::uint8_t> tx = std::vector<std::uint8_t>(65536);
    std::unique_ptr<TcpTransport> transport;
    std::unique_ptr<Session> session;
};

Bytes text(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

class MqttPlain : public ::testing::TestWithParam<ProtocolVersion> {};

}  // namespace

TEST_P(MqttPlain, Qos0And1And2ReachMosquittoSub) {
    test::TempDir dir;
    Mosquitto broker(dir);
    auto sub = subscriber(broker.port(), "sebind/test/#", {"-q", "2", "-C", "3"});
    SessionConfig cfg;
    cfg.version = GetParam();
    cfg.client_id = "sebind-qos";
    Client c(cfg);
    ASSERT_TRUE(c.connect(broker.port())) << broker.log();
    ASSERT_TRUE(c.session->publish("sebind/test/q0", text("zero"), QoS::at_most_once));
    ASSERT_TRUE(c.session->publish("sebind/test/q1", text("one"), QoS::at_least_once));
    ASSERT_TRUE(c.session->publish("sebind/test/q2", text("two"), QoS::exactly_once));
    ASSERT_TRUE(drive(*c.session, [&] { return c.events.delivered_reasons.size() == 2; })) << broker.log();
    EXPECT_EQ(c.events.delivered_reasons, (std::vector<std::uint8_t>{0, 0}));
    ASSERT_TRUE(c.session->disconnect().ok());
    ASSERT_EQ(sub->wait_exit(10'000), 0) << sub->output();
    const std::string out = sub->output();
    EXPECT_NE(out.find("sebind/test/q0 zero"), std::string::npos) << out;
    EXPECT_NE(out.find("sebind/test/q1 one"), std::string::npos) << out;
    EXPECT_NE(out.find("sebind/test/q2 two"), std::string::npos) << out;
    // The broker saw the full QoS 2 exchange and a clean goodbye (no will, no timeout).
    EXPECT_TRUE(sub->output().find("received PUBLISH (d0, q2") != std::string::npos) << out;
    EXPECT_NE(broker.log().find("sebind-qos"), std::string::npos);
}

TEST_P(MqttPlain, PersistentSessionReceivesWhatWasQueuedWhileOffline) {
    test::TempDir dir;
    Mosquitto broker(dir);
    SessionConfig cfg;
    cfg.version = GetParam();
    cfg.client_id = "sebind-resume";
    cfg.clean_start = false;
    cfg.session_expiry_s = 3600;  // 5.0: keep the session after the connection ends
    {
        Client c(cfg);
        ASSERT_TRUE(c.connect(broker.port())) << broker.log();
        const Subscription subs[] = {{"sebind/resume", QoS::at_least_once}};
        ASSERT_TRUE(c.session->subscribe(subs));
        ASSERT_TRUE(drive(*c.session, [&] { return c.events.subacks == 1; }));
        ASSERT_TRUE(c.session->disconnect().ok());
    }
    for (const char* m : {"queued-1", "queued-2"}) {
        const auto r = test::run({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-q", "1",
                                  "-t", "sebind/resume", "-m", m});
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    Client c(cfg);
    ASSERT_TRUE(c.connect(broker.port())) << broker.log();
    EXPECT_TRUE(c.events.session_present);
    ASSERT_TRUE(drive(*c.session, [&] { return c.events.messages.size() == 2; })) << broker.log();
    EXPECT_EQ(c.events.messages, (std::vector<std::string>{"queued-1", "queued-2"}));
}

TEST_P(MqttPlain, WillIsPublishedAfterAnAbruptClose) {
    test::TempDir dir;
    Mosquitto broker(dir);
    auto sub = subscriber(broker.port(), "sebind/will", {"-C", "1"});
    const std::string last_words = "device-001 offline";  // the Will holds a view: keep it alive
    const Will will{"sebind/will", text(last_words), QoS::at_least_once, false, {}};
    SessionConfig cfg;
    cfg.version = GetParam();
    cfg.client_id = "sebind-will";
    cfg.will = &will;
    Client c(cfg);
    ASSERT_TRUE(c.connect(broker.port())) << broker.log();
    c.session->abort(Status(Errc::communication_failure));
    c.transport.reset();  // the socket closes without DISCONNECT
    ASSERT_EQ(sub->wait_exit(10'000), 0) << sub->output() << broker.log();
    EXPECT_NE(sub->output().find("sebind/will device-001 offline"), std::string::npos) << sub->output();
}

TEST(MqttPlainAcl, RefusedPublishIsReportedWithItsReasonInVersion5) {
    test::TempDir dir;
    test::write_file(dir.file("acl"), "user device-001\ntopic readwrite devices/device-001/#\n");
    Mosquitto broker(dir, "acl_file " + dir.file("acl") + "\n");
    SessionConfig cfg;
    cfg.version = ProtocolVersion::v5;
    cfg.client_id = "device-001";
    cfg.has_username = true;
    cfg.username = "device-001";
    Client c(cfg);
    ASSERT_TRUE(c.connect(broker.port())) << broker.log();
    ASSERT_TRUE(c.session->publish("devices/device-001/telemetry", text("ok"), QoS::at_least_once));
    ASSERT_TRUE(c.session->publish("devices/device-002/telemetry", text("spoof"), QoS::at_least_once));
    ASSERT_TRUE(drive(*c.session, [&] { return c.events.delivered_reasons.size() == 2; })) << broker.log();
    // Allowed: success, or 0x10 "no matching subscribers" (nobody listens in this test).
    EXPECT_LT(c.events.delivered_reasons[0], 0x80);
    EXPECT_EQ(c.events.delivered_reasons[1], reason::not_authorized);  // refused by the ACL, and said so
}

TEST(MqttPlainRestart, Qos1StreamSurvivesBrokerRestartsThroughTheOutbox) {
    constexpr int kMessages = 600;
    test::TempDir dir;
    Mosquitto broker(dir, "persistence true\npersistence_location " + dir.path() + "/\n");
    auto sub = subscriber(broker.port(), "sebind/stream", {"-q", "1", "-c", "-i", "sebind-stream-sub"});

    auto storage = PosixFileStorage::open(dir.file("outbox"));
    ASSERT_TRUE(storage);
    SteadyClock clock;
    Outbox outbox(**storage, clock, {});
    ASSERT_TRUE(outbox.open().ok());
    SessionConfig cfg;
    cfg.client_id = "sebind-stream-pub";
    cfg.clean_start = false;
    cfg.keep_alive_s = 5;
    Client c(cfg, &outbox);
    BackoffConfig bc;
    bc.initial_ms = 20;
    bc.max_ms = 500;
    Backoff backoff(bc, 1);
    ASSERT_TRUE(c.connect(broker.port()));

    int published = 0, restarts = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while ((published < kMessages || outbox.size() != 0) && std::chrono::steady_clock::now() < deadline) {
        if (c.session->state() == SessionState::disconnected) {
            c.transport.reset();
            clock.delay_ms(backoff.next_delay_ms());  // reconnect policy, not test synchronisation
            c.transport = TcpTransport::connect(broker.port());
            if (c.transport && c.session->connect(*c.transport).ok()) backoff.reset();
        }
        if (published < kMessages &&
            c.session->publish("sebind/stream", text("m-" + std::to_string(published)), QoS::at_least_once))
            ++published;
        if ((published == kMessages / 3 && restarts == 0) || (published == 2 * kMessages / 3 && restarts == 1)) {
            broker.stop();  // SIGTERM: mosquitto saves its sessions
            broker.start();
            ++restarts;
        }
        (void)c.session->poll();
    }
    EXPECT_EQ(restarts, 2);
    ASSERT_EQ(outbox.size(), 0u) << "unacknowledged messages left; broker log:\n" << broker.log();

    // Every message reaches the subscriber at least once (QoS 1 allows duplicates).
    std::set<std::string> distinct;
    std::size_t lines = 0;
    const auto sub_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (distinct.size() < kMessages && std::chrono::steady_clock::now() < sub_deadline) {
        sub->wait_for("m-" + std::to_string(kMessages - 1), 200);
        distinct.clear();
        lines = 0;
        std::istringstream in(sub->output());
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("sebind/stream ", 0) != 0) continue;
            distinct.insert(line.substr(14));
            ++lines;
        }
    }
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kMessages)) << sub->output().substr(0, 2000);
    RecordProperty("duplicates", static_cast<int>(lines - distinct.size()));
    EXPECT_GE(c.events.connects, 3);
}

INSTANTIATE_TEST_SUITE_P(Versions, MqttPlain, ::testing::Values(ProtocolVersion::v3_1_1, ProtocolVersion::v5),
                         [](const auto& param_info) {
                             return param_info.param == ProtocolVersion::v5 ? "v5" : "v311";
                         });
