// SPDX-License-Identifier: Apache-2.0
// The wolfSSL client with the chip key against mosquitto 2.0 configured by `sebind pki dev`
// (require_certificate, use_identity_as_username, ACL by CN): the device connects with TLS 1.2
// and with TLS 1.3 (then resumes by ticket without a chip signature), publishes its telemetry,
// mosquitto_sub receives it, and the broker's log names the certificate's CN as the username.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "emulated_chip.hpp"
#include "mqtt_wire.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/tls_wolfssl/client.hpp"

#ifndef SEBIND_BIN
#error "SEBIND_BIN must name the sebind executable"
#endif

using namespace sebind;
using test::run;
using Packet = std::vector<std::uint8_t>;

namespace {

class WolfsslMosquitto : public ::testing::Test {
protected:
    void SetUp() override {
        port = test::free_port();
        auto made = run({SEBIND_BIN, "pki", "dev", "--out", pki, "--port", std::to_string(port)});
        ASSERT_EQ(made.exit_code, 0) << made.output;
        // Provisioning as in the product: chip key, chip-signed CSR, `sebind pki sign`, zone 4.
        ASSERT_TRUE(identity::keygen(*rig.device, {}));
        auto csr = identity::make_csr(*rig.device, stsafe::kSlotUser, 4, "CN=device-001,O=Acme", {});
        ASSERT_TRUE(csr);
        test::write_file(dir.file("dev.csr"), *csr);
        auto signed_ = run({SEBIND_BIN, "pki", "sign", "--ca", pki, dir.file("dev.csr"), "-o", dir.file("dev.crt")});
        ASSERT_EQ(signed_.exit_code, 0) << signed_.output;
        const std::string crt = test::read_text(dir.file("dev.crt"));
        ASSERT_TRUE(identity::store_certificate(*rig.device, std::vector<std::uint8_t>(crt.begin(), crt.end()), {}));
        auto stored = identity::read_certificate(*rig.device, 4);
        ASSERT_TRUE(stored);
        leaf = stored->der;
        ASSERT_TRUE(test::start_mosquitto(pki + "/mosquitto.conf", port, broker)) << broker->output();
    }

    tls_wolfssl::ClientOptions options(tls_wolfssl::TlsVersions v) {
        tls_wolfssl::ClientOptions o;
        o.host = "localhost";
        o.port = static_cast<std::uint16_t>(port);
        o.ca_file = pki + "/ca.pem";
        o.device = rig.device.get();
        o.slot = stsafe::kSlotUser;
        o.chain = {leaf};
        o.versions = v;
        o.timeout_ms = 5000;
        return o;
    }

    /// CONNECT (CONNACK accepted), one QoS 1 PUBLISH (PUBACK), DISCONNECT.
    void publish(tls_wolfssl::Client& c, const std::string& topic, const std::string& payload) {
        test::publish_qos1(c, "device-001", topic, payload, [&] { return c.diagnosis().cause; });
    }

    test::TempDir dir;
    test::EmulatedChip rig{dir.file("se")};
    const std::string pki = dir.file("pki");
    int port = 0;
    std::vector<std::uint8_t> leaf;
    std::unique_ptr<test::Peer> broker;
};

}  // namespace

TEST_F(WolfsslMosquitto, DevicePublishesWithTls12AndTls13AndIsKnownByItsCn) {
    // stdbuf: mosquitto_sub block-buffers a pipe; its SUBACK debug line is the readiness signal.
    test::Peer sub({"stdbuf", "-oL", "mosquitto_sub", "-h", "localhost", "-p", std::to_string(port), "--cafile",
                    pki + "/ca.pem", "--cert", pki + "/monitor.pem", "--key", pki + "/monitor.key", "-t", "devices/#",
                    "-C", "3", "-v", "-d"});
    ASSERT_TRUE(sub.wait_for("SUBACK")) << sub.output() << broker->output();
    const std::string topic = "devices/device-001/telemetry";
    const auto signatures = rig.chip->stats().signatures;

    {
        tls_wolfssl::Client c;
        auto info = c.connect(options(tls_wolfssl::TlsVersions::tls12_only));
        ASSERT_TRUE(info) << c.diagnosis().cause << "\n" << broker->output();
        EXPECT_EQ(info->version, "TLSv1.2");
        EXPECT_EQ(info->chip_signatures, 1u);
        publish(c, topic, "tls12 21.5");
    }
    ASSERT_TRUE(broker->wait_for("u'device-001'")) << broker->output();  // the CN is the username

    tls_wolfssl::SessionCache cache;
    for (int i = 0; i < 2; ++i) {
        tls_wolfssl::Client c;
        auto info = c.connect(options(tls_wolfssl::TlsVersions::both), &cache);
        ASSERT_TRUE(info) << c.diagnosis().cause << "\n" << broker->output();
        EXPECT_EQ(info->version, "TLSv1.3");
        EXPECT_EQ(info->resumed, i == 1);
        EXPECT_EQ(info->chip_signatures, i == 1 ? 0u : 1u);
        publish(c, topic, i == 0 ? "tls13 21.6" : "tls13 resumed 21.7");
        c.close();  // stores the ticket mosquitto sent after the handshake
        EXPECT_TRUE(cache.valid());
    }
    EXPECT_EQ(rig.chip->stats().signatures - signatures, 2u);  // the resumed connection needed none

    EXPECT_EQ(sub.wait_exit(10000), 0) << sub.output();
    for (const char* payload : {"tls12 21.5", "tls13 21.6", "tls13 resumed 21.7"})
        EXPECT_NE(sub.output().find(topic + " " + payload), std::string::npos) << sub.output();
    // Every connection, resumed or not, is logged under the certificate's CN.
    const std::string log = broker->output();
    std::size_t as_device = 0;
    for (auto at = log.find("u'device-001'"); at != std::string::npos; at = log.find("u'device-001'", at + 1))
        ++as_device;
    EXPECT_EQ(as_device, 3u) << log;
}

TEST_F(WolfsslMosquitto, PublishOutsideItsSubtreeIsNotDelivered) {
    // The ACL holds for this client too: device-001 cannot speak for device-002.
    test::Peer sub({"stdbuf", "-oL", "mosquitto_sub", "-h", "localhost", "-p", std::to_string(port), "--cafile",
                    pki + "/ca.pem", "--cert", pki + "/monitor.pem", "--key", pki + "/monitor.key", "-t", "devices/#",
                    "-C", "1", "-v", "-d"});
    ASSERT_TRUE(sub.wait_for("SUBACK")) << sub.output() << broker->output();
    tls_wolfssl::Client c;
    ASSERT_TRUE(c.connect(options(tls_wolfssl::TlsVersions::both))) << c.diagnosis().cause;
    // QoS 1 to a denied topic is still acknowledged by mosquitto 2.0 (and dropped); the own
    // message then arrives alone at the monitor, which takes exactly one.
    publish(c, "devices/device-002/telemetry", "spoofed");
    tls_wolfssl::Client again;
    ASSERT_TRUE(again.connect(options(tls_wolfssl::TlsVersions::both))) << again.diagnosis().cause;
    publish(again, "devices/device-001/telemetry", "own");
    EXPECT_EQ(sub.wait_exit(10000), 0) << sub.output();
    EXPECT_NE(sub.output().find("devices/device-001/telemetry own"), std::string::npos) << sub.output();
    EXPECT_EQ(sub.output().find("spoofed"), std::string::npos) << sub.output();
}
