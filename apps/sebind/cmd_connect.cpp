// SPDX-License-Identifier: Apache-2.0
// `sebind connect`: one mutual-TLS handshake with the chip key (+ MQTT CONNECT/CONNACK), then a
// readable report; on failure, one line saying why and what to change.
#include <cstdio>
#include <string>

#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/tls/client.hpp"
#include "sebind/tls/se_key.hpp"

namespace sebind::cli {

namespace {

using nlohmann::json;

/// Exit code per TLS failure class (20-29, see `sebind --help`).
Exit exit_for(tls::Failure f) {
    switch (f) {
        case tls::Failure::not_listening: return static_cast<Exit>(20);
        case tls::Failure::unknown_host: return static_cast<Exit>(21);
        case tls::Failure::timeout: return static_cast<Exit>(22);
        case tls::Failure::untrusted_server: return static_cast<Exit>(23);
        case tls::Failure::hostname_mismatch: return static_cast<Exit>(24);
        case tls::Failure::server_cert_expired: return static_cast<Exit>(25);
        case tls::Failure::server_cert_rsa:
        case tls::Failure::no_shared_cipher: return static_cast<Exit>(26);
        case tls::Failure::client_cert_rejected: return static_cast<Exit>(27);
        case tls::Failure::chip_error: return Exit::se_unreachable;
        default: return static_cast<Exit>(28);
    }
}

/// Fixed header + body, the remaining length 7 bits per byte (MQTT 3.1.1 §2.2.3). A stopgap
/// until the agent's MQTT library (libs/mqtt) exists.
std::vector<std::uint8_t> mqtt_packet(std::uint8_t type, const std::vector<std::uint8_t>& body) {
    std::vector<std::uint8_t> out = {type};
    std::size_t len = body.size();
    do {
        std::uint8_t b = static_cast<std::uint8_t>(len % 128);
        len /= 128;
        out.push_back(static_cast<std::uint8_t>(len ? b | 0x80 : b));
    } while (len);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

/// CONNECT (§3.1): clean session, keepalive 60 s, client id; no will, no password.
std::vector<std::uint8_t> mqtt_connect(const std::string& client_id) {
    std::vector<std::uint8_t> body = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C,
                                      static_cast<std::uint8_t>(client_id.size() >> 8), static_cast<std::uint8_t>(client_id.size())};
    body.insert(body.end(), client_id.begin(), client_id.end());
    return mqtt_packet(0x10, body);
}

const char* connack_meaning(std::uint8_t rc) {
    switch (rc) {
        case 0: return "accepted";
        case 1: return "unacceptable protocol version";
        case 2: return "client identifier rejected";
        case 3: return "server unavailable";
        case 4: return "bad user name or password";
        case 5: return "not authorized";
        default: return "unknown";
    }
}

std::string common_name(const mbedtls_x509_crt& crt) {
    for (const mbedtls_x509_name* n = &crt.subject; n; n = n->next)
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) return std::string(reinterpret_cast<const char*>(n->val.p), n->val.len);
    return "sebind-device";
}

}  // namespace

