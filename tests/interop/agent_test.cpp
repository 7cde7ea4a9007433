// SPDX-License-Identifier: Apache-2.0
// `sebind run` (the agent) as a process against a real mosquitto 2.0 started from `sebind pki
// dev`'s configuration (mutual TLS, CN as username, per-device ACL), with an emulated chip
// provisioned the way a factory would. Readings and replies are checked at mosquitto_sub,
// commands come from mosquitto_pub; processes are stopped by PID; waits are on output.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "emulated_chip.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/emud/daemon.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/mqtt/outbox/posix_storage.hpp"

#ifndef SEBIND_BIN
#error "SEBIND_BIN must name the sebind executable"
#endif

using namespace sebind;
using nlohmann::json;
using test::run;

namespace {

const std::string kCn = "device-001";
const std::string kTelemetry = "devices/device-001/telemetry";
const std::string kStatus = "devices/device-001/status";
const std::string kCommands = "devices/device-001/commands";

/// Pumps a peer's output until `done()` holds or `timeout_ms` passes (a condition, not a sleep).
template <class Done>
bool wait_until(test::Peer& peer, Done done, int timeout_ms = 15000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return done();
        peer.wait_for("\x01 no such output", 50);
    }
    return true;
}

std::size_t occurrences(const std::string& text, const std::string& token) {
    std::size_t n = 0;
    for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + token.size())) ++n;
    return n;
}

/// The JSON payloads mosquitto_sub -v printed for `topic`.
std::vector<json> payloads(const std::string& output, const std::string& topic) {
    std::vector<json> out;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(topic + " ", 0) != 0) continue;
        json j = json::parse(line.substr(topic.size() + 1), nullptr, false);
        if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
}

std::set<std::uint64_t> seqs(const std::vector<json>& readings) {
    std::set<std::uint64_t> out;
    for (const auto& j : readings) out.insert(j.at("seq").get<std::uint64_t>());
    return out;
}

/// Stops a peer with `signal` and returns its exit status (-1: killed by a signal or still running).
int stop_with(test::Peer& peer, int signal, int timeout_ms = 15000) {
    ::kill(peer.pid(), signal);
    return peer.wait_exit(timeout_ms);
}

struct ConfigOptions {
    int qos = 1;
    std::string protocol = "3.1.1";
    double interval_s = 3600;  // commands or --interval-ms decide in most tests
    std::string topic;         // default devices/{cn}/telemetry
    bool clean_start = false;
    bool constant_sensor = false;  // same-size readings (the disk-full test)
    double drain_timeout_s = 5;
    double timeout_s = 5;
    std::string stack = "mbedtls";
    std::string se_uri;  // default: the emulated chip in process (emu:)
    bool chip_ecdhe = false;
};

class Agent : public ::testing::Test {
protected:
    void SetUp() override {
        port = test::free_port();
        auto made = run({SEBIND_BIN, "pki", "dev", "--out", pki(), "--port", std::to_string(port)});
        ASSERT_EQ(made.exit_code, 0) << made.output;
        provision();
        // A fake sysfs thermal zone: the configurable root is what tests point at.
        test::write_file(dir.file("sys/thermal/thermal_zone0/temp"), std::string("41500\n"));
    }

    /// Factory provisioning on an emulated chip: slot-1 key, chip-signed CSR, `sebind pki sign`,
    /// certificate stored in zone 4. The chip is closed again before the agent opens it.
    void provision() {
        std::filesystem::create_directories(dir.file("sys/thermal/thermal_zone0"));
        test::EmulatedChip chip(dir.file("se"));
        ASSERT_TRUE(identity::keygen(*chip.device, {}));
        auto csr = identity::make_csr(*chip.device, stsafe::kSlotUser, 4, "CN=" + kCn + ",O=sebind test", {});
        ASSERT_TRUE(csr);
        test::write_file(dir.file("dev.csr"), *csr);
        auto signed_ = run({SEBIND_BIN, "pki", "sign", "--ca", pki(), dir.file("dev.csr"), "-o", dir.file("dev.crt")});
        ASSERT_EQ(signed_.exit_code, 0) << signed_.output;
        const std::string crt = test::read_text(dir.file("dev.crt"));
        ASSERT_TRUE(identity::store_certificate(*chip.device, std::vector<std::uint8_t>(crt.begin(), crt.end()), {}));
    }

    std::string pki() const { return dir.file("pki"); }

    std::string write_config(const ConfigOptions& o, const std::string& name = "device.toml") {
        std::ostringstream c;
        c << "[se]\nuri = \"" << (o.se_uri.empty() ? "emu:" + dir.file("se") : o.se_uri) << "\"\n"
          << "[broker]\nhost = \"localhost\"\nport = " << port << "\nca_file = \"" << pki() << "/ca.pem\"\n"
          << "protocol = \"" << o.protocol << "\"\nclean_start = " << (o.clean_start ? "true" : "false") << "\n"
          << "keep_alive = 30\ntimeout_s = " << o.timeout_s << "\nreconnect_initial_s = 0.1\nreconnect_max_s = 0.5\n"
          << "stack = \"" << o.stack << "\"\n"
          << (o.chip_ecdhe ? "chip_ecdhe = true\n" : "")
          << "[outbox]\ndir = \"outbox\"\ndrain_timeout_s = " << o.drain_timeout_s << "\n"
          << "[telemetry]\ninterval_s = " << o.interval_s << "\nqos = " << o.qos << "\n";
        if (!o.topic.empty()) c << "topic = \"" << o.topic << "\"\n";
        if (o.constant_sensor) {
            c << "[[sensor]]\ntype = \"simulated\"\nname = \"const\"\nwaveform = \"constant\"\nmin = 7\nmax = 7\n";
        } else {
            c << "[[sensor]]\ntype = \"simulated\"\nname = \"sim\"\nunit = \"°C\"\nmin = 20\nmax = 25\nperiod_s = 5\n"
              << "[[sensor]]\ntype = \"thermal\"\nname = \"soc\"\nroot = \"sys/thermal\"\n";
        }
        const std::string path = dir.file(name);
        test::write_file(path, c.str());
        return path;
    }

    void start_broker() {
        const std::string conf = pki() + "/mosquitto.conf";
        broker = std::make_unique<test::Peer>(std::vector<std::string>{"mosquitto", "-c", conf});
        ASSERT_TRUE(broker->wait_for(" running")) << broker->output();
    }

