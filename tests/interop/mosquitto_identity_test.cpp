// SPDX-License-Identifier: Apache-2.0
// A mosquitto 2.0 broker started from `sebind pki dev`'s mosquitto.conf accepts the provisioned
// device (mutual TLS with the chip key; CN becomes the username; a publish reaches mosquitto_sub)
// and rejects a stock mosquitto_pub whose certificate comes from another CA.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <regex>

#include "emulated_chip.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/dev_pki.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/tls/se_key.hpp"
#include "tls_client.hpp"

using namespace sebind;
using test::run;

namespace {

std::vector<unsigned char> mqtt_string(const std::string& s) {
    std::vector<unsigned char> out = {static_cast<unsigned char>(s.size() >> 8), static_cast<unsigned char>(s.size())};
    out.insert(out.end(), s.begin(), s.end());
    return out;
}

/// Fixed header + body; remaining length below 128 in these tests (MQTT 3.1.1 §2.2.3).
std::vector<unsigned char> packet(unsigned char type, const std::vector<unsigned char>& body) {
    std::vector<unsigned char> out = {type, static_cast<unsigned char>(body.size())};
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

std::vector<unsigned char> connect_then_publish(const std::string& client_id, const std::string& topic, const std::string& payload) {
    std::vector<unsigned char> connect = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x1E};
    const auto id = mqtt_string(client_id);
    connect.insert(connect.end(), id.begin(), id.end());
    std::vector<unsigned char> publish = mqtt_string(topic);
    publish.insert(publish.end(), payload.begin(), payload.end());
    auto out = packet(0x10, connect);
    const auto pub = packet(0x30, publish);
    out.insert(out.end(), pub.begin(), pub.end());
    return out;
}

}  // namespace

TEST(MosquittoIdentity, BrokerAcceptsTheDeviceAndRejectsAnotherCa) {
    test::TempDir dir;
    test::EmulatedChip rig(dir.file("se"));
    stsafe::Device& se = *rig.device;

    const int port = test::free_port();
    identity::DevPkiOptions pki;
    pki.port = static_cast<std::uint16_t>(port);
    ASSERT_TRUE(identity::create_dev_pki(dir.file("pki"), pki).ok());
    ASSERT_TRUE(identity::keygen(se, {}));
    auto csr = identity::make_csr(se, stsafe::kSlotUser, 4, "CN=device-001,O=Acme", {});
    ASSERT_TRUE(csr);
    auto crt = identity::sign_csr(dir.file("pki"), *csr, 30);
    ASSERT_TRUE(crt);
    ASSERT_TRUE(identity::store_certificate(se, std::vector<std::uint8_t>(crt->begin(), crt->end()), {}));

    test::Peer broker({"mosquitto", "-c", dir.file("pki/mosquitto.conf")});
    ASSERT_TRUE(broker.wait_for(" running")) << broker.output();
    // stdbuf: mosquitto_sub block-buffers stdout into a pipe; its SUBACK line is the readiness signal.
    test::Peer sub({"stdbuf", "-oL", "mosquitto_sub", "-h", "localhost", "-p", std::to_string(port), "--cafile", dir.file("pki/ca.pem"),
                    "--cert", dir.file("pki/monitor.pem"), "--key", dir.file("pki/monitor.key"), "-t", "devices/#",
                    "-C", "1", "-v", "-d"});
    ASSERT_TRUE(sub.wait_for("SUBACK")) << sub.output() << broker.output();

    // The device: chip key + stored certificate, CONNECT + PUBLISH, expect CONNACK accepted.
    auto stored = identity::read_certificate(se, 4);
    ASSERT_TRUE(stored);
    auto pub = identity::slot_public_key(se, stsafe::kSlotUser, 4);
    mbedtls_pk_context key;
    mbedtls_pk_init(&key);
    ASSERT_TRUE(tls::setup_se_key(key, se, stsafe::kSlotUser, *pub).ok());
    test::TlsClientOptions o;
    o.port = port;
    o.ca_file = dir.file("pki/ca.pem");
    o.own_cert_der = stored->der;
    o.own_key = &key;
    o.send = connect_then_publish("device-001", "devices/device-001/telemetry", "21.5");
    o.expect = 4;
    auto r = test::tls_connect(o);
    mbedtls_pk_free(&key);
    ASSERT_EQ(r.handshake, 0) << r.error << broker.output();
    EXPECT_EQ(r.received, (std::vector<unsigned char>{0x20, 0x02, 0x00, 0x00}));

    EXPECT_EQ(sub.wait_exit(10000), 0) << sub.output();
    EXPECT_NE(sub.output().find("devices/device-001/telemetry 21.5"), std::string::npos) << sub.output();
    ASSERT_TRUE(broker.wait_for("u'device-001'")) << broker.output();  // CN is the username

    // A stock client with a software key from another CA is refused at the TLS layer.
    auto ca = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                   dir.file("evil-ca.key"), "-out", dir.file("evil-ca.pem"), "-subj", "/CN=evil CA", "-days", "5"});
    ASSERT_EQ(ca.exit_code, 0) << ca.output;
    auto req = run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    dir.file("evil.key"), "-out", dir.file("evil.csr"), "-subj", "/CN=device-001"});
    ASSERT_EQ(req.exit_code, 0) << req.output;
    auto sign = run({"openssl", "x509", "-req", "-in", dir.file("evil.csr"), "-CA", dir.file("evil-ca.pem"), "-CAkey",
                     dir.file("evil-ca.key"), "-CAcreateserial", "-days", "5", "-out", dir.file("evil.pem")});
    ASSERT_EQ(sign.exit_code, 0) << sign.output;
    auto evil = run({"mosquitto_pub", "-h", "localhost", "-p", std::to_string(port), "--cafile", dir.file("pki/ca.pem"),
                     "--cert", dir.file("evil.pem"), "--key", dir.file("evil.key"), "-t", "devices/device-001/telemetry",
                     "-m", "spoofed"});
    EXPECT_NE(evil.exit_code, 0) << evil.output;
    EXPECT_TRUE(broker.wait_for("certificate verify failed")) << broker.output();
}
