// SPDX-License-Identifier: Apache-2.0
// `sebind connect`: one mutual-TLS handshake with the chip key on mbedTLS or wolfSSL, then MQTT
// CONNECT/CONNACK through the product's MQTT session (optionally QoS 1 publishes, each waited
// for), and a readable report; on failure, one line saying why and what to change.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <mbedtls/x509_crt.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/agent/connector.hpp"
#include "sebind/agent/uplink.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/se_uri/se_uri.hpp"
#include "sebind/tls_mbedtls/client.hpp"

namespace sebind::cli {

namespace {

using nlohmann::json;

const char* connack_meaning(std::uint8_t rc) {
    switch (rc) {
        case 0: return "accepted";
        case 1: return "unacceptable protocol version";
        case 2: return "client identifier rejected";
        case 3: return "server unavailable";
        case 4: return "bad user name or password";
        case 5: return "not authorized";
        default: return "refused";
    }
}

std::string common_name(const mbedtls_x509_crt& crt) {
    std::string cn = mbedtls_util::common_name(crt.subject);
    return cn.empty() ? "sebind-device" : cn;
}

/// The events `connect` needs from the session.
struct Events final : mqtt::SessionHandler {
    bool connected = false, ended = false;
    Status why;
    std::uint8_t reason = 0;
    std::size_t delivered = 0, refused = 0;
    void on_connected(const mqtt::Connack&) noexcept override { connected = true; }
    void on_delivered(std::uint16_t, std::uint64_t, std::uint8_t rc) noexcept override {
        ++(rc < 0x80 ? delivered : refused);
    }
    void on_disconnected(Status w, std::uint8_t rc) noexcept override {
        ended = true;
        why = w;
        reason = rc;
    }
};

/// The TLS failure behind a broken stream: TLS 1.3 servers refuse a client certificate only after
/// the client's handshake is done (wolfSSL reports it on the first read).
[[noreturn]] void fail_stream(tls::Stream& stream, const std::string& otherwise) {
#if SEBIND_HAVE_WOLFSSL
    if (auto* w = dynamic_cast<tls_wolfssl::Client*>(&stream); w && w->diagnosis().failure != tls::Failure::none)
        throw Failure(exit_for(w->diagnosis().failure), w->diagnosis().cause + " — " + w->diagnosis().fix);
#else
    (void)stream;
#endif
    throw Failure(Exit::mqtt_failure, otherwise);
}

struct Args {
    std::string host = "localhost";
    std::string connect_to;  // empty: --host
    unsigned port = 8883;
    std::string ca;
    std::string chain;  // PEM intermediates sent after the device certificate
    unsigned slot = 1;
    int zone = -1;
    std::string stack = "mbedtls";
    std::string tls_version;  // empty: the stack's default
    bool no_mqtt = false;
    bool chip_ecdhe = false;
    std::string client_id;
    unsigned reconnects = 0;
    unsigned timeout_ms = 10000;
    std::vector<std::string> publish;
    std::vector<std::string> alpn;
};

/// MQTT over the connected stream: CONNECT/CONNACK, then each text as a QoS 1 PUBLISH to
/// devices/<CN>/telemetry waited for until its PUBACK, then DISCONNECT.
/// CONNACK must come within `connack_within_ms`: what --timeout-ms left after TCP and TLS.
json run_mqtt(tls::Stream& stream, const Args& a, const std::string& client_id, const std::string& cn,
              std::uint32_t connack_within_ms) {
    port_linux::SystemClock clock;
    mqtt::MemoryStore store;
    Events events;
    mqtt::SessionConfig cfg;
    cfg.client_id = client_id;
    cfg.keep_alive_s = 60;
    cfg.connect_timeout_ms = connack_within_ms;
    std::vector<std::uint8_t> rx(16384), tx(65536);
    mqtt::Session session(cfg, clock, store, events, rx, tx);
    agent::TlsTransport transport(stream, 20);
    std::uint32_t start = clock.now_ms();
    const auto drive = [&](auto done, std::uint32_t within_ms) {
        while (!done() && !events.ended && elapsed_ms(start, clock.now_ms()) < within_ms) (void)session.poll();
        return done();
    };
    if (!session.connect(transport).ok() || !drive([&] { return events.connected; }, connack_within_ms)) {
        if (events.ended && events.why.code() == Errc::not_permitted)
            throw Failure(events.reason >= 1 && events.reason <= 5
                              ? static_cast<Exit>(static_cast<int>(Exit::mqtt_failure) + events.reason)
                              : Exit::mqtt_failure,
                          std::string("the broker refused MQTT CONNECT: ") + connack_meaning(events.reason) +
                              " — check the broker's ACL and use_identity_as_username");
        if (events.ended && events.why.code() == Errc::invalid_response)
            throw Failure(Exit::mqtt_failure,
                          "the server did not answer with an MQTT CONNACK — is this an MQTT port? (use --no-mqtt for "
                          "plain TLS servers)");
        if (!events.ended || events.why.code() == Errc::timeout)
            throw Failure(Exit::mqtt_failure, "no MQTT CONNACK from the server within " + std::to_string(a.timeout_ms) +
                                                  " ms of connecting — is an MQTT broker on this port? (--no-mqtt for "
                                                  "plain TLS servers; otherwise check the broker's log)");
        fail_stream(stream, "the broker closed the connection after the handshake — check its log (ACL, client id)");
    }
    const std::uint32_t connack_ms = elapsed_ms(start, clock.now_ms());
    start = clock.now_ms();
    json mqtt = {{"client_id", client_id}, {"connack", "accepted"}, {"connack_ms", connack_ms}};
    if (!a.publish.empty()) {
        const std::string topic = "devices/" + cn + "/telemetry";
        for (const std::string& text : a.publish) {
            const Bytes payload(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
            if (auto id = session.publish(topic, payload, mqtt::QoS::at_least_once); !id)
                throw Failure(Exit::mqtt_failure, std::string("cannot publish: ") + to_string(id.status().code()));
        }
        if (!drive([&] { return events.delivered + events.refused == a.publish.size(); }, a.timeout_ms))
            fail_stream(stream, "the broker did not acknowledge the readings — check its log and ACL");
        if (events.refused > 0)
            throw Failure(Exit::mqtt_failure, "the broker refused " + std::to_string(events.refused) + " of " +
                                                  std::to_string(a.publish.size()) + " message(s) on " + topic +
                                                  " — check its ACL (a device publishes under devices/<CN>/)");
        mqtt["published"] = a.publish.size();
        mqtt["topic"] = topic;
    }
    (void)session.disconnect();
    return mqtt;
}

}  // namespace

Exit exit_for(tls::Failure f) {
    switch (f) {
        case tls::Failure::not_listening: return Exit::tls_not_listening;
        case tls::Failure::unknown_host: return Exit::tls_unknown_host;
        case tls::Failure::timeout: return Exit::tls_timeout;
        case tls::Failure::untrusted_server: return Exit::tls_untrusted_server;
        case tls::Failure::hostname_mismatch: return Exit::tls_hostname;
        case tls::Failure::server_cert_expired: return Exit::tls_server_expired;
        case tls::Failure::rsa_key_exchange_only: return Exit::tls_server_rsa;
        case tls::Failure::no_shared_cipher:
        case tls::Failure::no_common_version: return Exit::tls_no_common_suite;
        case tls::Failure::client_cert_rejected: return Exit::tls_client_rejected;
        case tls::Failure::chip_error: return Exit::se_unreachable;
        case tls::Failure::not_supported: return Exit::usage;
        case tls::Failure::file_not_found: return Exit::not_found;
        case tls::Failure::file_invalid: return Exit::invalid_input;
        case tls::Failure::none:
        case tls::Failure::protocol_error: break;
    }
    return Exit::tls_protocol;
}

void add_connect_command(CLI::App& app, GlobalOptions& global) {
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("connect",
                                   "One mutual-TLS handshake with the chip key (+ MQTT CONNECT) and a report");
    // -h and -p as in mosquitto_pub/sub: here -h is the host, and help is --help alone.
    cmd->set_help_flag("--help", "Print this help message and exit");
    cmd->add_option("-h,--host", a->host, "Server DNS name or IP address (checked against its certificate)");
    cmd->add_option(
        "--connect-to", a->connect_to,
        "Open the TCP connection to this address (name or IP) instead of --host; --host stays the name sent as SNI and "
        "checked in the certificate (like curl --connect-to)");
    cmd->add_option("-p,--port", a->port, "Port")->check(CLI::Range(1u, 65535u));
    cmd->add_option("--ca,--cafile", a->ca, "CA certificate(s) for the server (PEM)")->required();
    cmd->add_option(
        "--chain", a->chain,
        "Intermediate CA certificate(s) (PEM) sent after the device certificate, for one issued by an intermediate");
    cmd->add_option("--alpn", a->alpn,
                    "Offer this ALPN protocol (repeatable, in preference order; e.g. x-amzn-mqtt-ca)");
    cmd->add_option("--slot", a->slot, "Key slot")->check(CLI::IsMember({0u, 1u}));
    cmd->add_option("--zone", a->zone, "Zone holding the slot's certificate (default 0 for slot 0, 4 for slot 1)")
        ->check(CLI::Range(0, 255));
    cmd->add_option("--stack", a->stack, "TLS stack: mbedtls (TLS 1.2) or wolfssl (TLS 1.2 and 1.3)")
        ->check(CLI::IsMember({"mbedtls", "wolfssl"}));
    cmd->add_option("--tls", a->tls_version, "TLS version (default: mbedtls 1.2; wolfssl 1.3, falling back to 1.2)")
        ->check(CLI::IsMember({"1.2", "1.3"}));
    cmd->add_flag("--no-mqtt", a->no_mqtt, "Stop after the handshake (plain TLS servers such as openssl s_server)");
    cmd->add_flag(
        "--chip-ecdhe", a->chip_ecdhe,
        "ECDHE key pair made and used in the chip (mbedtls stack; ~420 ms more per full handshake on an A110)");
    cmd->add_option("--client-id", a->client_id, "MQTT client id (default: the certificate's CN)");
    cmd->add_option("--reconnect", a->reconnects, "Reconnect N more times, resuming the TLS session");
    cmd->add_option("--timeout-ms", a->timeout_ms, "Connect/handshake/read timeout");
    cmd->add_option("--publish", a->publish,
                    "After CONNACK, publish this text (QoS 1, waited for) to devices/<CN>/telemetry (repeatable; first "
                    "connection only)");
    cmd->callback([&global, a] {
        if (a->stack == "mbedtls" && a->tls_version == "1.3")
            throw Failure(Exit::usage,
                          "Debian's mbedTLS 2.28 speaks TLS 1.2 only — use --tls 1.2, or --stack wolfssl for TLS 1.3");
        if (a->chip_ecdhe && a->stack != "mbedtls")
            throw Failure(
                Exit::usage,
                "--chip-ecdhe needs --stack mbedtls (wolfSSL's ECDHE stays on the host) — use --stack mbedtls, or "
                "leave out --chip-ecdhe");
#if !SEBIND_HAVE_WOLFSSL
        if (a->stack == "wolfssl")
            throw Failure(Exit::usage, "this sebind was built without wolfSSL — use --stack mbedtls");
#endif
        auto se = open_se(global);
        auto& dev = se->device();
        const auto slot = static_cast<std::uint8_t>(a->slot);
        const auto zone = a->zone >= 0 ? static_cast<std::uint8_t>(a->zone) : identity::default_zone(slot);
        require_zone(dev, zone);
        auto stored = identity::read_certificate(dev, zone);
        if (!stored && stored.status().code() == Errc::does_not_exist)
            throw Failure(Exit::not_found, "zone " + std::to_string(zone) +
                                               " holds no certificate — provision one (docs/provisioning.md)");
        if (!stored) fail(stored.status(), "read the device certificate");
        mbedtls_x509_crt chain;
        mbedtls_x509_crt_init(&chain);
        struct G {
            mbedtls_x509_crt* c;
            ~G() { mbedtls_x509_crt_free(c); }
        } g{&chain};
        if (mbedtls_x509_crt_parse_der(&chain, stored->der.data(), stored->der.size()) != 0)
            throw Failure(Exit::integrity,
                          "the certificate in zone " + std::to_string(zone) + " does not parse — store it again");
        if (tls::Diagnosis d; !a->chain.empty() && !tls_mbedtls::append_chain_file(a->chain, chain, d))
            throw Failure(exit_for(d.failure), d.cause + " — " + d.fix);
        auto pub = mbedtls_util::public_key_of(chain.pk);
        if (!pub) throw Failure(Exit::invalid_input, "the device certificate's key is not an A110 EC key");
        mbedtls_pk_context key;
        mbedtls_pk_init(&key);
        struct K {
            mbedtls_pk_context* k;
            ~K() { mbedtls_pk_free(k); }
        } kg{&key};

        // The connector keeps each stack's session cache so that reconnects resume.
        agent::ConnectorCaches caches;
        agent::ConnectorOptions o;
        o.stack = a->stack == "wolfssl" ? agent::TlsStack::wolfssl : agent::TlsStack::mbedtls;
        o.tls_version = a->tls_version == "1.2"   ? agent::TlsVersion::tls12
                        : a->tls_version == "1.3" ? agent::TlsVersion::tls13
                                                  : agent::TlsVersion::any;
        o.host = a->host;
        o.connect_address = a->connect_to;
        o.port = static_cast<std::uint16_t>(a->port);
        o.ca_file = a->ca;
        o.alpn = a->alpn;
        o.timeout_ms = a->timeout_ms;
        o.chip_ecdhe = a->chip_ecdhe;
        o.chain = &chain;
        o.key = &key;
        o.device = &dev;
        o.slot = slot;
        if (o.stack == agent::TlsStack::mbedtls) {
            if (const Status st = mbedtls_util::setup_se_key(key, dev, slot, *pub); st.code() == Errc::invalid_argument)
                throw Failure(Exit::mismatch,
                              "slot " + std::to_string(slot) +
                                  "'s key is on another curve than the certificate in zone " + std::to_string(zone) +
                                  " — use the zone holding this slot's certificate (`sebind verify-pair --slot " +
                                  std::to_string(slot) + " --zone " + std::to_string(zone) + "` checks a pair)");
            else
                check(st, "bind slot " + std::to_string(slot));
        }
        const agent::Connector connector = agent::make_connector(o, caches);

        const std::string cn = common_name(chain);
        const std::string client_id = a->client_id.empty() ? cn : a->client_id;
        if (!a->no_mqtt)
            if (const std::string why = agent::client_id_problem(
                    client_id, a->client_id.empty() ? "the client id (the certificate's CN)" : "--client-id");
                !why.empty())
                throw Failure(Exit::invalid_input, why);
        json runs = json::array();
        for (unsigned i = 0; i <= a->reconnects; ++i) {
            tls::HandshakeInfo info;
            tls::Diagnosis d;
            // One deadline, --timeout-ms, for TCP + TLS (inside the connector) + CONNACK.
            const auto begun = std::chrono::steady_clock::now();
            auto stream = connector(info, d);
            if (!stream) throw Failure(exit_for(d.failure), d.cause + " — " + d.fix);
            json run = {{"stack", info.stack},
                        {"protocol", info.version},
                        {"ciphersuite", info.ciphersuite},
                        {"group", info.group},
                        {"alpn", info.alpn},
                        {"resumed", info.resumed},
                        {"chip_signatures", info.chip_signatures},
                        {"chip_key_establishments", info.chip_key_establishments},
                        {"tcp_ms", info.tcp_ms},
                        {"handshake_ms", info.handshake_ms},
                        {"server",
                         {{"subject", info.server_subject},
                          {"issuer", info.server_issuer},
                          {"not_after", info.server_not_after}}}};
#if SEBIND_HAVE_WOLFSSL
            // A TLS 1.3 ticket comes after the handshake: without MQTT traffic to carry it in,
            // wait for it when the next connection is to resume.
            if (a->no_mqtt && i < a->reconnects)
                if (auto* w = dynamic_cast<tls_wolfssl::Client*>(stream.get()))
                    (void)w->await_session_ticket(std::min(a->timeout_ms, 2000u));
#endif
            if (!a->no_mqtt) {
                Args once = *a;
                if (i > 0) once.publish.clear();  // the readings go out once, on the first connection
                const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - begun)
                                       .count();
                const auto left = static_cast<std::int64_t>(a->timeout_ms) - spent;
                run["mqtt"] = run_mqtt(*stream, once, client_id, cn,
                                       static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1)));
            }
            stream->close();
            runs.push_back(run);
        }
        if (global.json) {
            std::printf("%s\n", json{{"connections", runs}}.dump(2).c_str());
            return;
        }
        for (const auto& r : runs) {
            std::printf("%s  %s  %s  %s\n", r["stack"].get<std::string>().c_str(),
                        r["protocol"].get<std::string>().c_str(), r["ciphersuite"].get<std::string>().c_str(),
                        r["resumed"].get<bool>() ? "(resumed)" : "(full handshake)");
            if (!r["group"].get<std::string>().empty())
                std::printf("  group      %s\n", r["group"].get<std::string>().c_str());
            if (!a->alpn.empty())
                std::printf("  alpn       %s\n", r["alpn"].get<std::string>().empty()
                                                     ? "none selected by the server"
                                                     : r["alpn"].get<std::string>().c_str());
            std::printf(
                "  server     %s\n  issuer     %s, valid until %s\n", r["server"]["subject"].get<std::string>().c_str(),
                r["server"]["issuer"].get<std::string>().c_str(), r["server"]["not_after"].get<std::string>().c_str());
            std::printf("  chip       %u signature(s)", r["chip_signatures"].get<unsigned>());
            if (a->chip_ecdhe) std::printf(", %u key establishment(s)", r["chip_key_establishments"].get<unsigned>());
            std::printf("\n  time       tcp %u ms, handshake %u ms", r["tcp_ms"].get<unsigned>(),
                        r["handshake_ms"].get<unsigned>());
            if (r.contains("mqtt")) std::printf(", CONNACK %u ms", r["mqtt"]["connack_ms"].get<unsigned>());
            std::printf("\n");
            if (r.contains("mqtt")) {
                std::printf("  mqtt       CONNACK %s (client id %s)\n", r["mqtt"]["connack"].get<std::string>().c_str(),
                            r["mqtt"]["client_id"].get<std::string>().c_str());
                if (r["mqtt"].contains("published"))
                    std::printf("  published  %zu message(s) to %s, each acknowledged (QoS 1)\n",
                                r["mqtt"]["published"].get<std::size_t>(),
                                r["mqtt"]["topic"].get<std::string>().c_str());
            }
        }
    });
}

}  // namespace sebind::cli