void add_connect_command(CLI::App& app, GlobalOptions& global) {
    struct Args {
        std::string host = "localhost";
        unsigned port = 8883;
        std::string ca;
        unsigned slot = 1;
        int zone = -1;
        std::string stack = "mbedtls";
        std::string tls_version = "1.2";
        bool no_mqtt = false;
        std::string client_id;
        unsigned reconnects = 0;
        unsigned timeout_ms = 10000;
        std::vector<std::string> publish;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("connect", "One mutual-TLS handshake with the chip key (+ MQTT CONNECT) and a report");
    cmd->add_option("--host", a->host, "Server DNS name (checked against its certificate)");
    cmd->add_option("--port", a->port, "Port")->check(CLI::Range(1u, 65535u));
    cmd->add_option("--ca", a->ca, "CA certificate(s) for the server (PEM)")->required();
    cmd->add_option("--slot", a->slot, "Key slot")->check(CLI::IsMember({0u, 1u}));
    cmd->add_option("--zone", a->zone, "Zone holding the slot's certificate (default 0 for slot 0, 4 for slot 1)");
    cmd->add_option("--stack", a->stack, "TLS stack")->check(CLI::IsMember({"mbedtls", "wolfssl"}));
    cmd->add_option("--tls", a->tls_version, "TLS version")->check(CLI::IsMember({"1.2", "1.3"}));
    cmd->add_flag("--no-mqtt", a->no_mqtt, "Stop after the handshake (plain TLS servers)");
    cmd->add_option("--client-id", a->client_id, "MQTT client id (default: the certificate's CN)");
    cmd->add_option("--reconnect", a->reconnects, "Reconnect N more times, resuming the TLS session");
    cmd->add_option("--timeout-ms", a->timeout_ms, "Connect/handshake/read timeout");
    cmd->add_option("--publish", a->publish, "After CONNACK, publish this text (QoS 0) to devices/<CN>/telemetry (repeatable)");
    cmd->callback([&global, a] {
        if (a->stack == "wolfssl") throw Failure(Exit::usage, "--stack wolfssl is not available in this build yet — use --stack mbedtls");
        if (a->tls_version == "1.3") throw Failure(Exit::usage, "mbedTLS 2.28 speaks TLS 1.2 only — use --tls 1.2");
        auto se = open_se(global);
        auto& dev = se->device();
        const auto slot = static_cast<std::uint8_t>(a->slot);
        const auto zone = a->zone >= 0 ? static_cast<std::uint8_t>(a->zone) : identity::default_zone(slot);
        auto stored = identity::read_certificate(dev, zone);
        if (!stored && stored.status().code() == Errc::does_not_exist)
            throw Failure(Exit::not_found, "zone " + std::to_string(zone) + " holds no certificate — provision one (docs/provisioning.md)");
        if (!stored) fail(stored.status(), "read the device certificate");
        mbedtls_x509_crt chain;
        mbedtls_x509_crt_init(&chain);
        struct G { mbedtls_x509_crt* c; ~G() { mbedtls_x509_crt_free(c); } } g{&chain};
        if (mbedtls_x509_crt_parse_der(&chain, stored->der.data(), stored->der.size()) != 0)
            throw Failure(Exit::integrity, "the certificate in zone " + std::to_string(zone) + " does not parse — store it again");
        auto pub = tls::public_key_of(chain.pk);
        if (!pub) throw Failure(Exit::invalid_input, "the device certificate's key is not an A110 EC key");
        mbedtls_pk_context key;
        mbedtls_pk_init(&key);
        struct K { mbedtls_pk_context* k; ~K() { mbedtls_pk_free(k); } } kg{&key};
        check(tls::setup_se_key(key, dev, slot, *pub), "bind slot " + std::to_string(slot));

        tls::ClientOptions o;
        o.host = a->host;
        o.port = static_cast<std::uint16_t>(a->port);
        o.ca_file = a->ca;
        o.own_chain = &chain;
        o.own_key = &key;
        o.timeout_ms = a->timeout_ms;
        const std::string client_id = a->client_id.empty() ? common_name(chain) : a->client_id;
        tls::SessionCache cache;
        json runs = json::array();
        for (unsigned i = 0; i <= a->reconnects; ++i) {
            tls::Client client;
            auto info = client.connect(o, &cache);
            if (!info) {
                const auto& d = client.diagnosis();
                throw Failure(exit_for(d.failure), d.cause + " — " + d.fix);
            }
            json run = {{"protocol", info->version}, {"ciphersuite", info->ciphersuite}, {"resumed", info->resumed},
                        {"chip_signatures", info->chip_signatures}, {"tcp_ms", info->tcp_ms}, {"handshake_ms", info->handshake_ms},
                        {"server", {{"subject", info->server_subject}, {"issuer", info->server_issuer}, {"not_after", info->server_not_after}}}};
            if (!a->no_mqtt) {
                if (!client.write(mqtt_connect(client_id)).ok())
                    throw Failure(Exit::mqtt_failure, "the broker closed the connection after the handshake — check its log");
                std::uint8_t connack[4] = {};
                std::size_t got = 0;
                while (got < 4) {
                    auto n = client.read(MutableBytes(connack + got, 4 - got));
                    if (!n || *n == 0) throw Failure(Exit::mqtt_failure, "no CONNACK from the broker — check its log (ACL, client id)");
                    got += *n;
                }
                if (connack[0] != 0x20 || connack[1] != 0x02)
                    throw Failure(Exit::mqtt_failure, "the server did not answer with an MQTT CONNACK — is this an MQTT port?");
                if (connack[3] != 0)
                    throw Failure(static_cast<Exit>(30 + connack[3]), std::string("the broker refused MQTT CONNECT: ") + connack_meaning(connack[3]) +
                                                                         " — check the broker's ACL and use_identity_as_username");
                run["mqtt"] = {{"client_id", client_id}, {"connack", connack_meaning(connack[3])}};
                for (const std::string& text : a->publish) {
                    const std::string topic = "devices/" + common_name(chain) + "/telemetry";
                    std::vector<std::uint8_t> body = {static_cast<std::uint8_t>(topic.size() >> 8), static_cast<std::uint8_t>(topic.size())};
                    body.insert(body.end(), topic.begin(), topic.end());
                    body.insert(body.end(), text.begin(), text.end());
                    // PUBLISH QoS 0 (§3.3).
                    if (!client.write(mqtt_packet(0x30, body)).ok()) throw Failure(Exit::mqtt_failure, "the broker closed the connection while publishing — check its ACL");
                }
                if (!a->publish.empty()) {
                    // DISCONNECT (§3.14) so the broker delivers before the TCP close.
                    const std::uint8_t disconnect[] = {0xE0, 0x00};
                    (void)client.write(disconnect);
                    run["mqtt"]["published"] = a->publish.size();
                }
            }
            runs.push_back(run);
        }
        if (global.json) {
            std::printf("%s\n", json{{"connections", runs}}.dump(2).c_str());
            return;
        }
        for (const auto& r : runs) {
            std::printf("%s  %s  %s\n", r["protocol"].get<std::string>().c_str(), r["ciphersuite"].get<std::string>().c_str(),
                        r["resumed"].get<bool>() ? "(resumed)" : "(full handshake)");
            std::printf("  server     %s\n  issuer     %s, valid until %s\n", r["server"]["subject"].get<std::string>().c_str(),
                        r["server"]["issuer"].get<std::string>().c_str(), r["server"]["not_after"].get<std::string>().c_str());
            std::printf("  chip       %u signature(s)\n  time       tcp %u ms, handshake %u ms\n", r["chip_signatures"].get<unsigned>(),
                        r["tcp_ms"].get<unsigned>(), r["handshake_ms"].get<unsigned>());
            if (r.contains("mqtt"))
                std::printf("  mqtt       CONNACK %s (client id %s)\n", r["mqtt"]["connack"].get<std::string>().c_str(),
                            r["mqtt"]["client_id"].get<std::string>().c_str());
        }
    });
}

}  // namespace sebind::cli
