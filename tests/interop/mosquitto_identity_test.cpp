// SPDX-License-Identifier: Apache-2.0
// mosquitto 2.0 started from `sebind pki dev`'s mosquitto.conf: it accepts the provisioned device
// (mutual TLS with the chip key, CN as username), enforces the ACL (a device publishes and
// subscribes only under devices/<CN>/, the monitor reads everything and sends commands), and
// rejects a stock mosquitto_pub whose certificate comes from another CA.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "peer.hpp"
#include "process.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "tls_client.hpp"

#ifndef SEBIND_BIN
#error "SEBIND_BIN must name the sebind executable"
#endif

using namespace sebind;
using test::run;
using Packet = std::vector<unsigned char>;

namespace {

// Hand-built MQTT 3.1.1 packets (the product codec is libs/mqtt; this test must not depend on it).

Packet mqtt_string(const std::string& s) {
    Packet out = {static_cast<unsigned char>(s.size() >> 8), static_cast<unsigned char>(s.size())};
    out.insert(out.end(), s.begin(), s.end());
    return out;
}

/// Fixed header + body; these packets stay below 128 bytes: one remaining-length byte (MQTT 3.1.1 §2.2.3).
Packet packet(unsigned char type, const Packet& body) {
    EXPECT_LT(body.size(), 128u);
    Packet out = {type, static_cast<unsigned char>(body.size())};
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

/// CONNECT: protocol "MQTT" level 4, clean session, keepalive 30 s (MQTT 3.1.1 §3.1).
Packet connect_packet(const std::string& client_id) {
    Packet body = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x1E};
    const auto id = mqtt_string(client_id);
    body.insert(body.end(), id.begin(), id.end());
    return packet(0x10, body);
}

/// SUBSCRIBE with one filter at QoS 0 (MQTT 3.1.1 §3.8; the fixed header flags are 0010).
Packet subscribe_packet(std::uint16_t id, const std::string& filter) {
    Packet body = {static_cast<unsigned char>(id >> 8), static_cast<unsigned char>(id)};
    const auto f = mqtt_string(filter);
    body.insert(body.end(), f.begin(), f.end());
    body.push_back(0x00);
    return packet(0x82, body);
}

/// PUBLISH QoS 0 (MQTT 3.1.1 §3.3): topic, then the payload up to the end of the packet.
Packet publish_packet(const std::string& topic, const std::string& payload) {
    Packet body = mqtt_string(topic);
    body.insert(body.end(), payload.begin(), payload.end());
    return packet(0x30, body);
}

Packet concat(std::initializer_list<Packet> parts) {
    Packet out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

}  // namespace

TEST(MosquittoIdentity, DevBrokerAcceptsTheDeviceEnforcesTheAclAndRejectsAnotherCa) {
    test::TempDir dir;
    ASSERT_TRUE(emu::init_chip(dir.file("se"), {}).ok());
    auto chip = emu::Chip::open(dir.file("se"), {});
    ASSERT_TRUE(chip);
    ManualClock clock;
    emu::EmulatedBus bus(**chip, clock);
    stsafe::Device se(bus, clock, emu::kDriverConfig);

    int port = test::free_port();
    const std::string pki = dir.file("pki");
    auto made = run({SEBIND_BIN, "pki", "dev", "--out", pki, "--port", std::to_string(port)});
    ASSERT_EQ(made.exit_code, 0) << made.output;

    // Provision: chip key, chip-signed CSR, `sebind pki sign`, certificate into zone 4.
    ASSERT_TRUE(identity::keygen(se, {}));
    auto csr = identity::make_csr(se, stsafe::kSlotUser, 4, "CN=device-001,O=Acme", {});
    ASSERT_TRUE(csr);
    test::write_file(dir.file("dev.csr"), *csr);
    auto signed_ = run({SEBIND_BIN, "pki", "sign", "--ca", pki, dir.file("dev.csr"), "-o", dir.file("dev.crt")});
    ASSERT_EQ(signed_.exit_code, 0) << signed_.output;
    const std::string crt = test::read_text(dir.file("dev.crt"));
    ASSERT_TRUE(identity::store_certificate(se, std::vector<std::uint8_t>(crt.begin(), crt.end()), {}));

    std::unique_ptr<test::Peer> broker;
    ASSERT_TRUE(test::start_mosquitto(pki + "/mosquitto.conf", port, broker)) << broker->output();
    const std::vector<std::string> tls_as_monitor = {"-h",       "localhost",         "-p",     std::to_string(port),
                                                     "--cafile", pki + "/ca.pem",     "--cert", pki + "/monitor.pem",
                                                     "--key",    pki + "/monitor.key"};
    // stdbuf: mosquitto_sub block-buffers stdout into a pipe; its SUBACK line is the readiness signal.
    std::vector<std::string> sub_args = {"stdbuf", "-oL", "mosquitto_sub"};
    sub_args.insert(sub_args.end(), tls_as_monitor.begin(), tls_as_monitor.end());
    sub_args.insert(sub_args.end(), {"-t", "devices/#", "-C", "1", "-v", "-d"});
    test::Peer sub(sub_args);
    ASSERT_TRUE(sub.wait_for("SUBACK")) << sub.output() << broker->output();

    // The device: chip key + stored certificate.
    auto stored = identity::read_certificate(se, 4);
    ASSERT_TRUE(stored);
    auto pub = identity::slot_public_key(se, stsafe::kSlotUser, 4);
    ASSERT_TRUE(pub);
    mbedtls_pk_context key;
    mbedtls_pk_init(&key);
    ASSERT_TRUE(mbedtls_util::setup_se_key(key, se, stsafe::kSlotUser, *pub).ok());
    test::TlsClientOptions o;
    o.port = port;
    o.ca_file = pki + "/ca.pem";
    o.own_cert_der = stored->der;
    o.own_key = &key;
    o.timeout_ms = 5000;
    {
        test::TlsClient device(o);
        ASSERT_EQ(device.connect(), 0) << device.error() << broker->output();
        ASSERT_TRUE(device.write(connect_packet("device-001")));
        EXPECT_EQ(device.read(4), (Packet{0x20, 0x02, 0x00, 0x00})) << device.error();  // CONNACK accepted
        ASSERT_TRUE(broker->wait_for("u'device-001'")) << broker->output();             // the CN is the username

        // Its own command topic, and (to prove the read ACL) another device's subtree: mosquitto
        // 2.0 grants that subscription and filters each message by the read ACL at delivery;
        // other versions may refuse it with 0x80 (MQTT 3.1.1 §3.9.3). Either way nothing may arrive from it.
        ASSERT_TRUE(device.write(concat(
            {subscribe_packet(1, "devices/device-001/commands/#"), subscribe_packet(2, "devices/device-002/#")})));
        EXPECT_EQ(device.read(5), (Packet{0x90, 0x03, 0x00, 0x01, 0x00})) << device.error();
        const Packet suback2 = device.read(5);
        ASSERT_EQ(suback2.size(), 5u) << device.error();
        EXPECT_EQ(Packet(suback2.begin(), suback2.begin() + 4), (Packet{0x90, 0x03, 0x00, 0x02}));
        EXPECT_TRUE(suback2[4] == 0x00 || suback2[4] == 0x80) << int(suback2[4]);

        // A publish in another device's name is dropped; its own arrives at the monitor, which
        // takes exactly one message: the spoofed one would come first if the ACL let it through.
        ASSERT_TRUE(device.write(concat({publish_packet("devices/device-002/telemetry", "spoofed"),
                                         publish_packet("devices/device-001/telemetry", "21.5")})));
        EXPECT_EQ(sub.wait_exit(10000), 0) << sub.output();
        EXPECT_NE(sub.output().find("devices/device-001/telemetry 21.5"), std::string::npos) << sub.output();
        EXPECT_EQ(sub.output().find("spoofed"), std::string::npos) << sub.output();

        // The monitor sends a command to device-002, then one to device-001. The device gets its
        // own first: device-002's would have arrived before it if the read ACL let it through.
        for (const auto& [topic, message] :
             {std::pair<std::string, std::string>{"devices/device-002/commands/reboot", "other"},
              std::pair<std::string, std::string>{"devices/device-001/commands/reboot", "now"}}) {
            std::vector<std::string> cmd = {"mosquitto_pub"};
            cmd.insert(cmd.end(), tls_as_monitor.begin(), tls_as_monitor.end());
            cmd.insert(cmd.end(), {"-t", topic, "-m", message});
            auto sent = run(cmd);
            EXPECT_EQ(sent.exit_code, 0) << sent.output;
        }
        const Packet header = device.read(2);
        ASSERT_EQ(header.size(), 2u) << device.error();
        EXPECT_EQ(header[0], 0x30);
        const Packet body = device.read(header[1]);
        const std::string topic = "devices/device-001/commands/reboot";
        EXPECT_EQ(body, concat({mqtt_string(topic), Packet{'n', 'o', 'w'}}));
        EXPECT_TRUE(device.write({0xE0, 0x00}));  // DISCONNECT
    }
    mbedtls_pk_free(&key);

    // A stock client with a software key from another CA is refused at the TLS layer.
    auto ca = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                   "-keyout", dir.file("evil-ca.key"), "-out", dir.file("evil-ca.pem"), "-subj", "/CN=evil CA", "-days",
                   "5"});
    ASSERT_EQ(ca.exit_code, 0) << ca.output;
    auto req = run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    dir.file("evil.key"), "-out", dir.file("evil.csr"), "-subj", "/CN=device-001"});
    ASSERT_EQ(req.exit_code, 0) << req.output;
    auto sign = run({"openssl", "x509", "-req", "-in", dir.file("evil.csr"), "-CA", dir.file("evil-ca.pem"), "-CAkey",
                     dir.file("evil-ca.key"), "-CAcreateserial", "-days", "5", "-out", dir.file("evil.pem")});
    ASSERT_EQ(sign.exit_code, 0) << sign.output;
    auto evil = run({"mosquitto_pub", "-h", "localhost", "-p", std::to_string(port), "--cafile", pki + "/ca.pem",
                     "--cert", dir.file("evil.pem"), "--key", dir.file("evil.key"), "-t",
                     "devices/device-001/telemetry", "-m", "spoofed"});
    EXPECT_NE(evil.exit_code, 0) << evil.output;
    EXPECT_TRUE(broker->wait_for("certificate verify failed")) << broker->output();
}
