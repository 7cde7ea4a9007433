// SPDX-License-Identifier: Apache-2.0
// The Mbed TLS 3.6 client with the chip key through PSA against mosquitto 2.0 with
// require_certificate and use_identity_as_username: the device connects with TLS 1.2 and with
// TLS 1.3, publishes at QoS 1 (sebind::mqtt's encoder over the 3.6 stream), mosquitto_sub
// receives both messages, and the broker's log names the certificate's CN as the username.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <pwd.h>
#include <unistd.h>

#include "chip_identity3.hpp"
#include "mqtt_wire.hpp"
#include "peer.hpp"
#include "process.hpp"

namespace sebind {
namespace {

namespace m3 = tls_mbedtls3;

class Mbedtls3Mosquitto : public ::testing::Test {
protected:
    void SetUp() override {
        // One CA signs the device (from the chip's CSR), the broker and the monitor.
        ASSERT_NO_FATAL_FAILURE(id.keygen(stsafe::Curve::p256));
        ASSERT_NO_FATAL_FAILURE(id.make_ca());
        ASSERT_NO_FATAL_FAILURE(id.certify("CN=device-3,O=Acme"));
        for (const std::string name : {"broker", "monitor"}) {
            auto r = test::run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                "-keyout", dir.file(name + ".key"), "-out", dir.file(name + ".csr"), "-subj",
                                "/CN=" + name});
            ASSERT_EQ(r.exit_code, 0) << r.output;
            ASSERT_NO_FATAL_FAILURE(id.issue(name, name == "broker" ? "subjectAltName=DNS:localhost\n" : ""));
        }

        port = test::free_port();
        const passwd* me = ::getpwuid(::getuid());
        test::write_file(dir.file("mosquitto.conf"),
                         "user " + std::string(me ? me->pw_name : "root") +
                             "\nallow_anonymous false\npersistence false\nconnection_messages true\n"
                             "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n"
                             "log_type information\n\nlistener " +
                             std::to_string(port) + " 127.0.0.1\ncafile " + dir.file("ca.pem") + "\ncertfile " +
                             dir.file("broker.pem") + "\nkeyfile " + dir.file("broker.key") +
                             "\nrequire_certificate true\nuse_identity_as_username true\n");
        ASSERT_TRUE(test::start_mosquitto(dir.file("mosquitto.conf"), port, broker)) << broker->output();
    }
    m3::ClientOptions options(m3::TlsVersions versions) { return id.options(port, dir.file("ca.pem"), versions); }

    test::TempDir dir;
    test::ChipIdentity3 id{dir};
    int port = 0;
    std::unique_ptr<test::Peer> broker;
};

TEST_F(Mbedtls3Mosquitto, DevicePublishesAtQos1WithTls12AndTls13AndIsKnownByItsCn) {
    // stdbuf: mosquitto_sub block-buffers a pipe; its SUBACK debug line is the readiness signal.
    test::Peer sub({"stdbuf", "-oL", "mosquitto_sub", "-h", "localhost", "-p", std::to_string(port), "--cafile",
                    dir.file("ca.pem"), "--cert", dir.file("monitor.pem"), "--key", dir.file("monitor.key"), "-t",
                    "devices/#", "-C", "2", "-v", "-d"});
    ASSERT_TRUE(sub.wait_for("SUBACK")) << sub.output() << broker->output();
    const std::string topic = "devices/device-3/telemetry";
    for (auto versions : {m3::TlsVersions::tls12, m3::TlsVersions::tls13}) {
        const auto before = id.rig.chip->stats().signatures;
        m3::Client c;
        auto info = c.connect(options(versions));
        ASSERT_TRUE(info) << c.diagnosis().cause << "\n" << broker->output();
        EXPECT_EQ(info->version, versions == m3::TlsVersions::tls12 ? "TLSv1.2" : "TLSv1.3");
        EXPECT_EQ(info->chip_signatures, 1u);
        EXPECT_EQ(id.rig.chip->stats().signatures - before, 1u);
        test::publish_qos1(c, "device-3", topic, info->version + " 21.5", [&] { return broker->output(); });
    }
    EXPECT_TRUE(sub.wait_for(topic + " TLSv1.2 21.5")) << sub.output();
    EXPECT_TRUE(sub.wait_for(topic + " TLSv1.3 21.5")) << sub.output();
    EXPECT_TRUE(broker->wait_for("u'device-3'")) << broker->output();  // the CN is the username
}

}  // namespace
}  // namespace sebind