    std::vector<std::string> as_monitor() const {
        return {"-h",       "localhost",           "-p",     std::to_string(port),
                "--cafile", pki() + "/ca.pem",     "--cert", pki() + "/monitor.pem",
                "--key",    pki() + "/monitor.key"};
    }

    /// mosquitto_sub as the monitor identity, line-buffered; ready once its SUBACK is logged.
    std::unique_ptr<test::Peer> subscribe(const std::string& topic, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv = {"stdbuf", "-oL", "mosquitto_sub"};
        const auto m = as_monitor();
        argv.insert(argv.end(), m.begin(), m.end());
        argv.insert(argv.end(), {"-t", topic, "-v", "-d"});
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto p = std::make_unique<test::Peer>(argv);
        EXPECT_TRUE(p->wait_for("SUBACK")) << p->output() << (broker ? broker->output() : "");
        return p;
    }

    void send_command(const std::string& payload, int qos = 1) {
        std::vector<std::string> argv = {"mosquitto_pub"};
        const auto m = as_monitor();
        argv.insert(argv.end(), m.begin(), m.end());
        argv.insert(argv.end(), {"-q", std::to_string(qos), "-t", kCommands, "-m", payload});
        const auto r = run(argv);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }

    std::unique_ptr<test::Peer> start_agent(const std::string& config, const std::vector<std::string>& extra = {},
                                            const std::vector<std::string>& prefix = {}) {
        std::vector<std::string> argv = prefix;
        argv.insert(argv.end(), {SEBIND_BIN, "run", "--config", config});
        argv.insert(argv.end(), extra.begin(), extra.end());
        return std::make_unique<test::Peer>(argv);
    }

#ifdef SEBIND_EMUD_BIN
    /// sebind-emud serving the fixture's chip on `socket`, once it says so.
    std::unique_ptr<test::Peer> serve_chip(const std::string& socket) {
        auto p = std::make_unique<test::Peer>(
            std::vector<std::string>{SEBIND_EMUD_BIN, "--socket", socket, dir.file("se")});
        EXPECT_TRUE(p->wait_for("serving")) << p->output();
        return p;
    }
#endif

    test::TempDir dir;
    int port = 0;
    std::unique_ptr<test::Peer> broker;
};

class AgentQos : public Agent, public ::testing::WithParamInterface<std::tuple<int, const char*>> {};

}  // namespace

TEST_P(AgentQos, ReadingsReachMosquittoSub) {
    const auto [qos, protocol] = GetParam();
    start_broker();
    auto sub = subscribe(kTelemetry, {"-q", "2", "-C", "3"});
    ConfigOptions o;
    o.qos = qos;
    o.protocol = protocol;
    auto agent = start_agent(write_config(o), {"--count", "3", "--interval-ms", "100"});
    ASSERT_EQ(agent->wait_exit(30000), 0) << agent->output() << broker->output();
    ASSERT_EQ(sub->wait_exit(10000), 0) << sub->output();

    const auto readings = payloads(sub->output(), kTelemetry);
    ASSERT_EQ(readings.size(), 3u) << sub->output();
    const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
    for (std::size_t i = 0; i < readings.size(); ++i) {
        const json& r = readings[i];
        EXPECT_EQ(r["device"], kCn);
        EXPECT_EQ(r["seq"], i + 1);  // a fresh device starts at 1, in order
        EXPECT_TRUE(std::regex_match(r["time"].get<std::string>(), rfc3339)) << r;
        EXPECT_EQ(r["interval_s"], 0.1);
        ASSERT_EQ(r["readings"].size(), 2u) << r;
        EXPECT_EQ(r["readings"][0]["sensor"], "sim");
        EXPECT_GE(r["readings"][0]["value"].get<double>(), 20.0);
        EXPECT_LE(r["readings"][0]["value"].get<double>(), 25.0);
        EXPECT_EQ(r["readings"][1]["sensor"], "soc/thermal_zone0");
        EXPECT_EQ(r["readings"][1]["value"], 41.5);  // from the fake sysfs file
    }
    // The subscriber asked for QoS 2, so each message arrives at the QoS it was published with.
    EXPECT_EQ(occurrences(sub->output(), "received PUBLISH (d0, q" + std::to_string(qos)), 3u) << sub->output();
    EXPECT_NE(agent->output().find("stopping: "), std::string::npos);
    EXPECT_NE(agent->output().find("reading(s) delivered"), std::string::npos);
    EXPECT_NE(broker->output().find("u'" + kCn + "'"), std::string::npos) << "CN as username";
}

INSTANTIATE_TEST_SUITE_P(QosAndVersion, AgentQos,
                         ::testing::Combine(::testing::Values(0, 1, 2), ::testing::Values("3.1.1", "5")),
                         [](const auto& p) {
                             return "qos" + std::to_string(std::get<0>(p.param)) +
                                    (std::string(std::get<1>(p.param)) == "5" ? "_v5" : "_v311");
                         });

TEST_F(Agent, CommandsChangeTheIntervalAndTriggerAReadingNow) {
    start_broker();
    auto sub = subscribe("devices/" + kCn + "/#", {"-q", "1"});
    auto agent = start_agent(write_config({}));  // interval 3600 s: only commands make more readings
    ASSERT_TRUE(agent->wait_for("subscribed to " + kCommands)) << agent->output();
    ASSERT_TRUE(sub->wait_for("\"seq\":1,")) << sub->output();

    send_command(R"({"cmd":"publish_now","id":7})");
    ASSERT_TRUE(sub->wait_for(R"("ack":"publish_now","seq":2,"id":7)")) << sub->output() << agent->output();
    EXPECT_TRUE(sub->wait_for("\"seq\":2,")) << sub->output();

    send_command(R"({"cmd":"set_interval","seconds":0.2,"id":"fast"})");
    ASSERT_TRUE(sub->wait_for(R"("ack":"set_interval","interval_s":0.2,"id":"fast")")) << sub->output();
    EXPECT_TRUE(sub->wait_for("\"seq\":5,")) << sub->output() << agent->output();  // impossible at 3600 s
    EXPECT_NE(agent->output().find("command set_interval: interval 3600 s -> 0.2 s"), std::string::npos)
        << agent->output();

    send_command(R"({"cmd":"reboot"})");
    EXPECT_TRUE(sub->wait_for(R"("error":"unknown command","cmd":"reboot")")) << sub->output();
    send_command("not json");
    EXPECT_TRUE(sub->wait_for(R"("error":"bad command","detail":"not a JSON object")")) << sub->output();
    EXPECT_TRUE(agent->wait_for("command 'reboot' unknown")) << agent->output();
    EXPECT_TRUE(agent->wait_for("bad command on " + kCommands + ": not a JSON object")) << agent->output();

    EXPECT_EQ(stop_with(*agent, SIGTERM), 0) << agent->output();
    EXPECT_NE(agent->output().find("stopping: stop requested"), std::string::npos) << agent->output();
    EXPECT_NE(agent->output().find("; 0 message(s) left in the outbox"), std::string::npos) << agent->output();
    // A clean stop replaces the retained "online" with "offline / stopped".
    EXPECT_TRUE(sub->wait_for(R"("state":"offline","reason":"stopped")")) << sub->output();
    // Each line of the agent is one state change: no line is empty or carries PEM/key material.
    EXPECT_EQ(agent->output().find("\n\n"), std::string::npos);
    EXPECT_EQ(agent->output().find("PRIVATE"), std::string::npos);
}

TEST_F(Agent, TheCommandPkiDevsReadmeSuggestsIsOneTheAgentObeys) {
    // pki/README.txt shows a mosquitto_pub line for sending a command: run as written, it reaches
    // the agent (its topic is the one the agent subscribes to, its payload a command it knows).
    start_broker();
    auto agent = start_agent(write_config({}));
    ASSERT_TRUE(agent->wait_for("subscribed to " + kCommands)) << agent->output();
    std::istringstream readme(test::read_text(pki() + "/README.txt"));
    std::string command;
    for (std::string line; std::getline(readme, line);)
        if (line.rfind("  mosquitto_pub ", 0) == 0) command = line;
    ASSERT_FALSE(command.empty()) << test::read_text(pki() + "/README.txt");
    const auto r = run({"sh", "-c", command});
    ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.output;
    EXPECT_TRUE(agent->wait_for("command publish_now: taking a reading now")) << command << "\n" << agent->output();
    EXPECT_EQ(stop_with(*agent, SIGTERM), 0) << agent->output();
}

TEST_F(Agent, TheShippedExampleConfigRunsOnAMachineWithoutThermalZones) {
    // examples/device.toml with only what a reader must change (chip, broker, CA, outbox) and its
    // thermal entry looking at a sysfs tree without zones: the agent starts, says which line's
    // sensor it skips, and publishes the other sensors' readings.
    std::string toml = test::read_text(SEBIND_EXAMPLE_CONFIG);
    const auto replace = [&toml](const std::string& pattern, const std::string& with) {
        const std::string before = toml;
        toml = std::regex_replace(toml, std::regex(pattern), with);
        EXPECT_NE(toml, before) << pattern;
    };
    replace("\nuri = \"[^\"]*\"", "\nuri = \"emu:" + dir.file("se") + "\"");
    replace("\nhost = \"[^\"]*\"", "\nhost = \"localhost\"");
    replace("\nport = [0-9]+", "\nport = " + std::to_string(port));
    replace("\nca_file = \"[^\"]*\"", "\nca_file = \"" + pki() + "/ca.pem\"");
    replace("\ndir = \"[^\"]*\"", "\ndir = \"" + dir.file("outbox") + "\"");
    std::filesystem::create_directories(dir.file("no-thermal"));
    replace("(\ntype = \"thermal\"[^\n]*)", "$1\nroot = \"" + dir.file("no-thermal") + "\"");
    test::write_file(dir.file("device.toml"), toml);
    const int thermal_line = [&toml] {
        const std::size_t at = toml.rfind("[[sensor]]", toml.find("type = \"thermal\""));
        return static_cast<int>(std::count(toml.begin(), toml.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1;
    }();

    start_broker();
    auto sub = subscribe(kTelemetry);
    auto agent = start_agent(dir.file("device.toml"), {"--count", "1"});
    EXPECT_EQ(agent->wait_exit(30000), 0) << agent->output();
    EXPECT_NE(agent->output().find("warning: " + dir.file("device.toml") + ":" + std::to_string(thermal_line) +
                                   ": [[sensor]] \"soc\": no thermal_zone*/temp under " + dir.file("no-thermal")),
              std::string::npos)
        << agent->output();
    EXPECT_NE(agent->output().find("; the sensor is skipped"), std::string::npos) << agent->output();
    ASSERT_TRUE(sub->wait_for("\"sensor\":\"load/1m\"")) << sub->output();
    EXPECT_NE(sub->output().find("\"sensor\":\"sim-temperature\""), std::string::npos) << sub->output();
    EXPECT_EQ(sub->output().find("\"sensor\":\"soc"), std::string::npos) << sub->output();
}

class AgentSession : public Agent, public ::testing::WithParamInterface<const char*> {};

TEST_P(AgentSession, CommandsSentWhileOfflineArriveAtReconnect) {
    start_broker();
    ConfigOptions o;
    o.protocol = GetParam();
    o.clean_start = false;
    const std::string config = write_config(o);
    {
        auto first = start_agent(config);
        ASSERT_TRUE(first->wait_for("subscribed to " + kCommands)) << first->output() << broker->output();
        ASSERT_EQ(stop_with(*first, SIGTERM), 0) << first->output();
    }
    // The device is offline; the broker keeps its session and queues these (QoS 1).
    send_command(R"({"cmd":"set_interval","seconds":0.5,"id":"q1"})");
    send_command(R"({"cmd":"publish_now","id":"q2"})");
    auto sub = subscribe(kStatus, {"-q", "1"});

    auto again = start_agent(config);
    ASSERT_TRUE(again->wait_for("connected (session present: yes)")) << again->output() << broker->output();
    EXPECT_TRUE(again->wait_for("command set_interval: interval 3600 s -> 0.5 s")) << again->output();
    EXPECT_TRUE(again->wait_for("command publish_now")) << again->output();
    EXPECT_TRUE(sub->wait_for(R"("id":"q1")")) << sub->output();
    EXPECT_TRUE(sub->wait_for(R"("id":"q2")")) << sub->output();
    EXPECT_EQ(again->output().find("subscribed to"), std::string::npos) << "the broker kept the subscription";
    EXPECT_EQ(stop_with(*again, SIGTERM), 0) << again->output();
}

INSTANTIATE_TEST_SUITE_P(Versions, AgentSession, ::testing::Values("3.1.1", "5"),
                         [](const auto& p) { return std::string(p.param) == "5" ? "v5" : "v311"; });

class AgentOversized : public Agent, public ::testing::WithParamInterface<const char*> {};

TEST_P(AgentOversized, ACommandTooLargeIsRefusedOnceAndTelemetryGoesOn) {
    const bool v5 = std::string(GetParam()) == "5";
    start_broker();
    auto sub = subscribe("devices/" + kCn + "/#", {"-q", "1"});
    ConfigOptions o;
    o.protocol = GetParam();
    const std::string config = write_config(o);
    auto agent = start_agent(config, {"--interval-ms", "200"});
    ASSERT_TRUE(agent->wait_for("subscribed to " + kCommands)) << agent->output() << broker->output();

    // 100 KiB at QoS 1, over the 64 KiB the agent takes; then an ordinary command.
    test::write_file(dir.file("big.json"), R"({"cmd":"publish_now","pad":")" + std::string(100 * 1024, 'x') + "\"}");
    {
        std::vector<std::string> argv = {"mosquitto_pub"};
        const auto m = as_monitor();
        argv.insert(argv.end(), m.begin(), m.end());
        argv.insert(argv.end(), {"-q", "1", "-t", kCommands, "-f", dir.file("big.json")});
        const auto r = run(argv);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    send_command(R"({"cmd":"publish_now","id":"after-big"})");
    ASSERT_TRUE(sub->wait_for(R"("ack":"publish_now")")) << sub->output() << agent->output();
    EXPECT_NE(sub->output().find(R"("id":"after-big")"), std::string::npos) << sub->output();
    if (v5) {
        // The agent announced its Maximum Packet Size in CONNECT: the broker does not send it.
        EXPECT_EQ(occurrences(agent->output(), "refused: larger than"), 0u) << agent->output();
    } else {
        ASSERT_TRUE(agent->wait_for("bytes on " + kCommands + " refused: larger than the 65536 bytes the agent takes"))
            << agent->output();
        EXPECT_TRUE(sub->wait_for(R"("error":"message too large")")) << sub->output();
    }
    // Telemetry keeps arriving on the same connection.
    const std::size_t readings = payloads(sub->output(), kTelemetry).size();
    ASSERT_TRUE(wait_until(*sub, [&] { return payloads(sub->output(), kTelemetry).size() >= readings + 3; }))
        << sub->output();
    EXPECT_EQ(occurrences(agent->output(), "uplink: disconnected"), 0u) << agent->output();
    EXPECT_EQ(occurrences(agent->output(), "uplink: connected"), 1u) << agent->output();
    EXPECT_LE(occurrences(agent->output(), "refused: larger than"), 1u) << agent->output();
    ASSERT_EQ(stop_with(*agent, SIGTERM), 0) << agent->output();

    // It was acknowledged: the broker, which kept the session, does not send it again.
    auto again = start_agent(config, {"--interval-ms", "200"});
    ASSERT_TRUE(again->wait_for("connected (session present: yes)")) << again->output() << broker->output();
    send_command(R"({"cmd":"publish_now","id":"second-run"})");
    ASSERT_TRUE(sub->wait_for(R"("id":"second-run")")) << sub->output() << again->output();
    EXPECT_EQ(occurrences(again->output(), "refused"), 0u) << again->output();
    EXPECT_EQ(occurrences(again->output(), "uplink: disconnected"), 0u) << again->output();
    EXPECT_EQ(stop_with(*again, SIGTERM), 0) << again->output();
}

INSTANTIATE_TEST_SUITE_P(Versions, AgentOversized, ::testing::Values("3.1.1", "5"),
                         [](const auto& p) { return std::string(p.param) == "5" ? "v5" : "v311"; });

class AgentStack : public Agent, public ::testing::WithParamInterface<const char*> {};

TEST_P(AgentStack, KeepsSamplingWhileAServerDribblesTheHandshakeAndStopsOnSigterm) {
    // A "broker" that sends one byte a second: every connection attempt lasts its whole 2 s
    // timeout. Readings go on into the outbox meanwhile, and SIGTERM ends the agent within a
    // bound (drain 0.5 s + the attempt in progress, at most 2 s).
    test::DribblingServer slow(1000);
    ASSERT_GT(slow.port(), 0);
    port = slow.port();
    ConfigOptions o;
    o.stack = GetParam();
    o.timeout_s = 2;
    o.drain_timeout_s = 0.5;
    o.constant_sensor = true;
    auto agent = start_agent(write_config(o), {"--interval-ms", "50"});
    ASSERT_TRUE(agent->wait_for("uplink: connecting")) << agent->output();
    ASSERT_TRUE(wait_until(*agent, [&] { return slow.connections() >= 1; })) << agent->output();
    // Readings of under 250 bytes each, every 50 ms: 20 of them within 6 s although the link spends
    // nearly all of that time in attempts of 2 s (a blocking connect allows one per attempt).
    const std::string log = dir.file("outbox/outbox.log");
    ASSERT_TRUE(wait_until(
        *agent, [&] { return std::filesystem::exists(log) && std::filesystem::file_size(log) > 20 * 250; }, 6000))
        << agent->output();
    EXPECT_EQ(occurrences(agent->output(), "uplink: connected"), 0u);
    const auto stop_at = std::chrono::steady_clock::now();
    ASSERT_EQ(stop_with(*agent, SIGTERM, 10000), 0) << agent->output();
    const auto stop_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stop_at).count();
    EXPECT_LT(stop_ms, 3500) << agent->output();
    std::smatch m;
    const std::string out = agent->output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(not stored; (\d+) message\(s\) left in the outbox)"))) << out;
    EXPECT_GE(std::stoul(m[1].str()), 20u) << out;
}

INSTANTIATE_TEST_SUITE_P(Stacks, AgentStack, ::testing::Values("mbedtls", "wolfssl"));

TEST_F(Agent, ARestartedChipDaemonIsReconnectedAndNoReadingIsLost) {
#ifndef SEBIND_EMUD_BIN
    GTEST_SKIP() << "built without sebind-emud";
#else
    // The chip behind sebind-emud: killed (SIGKILL) while the agent runs, then the broker restarts
    // so the next handshake needs a chip signature; the daemon comes back on the same socket and
    // state, and the agent must find it again by itself.
    const std::string socket = dir.file("emud.sock");
    const std::vector<std::string> emud_argv = {SEBIND_EMUD_BIN, "--socket", socket, dir.file("se")};
    auto emud = std::make_unique<test::Peer>(emud_argv);
    ASSERT_TRUE(emud->wait_for("serving")) << emud->output();
    start_broker();
    auto sub = subscribe(kTelemetry, {"-q", "1"});
    ConfigOptions o;
    o.se_uri = "emud:" + socket;
    o.constant_sensor = true;
    auto agent = start_agent(write_config(o), {"--interval-ms", "100"});
    ASSERT_TRUE(sub->wait_for("\"seq\":5,")) << sub->output() << agent->output();

    EXPECT_EQ(stop_with(*emud, SIGKILL), -1);
    broker->stop();
    start_broker();
    // mosquitto_sub reconnects and subscribes again by itself; the agent cannot: no chip.
    ASSERT_TRUE(wait_until(*sub, [&] { return occurrences(sub->output(), "SUBACK") >= 2; })) << sub->output();
    ASSERT_TRUE(agent->wait_for("the secure element")) << agent->output();
    const std::size_t failures = occurrences(agent->output(), "uplink: TLS failed");
    ASSERT_TRUE(wait_until(*agent, [&] { return occurrences(agent->output(), "uplink: TLS failed") >= failures + 2; }))
        << agent->output();

    emud = std::make_unique<test::Peer>(emud_argv);
    ASSERT_TRUE(emud->wait_for("serving")) << emud->output();
    ASSERT_TRUE(wait_until(*agent, [&] { return occurrences(agent->output(), "uplink: connected") >= 2; }))
        << agent->output();
    // Readings keep arriving, and every one taken meanwhile too.
    const std::uint64_t before = *seqs(payloads(sub->output(), kTelemetry)).rbegin();
    ASSERT_TRUE(wait_until(*sub, [&] { return *seqs(payloads(sub->output(), kTelemetry)).rbegin() >= before + 10; }))
        << sub->output() << agent->output();
    EXPECT_EQ(stop_with(*agent, SIGTERM), 0) << agent->output();
    const auto got = seqs(payloads(sub->output(), kTelemetry));
    for (std::uint64_t s = 1; s <= *got.rbegin(); ++s) EXPECT_TRUE(got.count(s)) << "reading seq " << s << " was lost";
#endif
}

TEST_F(Agent, AChipThatStaysAwayEndsTheAgentWithAnExitCodeSystemdRestartsOn) {
#ifndef SEBIND_EMUD_BIN
    GTEST_SKIP() << "built without sebind-emud";
#else
    const std::string socket = dir.file("emud.sock");
    auto emud = serve_chip(socket);
    start_broker();
    ConfigOptions o;
    o.se_uri = "emud:" + socket;
    o.drain_timeout_s = 0.5;
    auto agent = start_agent(write_config(o), {"--interval-ms", "100"});
    ASSERT_TRUE(agent->wait_for("uplink: connected")) << agent->output();
    EXPECT_EQ(stop_with(*emud, SIGKILL), -1);
    broker->stop();
    start_broker();  // the next handshake needs a signature, and the chip does not come back
    // Exit 4 (secure element unreachable): the unit's Restart=on-failure starts a new process.
    EXPECT_EQ(agent->wait_exit(30000), 4) << agent->output();
    const std::string out = agent->output();
    EXPECT_NE(out.find("stopping: the secure element failed 10 connection attempts in a row"), std::string::npos)
        << out;
    EXPECT_GE(occurrences(out, "uplink: TLS failed: the secure element"), 10u) << out;
    EXPECT_NE(out.find("sebind: agent: "), std::string::npos) << out;
#endif
}

TEST_F(Agent, ChipEcdheFromDeviceTomlIsDoneByTheChip) {
#ifndef SEBIND_EMUD_BIN
    GTEST_SKIP() << "built without sebind-emud";
#else
    // chip_ecdhe = true: each full handshake's ECDHE is an Establish Key of the chip, as the chip
    // behind sebind-emud counts it (not what the agent says about itself).
    const std::string socket = dir.file("emud.sock");
    auto emud = serve_chip(socket);
    std::string why;
    auto control = port_linux::DaemonControl::connect(socket, "", &why);
    ASSERT_TRUE(control) << why;
    start_broker();
    auto sub = subscribe(kTelemetry);
    ConfigOptions o;
    o.se_uri = "emud:" + socket;
    for (const bool on : {false, true}) {
        o.chip_ecdhe = on;
        const auto before = (*control)->stats();
        ASSERT_TRUE(before);
        auto agent = start_agent(write_config(o), {"--count", "1"});
        EXPECT_EQ(agent->wait_exit(30000), 0) << agent->output();
        const auto after = (*control)->stats();
        ASSERT_TRUE(after);
        EXPECT_EQ(after->key_establishments - before->key_establishments, on ? 1u : 0u) << agent->output();
        // The pairing check at start and the handshake's CertificateVerify.
        EXPECT_EQ(after->signatures - before->signatures, 2u) << agent->output();
    }
    // Only the mbedTLS stack can hand its ECDHE to the chip: one line naming the key.
    test::write_file(dir.file("wolf.toml"), "[broker]\nca_file = \"" + pki() +
                                                "/ca.pem\"\nstack = \"wolfssl\"\nchip_ecdhe = true\n[[sensor]]\n"
                                                "type = \"loadavg\"\n");
    const auto wolf = run({SEBIND_BIN, "run", "--config", dir.file("wolf.toml")});
    EXPECT_EQ(wolf.exit_code, 36) << wolf.output;
    EXPECT_NE(wolf.output.find("wolf.toml:4: [broker] chip_ecdhe = true needs stack = \"mbedtls\""), std::string::npos)
        << wolf.output;
#endif
}

TEST_F(Agent, WillIsPublishedWhenTheAgentIsKilled) {
    start_broker();
    auto sub = subscribe(kStatus, {"-q", "1"});
    auto agent = start_agent(write_config({}));
    ASSERT_TRUE(agent->wait_for("subscribed to " + kCommands)) << agent->output();
    ASSERT_TRUE(sub->wait_for(R"("state":"online")")) << sub->output();
    EXPECT_EQ(stop_with(*agent, SIGKILL), -1);
    ASSERT_TRUE(sub->wait_for("connection lost")) << sub->output() << broker->output();
    const auto status = payloads(sub->output(), kStatus);
    ASSERT_FALSE(status.empty());
    EXPECT_EQ(status.back(), (json{{"device", kCn}, {"state", "offline"}, {"reason", "connection lost"}}));
    // Retained: a monitor that looks later still learns the device is gone.
    auto late = subscribe(kStatus, {"-C", "1"});
    ASSERT_EQ(late->wait_exit(10000), 0) << late->output();
    EXPECT_NE(late->output().find("connection lost"), std::string::npos) << late->output();
}

TEST_F(Agent, PublishOutsideItsTreeIsRefusedAndReported) {
    start_broker();
    auto sub = subscribe(kStatus, {"-q", "1"});
    ConfigOptions o;
    o.protocol = "5";  // mosquitto answers the ACL refusal with PUBACK 0x87 only in MQTT 5
    o.topic = "devices/device-002/telemetry";
    auto agent = start_agent(write_config(o), {"--interval-ms", "100"});
    ASSERT_TRUE(
        agent->wait_for("the broker refused reading seq 1 on devices/device-002/telemetry (0x87 not authorized)"))
        << agent->output() << broker->output();
    EXPECT_NE(
        agent->output().find("warning: telemetry topic devices/device-002/telemetry is outside devices/device-001/"),
        std::string::npos);
    ASSERT_TRUE(sub->wait_for(R"("error":"telemetry refused")")) << sub->output();
    EXPECT_TRUE(sub->wait_for(R"("reason_code":135)")) << sub->output();
    // More refusals follow, reported once: the reply to publish_now comes after a later reading.
    send_command(R"({"cmd":"publish_now"})");
    ASSERT_TRUE(sub->wait_for(R"("ack":"publish_now")")) << sub->output();
    EXPECT_EQ(stop_with(*agent, SIGTERM), 0) << agent->output();
    const std::string out = agent->output();
    EXPECT_EQ(occurrences(out, "the broker refused reading"), 1u) << out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(stopped: 0 reading\(s\) delivered, (\d+) refused)"))) << out;
    EXPECT_GE(std::stoul(m[1].str()), 2u) << out;
    EXPECT_EQ(occurrences(sub->output(), "telemetry refused"), 1u) << sub->output();
}

TEST_F(Agent, KilledMidStreamThenRestartedLosesNoAcceptedQos1Reading) {
    start_broker();
    auto sub = subscribe(kTelemetry, {"-q", "1"});
    const std::string config = write_config({});
    auto agent = start_agent(config, {"--interval-ms", "20"});
    ASSERT_TRUE(sub->wait_for("\"seq\":25,")) << sub->output() << agent->output();
    // Freeze the broker so that acknowledgements stop: readings now pile up in the outbox (in
    // flight or waiting for the window), which is what a crash must not lose.
    const std::string log = dir.file("outbox/outbox.log");
    const auto size_at_freeze = std::filesystem::file_size(log);
    ASSERT_EQ(::kill(broker->pid(), SIGSTOP), 0);
    ASSERT_TRUE(wait_until(*agent, [&] { return std::filesystem::file_size(log) > size_at_freeze + 20 * 200; }))
        << agent->output();
    EXPECT_EQ(stop_with(*agent, SIGKILL), -1);
    ASSERT_EQ(::kill(broker->pid(), SIGCONT), 0);

    // What the agent had accepted: everything the subscriber got, plus what waits in its outbox.
    std::uint64_t accepted = 0;
    std::size_t stored = 0;
    {
        auto storage = mqtt::PosixFileStorage::open(dir.file("outbox"));
        ASSERT_TRUE(storage);
        ManualClock clock;
        mqtt::Outbox outbox(**storage, clock);
        ASSERT_TRUE(outbox.open().ok());
        mqtt::StoreEntry e;
        for (std::uint64_t after = 0; outbox.next(after, e); after = e.seq) {
            mqtt::StoredMessage m;
            ASSERT_TRUE(outbox.load(e.seq, m).ok());
            if (m.topic != kTelemetry) continue;
            const json j = json::parse(std::string(m.payload.begin(), m.payload.end()));
            accepted = std::max(accepted, j["seq"].get<std::uint64_t>());
            ++stored;
        }
    }
    for (std::uint64_t s : seqs(payloads(sub->output(), kTelemetry))) accepted = std::max(accepted, s);
    ASSERT_GE(accepted, 25u);
    ASSERT_GE(stored, 10u) << "the outbox held the readings the frozen broker had not acknowledged";

    auto restarted = start_agent(config, {"--interval-ms", "20", "--count", "5"});
    ASSERT_EQ(restarted->wait_exit(30000), 0) << restarted->output() << broker->output();
    // The new run continues above every number the killed one may have used (agent.seq).
    ASSERT_TRUE(sub->wait_for("\"seq\":1005,")) << sub->output() << restarted->output();
    const auto got = seqs(payloads(sub->output(), kTelemetry));
    for (std::uint64_t s = 1; s <= accepted; ++s) EXPECT_TRUE(got.count(s)) << "reading seq " << s << " was lost";
    for (std::uint64_t s : got) EXPECT_TRUE(s <= accepted || s > 1000) << "seq " << s << " reused after the crash";
    EXPECT_NE(restarted->output().find(std::to_string(stored) + " message(s) kept from a previous run"),
              std::string::npos)
        << restarted->output();
    RecordProperty("accepted_before_kill", static_cast<int>(accepted));
    RecordProperty("in_outbox_at_kill", static_cast<int>(stored));
}

TEST_F(Agent, FullDiskRefusesNewReadingsWithOneLineAndKeepsWhatWasStored) {
    // No broker yet: readings pile up in the outbox until the file-size limit (RLIMIT_FSIZE; the
    // agent ignores SIGXFSZ, so the write fails with EFBIG) stops them.
    ConfigOptions o;
    o.constant_sensor = true;  // every reading has the same size, so none fits after the first refusal
    o.drain_timeout_s = 0.5;
    const std::string config = write_config(o);
    auto agent = start_agent(config, {"--interval-ms", "10"}, {"prlimit", "--fsize=16384", "--"});
    ASSERT_TRUE(agent->wait_for("outbox cannot store reading seq")) << agent->output();
    // Let several more readings be refused: each reconnect attempt takes >= 100 ms.
    const std::size_t retries = occurrences(agent->output(), "uplink: retrying");
    ASSERT_TRUE(wait_until(*agent, [&] { return occurrences(agent->output(), "uplink: retrying") >= retries + 2; }))
        << agent->output();
    ASSERT_EQ(stop_with(*agent, SIGTERM), 0) << agent->output();
    const std::string out = agent->output();
    EXPECT_EQ(occurrences(out, "outbox cannot store"), 1u) << out;
    EXPECT_NE(out.find("File too large — free disk space"), std::string::npos) << out;
    const std::smatch stopped = [&] {
        std::smatch m;
        std::regex_search(
            out, m, std::regex(R"(stopped: 0 reading\(s\) delivered, 0 refused, (\d+) not stored; (\d+) message)"));
        return m;
    }();
    ASSERT_EQ(stopped.size(), 3u) << out;
    EXPECT_GE(std::stoul(stopped[1].str()), 3u) << "new readings are refused";

    // Reopened, the outbox holds every stored reading intact and in order.
    std::vector<std::uint64_t> stored;
    {
        auto storage = mqtt::PosixFileStorage::open(dir.file("outbox"));
        ASSERT_TRUE(storage);
        ManualClock clock;
        mqtt::Outbox outbox(**storage, clock);
        ASSERT_TRUE(outbox.open().ok());
        EXPECT_FALSE(outbox.recovery().torn_tail);
        EXPECT_FALSE(outbox.recovery().corrupt_record);
        EXPECT_EQ(outbox.recovery().discarded_bytes, 0u);
        EXPECT_LE(outbox.log_bytes(), 16384u);
        mqtt::StoreEntry e;
        for (std::uint64_t after = 0; outbox.next(after, e); after = e.seq) {
            mqtt::StoredMessage m;
            ASSERT_TRUE(outbox.load(e.seq, m).ok());
            const json j = json::parse(std::string(m.payload.begin(), m.payload.end()));
            EXPECT_EQ(j["device"], kCn);
            EXPECT_EQ(j["readings"][0]["value"], 7);
            stored.push_back(j["seq"].get<std::uint64_t>());
        }
    }
    ASSERT_GE(stored.size(), 10u);
    EXPECT_EQ(std::to_string(stored.size()), stopped[2].str());
    for (std::size_t i = 0; i < stored.size(); ++i) EXPECT_EQ(stored[i], i + 1);

    // With room again and a broker, everything stored is delivered.
    start_broker();
    auto sub = subscribe(kTelemetry, {"-q", "1"});
    auto again = start_agent(config, {"--interval-ms", "10", "--count", "1"});
    ASSERT_EQ(again->wait_exit(30000), 0) << again->output();
    ASSERT_TRUE(sub->wait_for("\"seq\":" + std::to_string(stored.back()) + ",")) << sub->output();
    const auto got = seqs(payloads(sub->output(), kTelemetry));
    for (std::uint64_t s : stored) EXPECT_TRUE(got.count(s)) << "stored reading " << s << " not delivered";
}

TEST_F(Agent, ANulInTheConfigIsEscapedAndTheErrorLineIsWhole) {
    test::write_file(dir.file("nul.toml"), "[broker]\nca_file = \"" + pki() +
                                               "/ca.pem\"\n[telemetry]\ntopic = \"devices/a\\u0000b/x\"\n" +
                                               "[[sensor]]\ntype = \"loadavg\"\n");
    const auto r = run({SEBIND_BIN, "run", "--config", dir.file("nul.toml")});
    EXPECT_EQ(r.exit_code, 36) << r.output;
    EXPECT_NE(r.output.find(R"(topic "devices/a\x00b/x" is not a valid MQTT topic name — )"), std::string::npos)
        << r.output;
    EXPECT_EQ(occurrences(r.output, "\n"), 1u) << r.output;
}

TEST_F(Agent, RefusesToStartOnAMismatchedKeyABadConfigOrNoCertificate) {
    const std::string config = write_config({});
    // A new key in slot 1 (recorded in zone 7): zone 4 still holds the old key's certificate.
    auto keygen = run({SEBIND_BIN, "--se", "emu:" + dir.file("se"), "keygen", "--slot", "1", "--zone", "7", "--force",
                       "-o", dir.file("new.pub")});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.output;
    auto mismatch = run({SEBIND_BIN, "run", "--config", config});
    EXPECT_EQ(mismatch.exit_code, 9) << mismatch.output;
    EXPECT_NE(mismatch.output.find("sebind: the key in slot 1 does not belong to the certificate in zone 4"),
              std::string::npos)
        << mismatch.output;
    EXPECT_NE(mismatch.output.find(" — store the certificate issued for this key"), std::string::npos)
        << mismatch.output;
    EXPECT_FALSE(std::filesystem::exists(dir.file("outbox/outbox.log"))) << "nothing started";

    test::write_file(dir.file("bad.toml"),
                     "[broker]\nca_file = \"" + pki() + "/ca.pem\"\nprot = 1\n[[sensor]]\ntype = \"loadavg\"\n");
    auto bad = run({SEBIND_BIN, "run", "--config", dir.file("bad.toml")});
    EXPECT_EQ(bad.exit_code, 36) << bad.output;
    EXPECT_NE(bad.output.find("bad.toml:3: unknown key 'prot' in [broker] — did you mean 'port'?"), std::string::npos)
        << bad.output;
    EXPECT_EQ(occurrences(bad.output, "\n"), 1u) << bad.output;

    test::write_file(dir.file("hw.toml"), "[broker]\nca_file = \"" + pki() +
                                              "/ca.pem\"\n[[sensor]]\ntype = \"hwmon\"\nroot = \"" +
                                              dir.file("no-hwmon") + "\"\n");
    auto hw = run({SEBIND_BIN, "run", "--config", dir.file("hw.toml")});
    EXPECT_EQ(hw.exit_code, 36) << hw.output;
    EXPECT_NE(hw.output.find("no hwmon*/temp*_input under"), std::string::npos) << hw.output;

    auto init = run({SEBIND_BIN, "emu", "init", dir.file("blank")});
    ASSERT_EQ(init.exit_code, 0) << init.output;
    auto blank = run({SEBIND_BIN, "--se", "emu:" + dir.file("blank"), "run", "--config", config});
    EXPECT_EQ(blank.exit_code, 6) << blank.output;
    EXPECT_NE(blank.output.find("zone 4 holds no certificate — provision the device first"), std::string::npos)
        << blank.output;
}

TEST_F(Agent, ADeviceCertificateFromAnIntermediateGoesOutWithChainFile) {
    // A root and an intermediate under it that issues the device certificate; mosquitto's cafile
    // holds the root (and the monitor's CA), so it accepts the device only with the intermediate.
    const auto ok = [](const test::RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.output; };
    ok(test::openssl_root_and_intermediate(dir.path(), "device"));
    ok(test::openssl_issue(
        dir.file("dev.csr"), dir.file("int.pem"), dir.file("int.key"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        dir.file("dev-int.crt")));
    ok(run({SEBIND_BIN, "--se", "emu:" + dir.file("se"), "cert", "store", "--slot", "1", dir.file("dev-int.crt")}));
    test::write_file(dir.file("clients.pem"),
                     test::read_text(dir.file("root.pem")) + test::read_text(pki() + "/ca.pem"));
    test::write_file(dir.file("mosquitto.conf"),
                     std::regex_replace(test::read_text(pki() + "/mosquitto.conf"), std::regex("\ncafile [^\n]*"),
                                        "\ncafile " + dir.file("clients.pem")));
    ASSERT_TRUE(test::start_mosquitto(dir.file("mosquitto.conf"), port, broker)) << (broker ? broker->output() : "");
    auto sub = subscribe(kTelemetry, {"-C", "2"});  // one reading from each stack
    for (const std::string stack : {"mbedtls", "wolfssl"}) {
        ConfigOptions o;
        o.stack = stack;
        const std::string base = test::read_text(write_config(o, stack + "-base.toml"));
        // chain_file relative to device.toml; ALPN offered too (mosquitto selects none).
        test::write_file(dir.file(stack + ".toml"),
                         std::regex_replace(base, std::regex("\nca_file = [^\n]*\n"),
                                            "$&chain_file = \"int.pem\"\nalpn = [\"x-amzn-mqtt-ca\"]\n"));
        auto agent = start_agent(dir.file(stack + ".toml"), {"--count", "1", "--interval-ms", "100"});
        EXPECT_EQ(agent->wait_exit(30000), 0) << stack << ": " << agent->output() << broker->output();
        EXPECT_NE(agent->output().find("stopped: 1 reading(s) delivered"), std::string::npos) << agent->output();
    }
    EXPECT_EQ(sub->wait_exit(10000), 0) << sub->output();
    // A chain file that is not there stops the agent at start, naming it.
    test::write_file(dir.file("missing.toml"),
                     std::regex_replace(test::read_text(write_config({})), std::regex("\nca_file = [^\n]*\n"),
                                        "$&chain_file = \"none.pem\"\n"));
    auto missing = run({SEBIND_BIN, "run", "--config", dir.file("missing.toml")});
    EXPECT_EQ(missing.exit_code, 6) << missing.output;
    EXPECT_NE(missing.output.find("cannot read chain file " + dir.file("none.pem") + ": no such file"),
              std::string::npos)
        << missing.output;
}

namespace {

/// The service manager's end of sd_notify(3): a Unix datagram socket, as systemd's $NOTIFY_SOCKET.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& path) : m_path(path) {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (m_fd < 0 || path.size() >= sizeof addr.sun_path) return;
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        if (::bind(m_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    ~NotifySocket() {
        if (m_fd >= 0) ::close(m_fd);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;
    bool ok() const { return m_fd >= 0; }

    /// Receives datagrams until `count` of them were `message` (each may hold several
    /// newline-separated assignments) or `timeout_ms` passes.
    bool wait_for(const std::string& message, std::size_t count = 1, int timeout_ms = 15000) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            if (seen(message) >= count) return true;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                    std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
            if (n <= 0) continue;
            std::istringstream lines(std::string(buf, static_cast<std::size_t>(n)));
            for (std::string line; std::getline(lines, line);) received.push_back(line);
        }
    }
    std::size_t seen(const std::string& message) const {
        return static_cast<std::size_t>(std::count(received.begin(), received.end(), message));
    }

    std::vector<std::string> received;

private:
    std::string m_path;
    int m_fd = -1;
};

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + " ";
    return out;
}

}  // namespace

TEST_F(Agent, UnderSystemdItNotifiesReadyWatchdogAndStoppingAndLogsWithPriorities) {
    NotifySocket notify(dir.file("notify.sock"));
    ASSERT_TRUE(notify.ok());
    start_broker();
    // As systemd starts a Type=notify unit with WatchdogSec=0.3: $NOTIFY_SOCKET, $WATCHDOG_USEC,
    // and stdout/stderr connected to the journal ($JOURNAL_STREAM = that stream's device:inode).
    ASSERT_EQ(::setenv("NOTIFY_SOCKET", dir.file("notify.sock").c_str(), 1), 0);
    ASSERT_EQ(::setenv("WATCHDOG_USEC", "300000", 1), 0);
    auto agent = start_agent(write_config({}), {},
                             {"sh", "-c", "JOURNAL_STREAM=$(stat -L -c %d:%i /dev/stderr) exec \"$0\" \"$@\""});
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");

    ASSERT_TRUE(notify.wait_for("READY=1")) << joined(notify.received) << agent->output();
    // Ready means checked: the pairing proof was logged before it.
    EXPECT_TRUE(agent->wait_for("slot 1 key paired", 5000)) << agent->output();
    EXPECT_EQ(notify.seen("STOPPING=1"), 0u);
    // The interval is an hour: only the watchdog cuts the agent's waits to a third of 300 ms.
    ASSERT_TRUE(agent->wait_for("uplink: connected")) << agent->output();
    EXPECT_TRUE(notify.wait_for("WATCHDOG=1", 5)) << joined(notify.received);

    EXPECT_EQ(stop_with(*agent, SIGTERM), 0) << agent->output();
    EXPECT_TRUE(notify.wait_for("STOPPING=1", 1, 2000)) << joined(notify.received);
    EXPECT_EQ(notify.seen("READY=1"), 1u) << joined(notify.received);

    // Every line into the journal starts with its priority: information, warnings as such.
    std::istringstream out(agent->output());
    std::size_t lines = 0;
    for (std::string line; std::getline(out, line); ++lines)
        EXPECT_TRUE(line.rfind("<6>20", 0) == 0 || line.rfind("<4>20", 0) == 0) << "no priority: " << line;
    EXPECT_GE(lines, 5u) << agent->output();
}
