// SPDX-License-Identifier: Apache-2.0
// device.toml: defaults, every key read, relative paths, and one line naming the key, its line
// and the fix for each kind of mistake.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "scratch_dir.hpp"
#include "sebind/agent/config.hpp"
#include "sebind/mqtt/session/session.hpp"

using namespace sebind;
using namespace sebind::agent;

namespace {

/// A self-signed P-256 CA certificate: ca_file must hold a PEM certificate.
const char* const kCaPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBezCCASGgAwIBAgIUVu3VISuzOBcXA+IdCbr5YCbQU5EwCgYIKoZIzj0EAwIw\n"
    "EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjEyMDcyMTEyNDBaGA8yMTI2MTExMzIx\n"
    "MTI0MFowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABEuYsxoheOUwMpO/U2AH0QqOjSn9lniQvHkB8HhTA5ZGdOq2NEYgELBNgwdB\n"
    "fgNKzdBNWqeJalmzaMgDeDY7R7WjUzBRMB0GA1UdDgQWBBQscb+pmxha1RHq2Uf6\n"
    "BQuT+/uu+TAfBgNVHSMEGDAWgBQscb+pmxha1RHq2Uf6BQuT+/uu+TAPBgNVHRMB\n"
    "Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIFz1FBxno91IhgHq8E5uQsVmoakF\n"
    "U9r+7zOd8n4zbO3PAiEA1LBfIb533tz19c725FK+Zwk03UmF4HheWXIavB0fvKM=\n"
    "-----END CERTIFICATE-----\n";

class Config : public ::testing::Test {
protected:
    void SetUp() override { ca = dir.put("ca.pem", kCaPem); }

    /// Parses `text` as if read from <dir>/device.toml; returns the error ("" on success).
    std::string error_of(const std::string& text) {
        std::string error;
        auto cfg = parse_config(text, "device.toml", dir.path(), &error);
        if (cfg) return "";
        EXPECT_EQ(cfg.status().code(), Errc::invalid_argument);
        EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error;
        EXPECT_NE(error.find(" — "), std::string::npos) << "cause — fix: " << error;
        return error;
    }
    AgentConfig parse(const std::string& text) {
        std::string error;
        auto cfg = parse_config(text, "device.toml", dir.path(), &error);
        EXPECT_TRUE(cfg) << error;
        return cfg ? *cfg : AgentConfig{};
    }

    test::ScratchDir dir;
    std::string ca;
    const std::string minimal = "[broker]\nca_file = \"ca.pem\"\n[[sensor]]\ntype = \"loadavg\"\n";
};

}  // namespace

TEST_F(Config, MinimalFileGetsTheDocumentedDefaults) {
    const AgentConfig c = parse(minimal);
    EXPECT_EQ(c.host, "localhost");
    EXPECT_EQ(c.port, 8883);
    EXPECT_EQ(c.ca_file, dir.path() + "/ca.pem");  // relative to the file's directory
    EXPECT_EQ(c.slot, 1);
    EXPECT_FALSE(c.zone.has_value());
    EXPECT_EQ(c.protocol, mqtt::ProtocolVersion::v3_1_1);
    EXPECT_EQ(c.keep_alive_s, 60);
    EXPECT_FALSE(c.clean_start);
    EXPECT_TRUE(c.session_tickets);
    EXPECT_EQ(c.qos, mqtt::QoS::at_least_once);
    EXPECT_DOUBLE_EQ(c.interval_s, 10.0);
    EXPECT_EQ(c.outbox_dir, "/var/lib/sebind/outbox");
    EXPECT_EQ(c.sync, mqtt::SyncPolicy::every_record);
    EXPECT_EQ(c.drain_timeout_ms, 5000u);
    EXPECT_TRUE(c.topic.empty());
    ASSERT_EQ(c.sensors.size(), 1u);
    EXPECT_EQ(c.sensors[0].type, SensorType::loadavg);
    EXPECT_EQ(c.sensors[0].name, "loadavg");
    EXPECT_EQ(c.sensors[0].root, "/proc/loadavg");
}

TEST_F(Config, SectionsWithoutKeysKeepTheDefaultsOfTheStructs) {
    // The defaults live in config.hpp only: a section that is present but sets nothing must give
    // a default-constructed AgentConfig's (and SensorConfig's) values.
    const AgentConfig c = parse(
        "[se]\n[identity]\n[broker]\nca_file = \"ca.pem\"\n[outbox]\n[telemetry]\n"
        "[[sensor]]\ntype = \"simulated\"\nname = \"s\"\n");
    const AgentConfig d;
    EXPECT_EQ(c.se_uri, d.se_uri);
    EXPECT_EQ(c.slot, d.slot);
    EXPECT_EQ(c.stack, d.stack);
    EXPECT_EQ(c.client_id, d.client_id);
    EXPECT_EQ(c.timeout_ms, d.timeout_ms);
    EXPECT_EQ(c.reconnect_initial_ms, d.reconnect_initial_ms);
    EXPECT_EQ(c.reconnect_max_ms, d.reconnect_max_ms);
    EXPECT_EQ(c.max_messages, d.max_messages);
    EXPECT_EQ(c.max_bytes, d.max_bytes);
    EXPECT_EQ(c.sync, d.sync);
    EXPECT_EQ(c.drain_timeout_ms, d.drain_timeout_ms);
    EXPECT_EQ(c.qos, d.qos);
    EXPECT_EQ(c.topic, d.topic);
    ASSERT_EQ(c.sensors.size(), 1u);
    const SensorConfig sd;
    EXPECT_EQ(c.sensors[0].waveform, sd.waveform);
    EXPECT_DOUBLE_EQ(c.sensors[0].period_s, sd.period_s);
    EXPECT_DOUBLE_EQ(c.sensors[0].min, sd.min);
    EXPECT_DOUBLE_EQ(c.sensors[0].max, sd.max);
}

TEST_F(Config, AlpnAndChainFileUnderBroker) {
    const AgentConfig c = parse(
        "[broker]\nca_file = \"ca.pem\"\nchain_file = \"int.pem\"\nalpn = [\"x-amzn-mqtt-ca\", \"mqtt\"]\n"
        "[[sensor]]\ntype = \"loadavg\"\n");
    EXPECT_EQ(c.chain_file, dir.path() + "/int.pem");  // relative to the file, like ca_file
    EXPECT_EQ(c.alpn, (std::vector<std::string>{"x-amzn-mqtt-ca", "mqtt"}));
    EXPECT_TRUE(parse(minimal).alpn.empty());
    EXPECT_TRUE(parse(minimal).chain_file.empty());
    EXPECT_NE(error_of("[broker]\nca_file = \"ca.pem\"\nalpn = \"mqtt\"\n[[sensor]]\ntype = \"loadavg\"\n")
                  .find("alpn must be an array"),
              std::string::npos);
    EXPECT_NE(error_of("[broker]\nca_file = \"ca.pem\"\nalpn = [\"" + std::string(256, 'x') +
                       "\"]\n[[sensor]]\ntype = \"loadavg\"\n")
                  .find("longer than 255 bytes"),
              std::string::npos);
}

TEST_F(Config, EveryKeyIsRead) {
    const AgentConfig c = parse(R"(
[se]
uri = "emu:/tmp/se"
[identity]
slot = 0
zone = 5
[broker]
host = "broker.lan"
port = 18883
ca_file = ")" + ca + R"("
keep_alive = 15
client_id = "gw-7"
protocol = "5"
stack = "mbedtls"
session_tickets = false
clean_start = true
session_expiry_s = 600
timeout_s = 2.5
reconnect_initial_s = 0.2
reconnect_max_s = 4
[outbox]
dir = "spool"
max_messages = 500
max_bytes = 65536
sync = "batch"
drain_timeout_s = 1.5
[telemetry]
interval_s = 0.25
qos = 2
topic = "plant/{cn}/t"
[[sensor]]
type = "thermal"
name = "soc"
root = "sys/thermal"
zones = ["thermal_zone1"]
[[sensor]]
type = "hwmon"
chips = ["coretemp", "nvme"]
[[sensor]]
type = "simulated"
name = "sim"
unit = "V"
waveform = "square"
period_s = 4
min = -1
max = 3.5
)");
    EXPECT_EQ(c.se_uri, "emu:/tmp/se");
    EXPECT_EQ(c.slot, 0);
    EXPECT_EQ(c.zone, 5);
    EXPECT_EQ(c.host, "broker.lan");
    EXPECT_EQ(c.port, 18883);
    EXPECT_EQ(c.ca_file, ca);  // absolute stays as it is
    EXPECT_EQ(c.keep_alive_s, 15);
    EXPECT_EQ(c.client_id, "gw-7");
    EXPECT_EQ(c.protocol, mqtt::ProtocolVersion::v5);
    EXPECT_TRUE(c.clean_start);
    EXPECT_FALSE(c.session_tickets);
    EXPECT_EQ(c.session_expiry_s, 600u);
    EXPECT_EQ(c.timeout_ms, 2500u);
    EXPECT_EQ(c.reconnect_initial_ms, 200u);
    EXPECT_EQ(c.reconnect_max_ms, 4000u);
    EXPECT_EQ(c.outbox_dir, dir.path() + "/spool");
    EXPECT_EQ(c.max_messages, 500u);
    EXPECT_EQ(c.max_bytes, 65536u);
    EXPECT_EQ(c.sync, mqtt::SyncPolicy::batch);
    EXPECT_EQ(c.drain_timeout_ms, 1500u);
    EXPECT_DOUBLE_EQ(c.interval_s, 0.25);
    EXPECT_EQ(c.qos, mqtt::QoS::exactly_once);
    EXPECT_EQ(expand_topic(c.topic, "dev-9"), "plant/dev-9/t");
    ASSERT_EQ(c.sensors.size(), 3u);
    EXPECT_EQ(c.sensors[0].root, dir.path() + "/sys/thermal");
    EXPECT_EQ(c.sensors[0].only, (std::vector<std::string>{"thermal_zone1"}));
    EXPECT_EQ(c.sensors[1].name, "hwmon");
    EXPECT_EQ(c.sensors[1].root, "/sys/class/hwmon");
    EXPECT_EQ(c.sensors[1].only, (std::vector<std::string>{"coretemp", "nvme"}));
    EXPECT_EQ(c.sensors[2].waveform, Waveform::square);
    EXPECT_DOUBLE_EQ(c.sensors[2].period_s, 4.0);
    EXPECT_DOUBLE_EQ(c.sensors[2].min, -1.0);
    EXPECT_DOUBLE_EQ(c.sensors[2].max, 3.5);
    EXPECT_EQ(c.sensors[2].unit, "V");
}

TEST_F(Config, ProtocolFiveMayBeANumber) {
    EXPECT_EQ(parse("[broker]\nca_file = \"ca.pem\"\nprotocol = 5\n[[sensor]]\ntype = \"loadavg\"\n").protocol,
              mqtt::ProtocolVersion::v5);
}

TEST_F(Config, UnknownKeyNamesItsLineAndSuggestsTheKnownOne) {
    const std::string e = error_of("[broker]\nca_file = \"ca.pem\"\nhots = \"x\"\n[[sensor]]\ntype = \"loadavg\"\n");
    EXPECT_EQ(e.rfind("device.toml:3: unknown key 'hots' in [broker]", 0), 0u) << e;
    EXPECT_NE(e.find("did you mean 'host'?"), std::string::npos) << e;
}

TEST_F(Config, UnknownSectionIsRefused) {
    const std::string e = error_of(minimal + "[telemtry]\ninterval_s = 1\n");
    EXPECT_NE(e.find("unknown key 'telemtry'"), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean 'telemetry'?"), std::string::npos) << e;
}

TEST_F(Config, KeyOfAnotherSensorTypeIsUnknownForThisOne) {
    const std::string e = error_of("[broker]\nca_file = \"ca.pem\"\n[[sensor]]\ntype = \"loadavg\"\nzones = [\"z\"]\n");
    EXPECT_NE(e.find("device.toml:5: unknown key 'zones' in [[sensor]] #1 (loadavg)"), std::string::npos) << e;
    EXPECT_NE(e.find("known keys: type, name, path"), std::string::npos) << e;
}

#if SEBIND_HAVE_WOLFSSL
TEST_F(Config, WolfsslStackAndTlsVersion) {
    const std::string head = "[broker]\nca_file = \"" + ca + "\"\nstack = \"wolfssl\"\n";
    const std::string sensor = "[[sensor]]\ntype = \"loadavg\"\n";
    const AgentConfig any = parse(head + sensor);
    EXPECT_EQ(any.stack, TlsStack::wolfssl);
    EXPECT_EQ(any.tls_version, TlsVersion::any);
    EXPECT_EQ(parse(head + "tls = \"1.3\"\n" + sensor).tls_version, TlsVersion::tls13);
    EXPECT_EQ(parse(head + "tls = \"1.2\"\n" + sensor).tls_version, TlsVersion::tls12);
}
#endif

TEST_F(Config, TheShippedExampleIsValid) {
    // examples/device.toml as shipped, its CA path pointed at a file that exists here.
    std::ifstream in(SEBIND_EXAMPLE_CONFIG);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty());
    const std::string etc_ca = "\"/etc/sebind/ca.pem\"";
    ASSERT_NE(text.find(etc_ca), std::string::npos);
    text.replace(text.find(etc_ca), etc_ca.size(), "\"" + ca + "\"");
    const AgentConfig c = parse(text);
    EXPECT_EQ(c.se_uri, "i2c:/dev/i2c-1?addr=0x20");
    EXPECT_EQ(c.host, "broker.example.net");
    EXPECT_EQ(c.outbox_dir, "/var/lib/sebind/outbox");
    ASSERT_EQ(c.sensors.size(), 3u);
    EXPECT_EQ(c.sensors[2].name, "sim-temperature");
}

struct BadValue {
    const char* name;
    std::string text;      // appended to a valid file or complete
    const char* expected;  // a piece of the message
};

TEST_F(Config, BadValuesNameTheKeyAndTheFix) {
    const std::string broker = "[broker]\nca_file = \"ca.pem\"\n";
    const std::string sensor = "[[sensor]]\ntype = \"loadavg\"\n";
    const BadValue cases[] = {
        {"port range", broker + "port = 70000\n" + sensor,
         "device.toml:3: [broker] port = 70000 is out of range — use 1..65535"},
        {"port type", broker + "port = \"8883\"\n" + sensor, "[broker] port must be an integer"},
        {"qos", broker + sensor + "[telemetry]\nqos = 3\n", "[telemetry] qos = 3 is out of range — use 0..2"},
        {"interval", broker + sensor + "[telemetry]\ninterval_s = 0\n", "[telemetry] interval_s = 0 is out of range"},
        {"interval type", broker + sensor + "[telemetry]\ninterval_s = \"10\"\n",
         "[telemetry] interval_s must be a number"},
        {"topic", broker + sensor + "[telemetry]\ntopic = \"devices/+/t\"\n", "not a valid MQTT topic name"},
        {"protocol", broker + "protocol = \"4.0\"\n" + sensor, "[broker] protocol must be \"3.1.1\" or \"5\""},
        {"tls 1.3 on mbedtls", broker + "tls = \"1.3\"\n" + sensor, "[broker] tls = \"1.3\" needs stack = \"wolfssl\""},
        {"tls", broker + "stack = \"wolfssl\"\ntls = \"1.1\"\n" + sensor, "use one of: 1.2, 1.3"},
        {"stack", broker + "stack = \"openssl\"\n" + sensor, "use one of: mbedtls, wolfssl"},
        {"sync", broker + sensor + "[outbox]\nsync = \"sometimes\"\n", "use one of: every_record, batch"},
        {"clean_start", broker + "clean_start = \"no\"\n" + sensor, "[broker] clean_start must be true or false"},
        {"slot", "[identity]\nslot = 2\n" + broker + sensor, "[identity] slot = 2 is out of range — use 0..1"},
        {"host", "[broker]\nca_file = \"ca.pem\"\nhost = \"mqtt://x\"\n" + sensor, "is not a host name"},
        {"max_messages", broker + sensor + "[outbox]\nmax_messages = 70000\n", "use 1..65000"},
        {"no ca_file", "[broker]\nport = 1\n" + sensor, "[broker] ca_file is missing"},
        {"unreadable ca_file", "[broker]\nca_file = \"nope.pem\"\n" + sensor, "nope.pem cannot be read"},
        {"no broker", sensor, "no [broker] section"},
        {"no sensor", broker, "no [[sensor]] entries"},
        {"sensor type", broker + "[[sensor]]\ntype = \"gps\"\n", "[[sensor]] #1 type = \"gps\" is not allowed"},
        {"sensor without type", broker + "[[sensor]]\nname = \"x\"\n", "[[sensor]] #1 has no type"},
        {"simulated without name", broker + "[[sensor]]\ntype = \"simulated\"\n", "(simulated) has no name"},
        {"waveform", broker + "[[sensor]]\ntype = \"simulated\"\nname = \"s\"\nwaveform = \"noise\"\n",
         "use one of: sine, triangle"},
        {"min max", broker + "[[sensor]]\ntype = \"simulated\"\nname = \"s\"\nmin = 5\nmax = 1\n", "has max < min"},
        {"duplicate name", broker + sensor + sensor, "name \"loadavg\" is used twice"},
        {"zones type", broker + "[[sensor]]\ntype = \"thermal\"\nzones = \"thermal_zone0\"\n",
         "zones must be an array of strings"},
        {"sensor not a list", "sensor = 3\n" + broker, "device.toml:1: 'sensor' must be a list of [[sensor]] entries"},
        {"syntax", broker + "port = \n" + sensor, "device.toml:3: not valid TOML"},
        {"section is a value", "broker = 3\n" + sensor, "'broker' must be a section"},
    };
    for (const auto& c : cases) {
        const std::string e = error_of(c.text);
        EXPECT_NE(e.find(c.expected), std::string::npos) << c.name << ": " << e;
    }
}

TEST_F(Config, LoadConfigResolvesPathsAgainstTheFileAndReportsAMissingFile) {
    const std::string path = dir.put("etc/device.toml",
                                     "[broker]\nca_file = \"../ca.pem\"\n[[sensor]]\ntype = \"loadavg\"\n");
    std::string error;
    auto c = load_config(path, &error);
    ASSERT_TRUE(c) << error;
    EXPECT_EQ(c->ca_file, dir.path() + "/etc/../ca.pem");
    EXPECT_EQ(c->source, path);
    auto missing = load_config(dir.file("absent.toml"), &error);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.status().code(), Errc::does_not_exist);
    EXPECT_NE(error.find("cannot read " + dir.file("absent.toml")), std::string::npos) << error;
}

TEST(ConfigTopic, CnPlaceholderIsReplacedEverywhere) {
    EXPECT_EQ(expand_topic("devices/{cn}/telemetry", "device-001"), "devices/device-001/telemetry");
    EXPECT_EQ(expand_topic("{cn}/{cn}", "a"), "a/a");
    EXPECT_EQ(expand_topic("fixed/topic", "a"), "fixed/topic");
}

TEST_F(Config, CaFileThatIsNotAPemCertificateIsRefusedAtLoadNamingTheKey) {
    // Refused when the file is read, as a configuration error naming the device.toml key, never
    // deferred to connection attempts (which would retry it forever).
    const std::string sensor = "[[sensor]]\ntype = \"loadavg\"\n";
    dir.put("garbage.pem", "this is not a certificate\n");
    dir.put("header-only.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    for (const char* file : {"garbage.pem", "header-only.pem"}) {
        const std::string e = error_of(std::string("[broker]\nca_file = \"") + file + "\"\n" + sensor);
        EXPECT_NE(e.find("[broker] ca_file"), std::string::npos) << e;
        EXPECT_NE(e.find("no PEM certificate"), std::string::npos) << e;
        EXPECT_EQ(e.find("--ca"), std::string::npos) << "no CLI option names in the agent's messages: " << e;
    }
    std::filesystem::create_directories(dir.file("cadir"));
    EXPECT_NE(error_of("[broker]\nca_file = \"cadir\"\n" + sensor).find("is a directory"), std::string::npos);
    dir.put("huge.pem", std::string(256 * 1024 + 1, 'A'));
    EXPECT_NE(error_of("[broker]\nca_file = \"huge.pem\"\n" + sensor).find("256 KiB"), std::string::npos);
}

TEST_F(Config, ClientIdLongerThanTheSessionSendsIsRefusedWhenTheFileIsRead) {
    // The MQTT session refuses ids over kMaxClientIdBytes at CONNECT time; the file must refuse
    // them first, so a device does not start and then fail every connection.
    const std::string sensor = "[[sensor]]\ntype = \"loadavg\"\n";
    const auto with_id = [&](std::size_t n) {
        return "[broker]\nca_file = \"ca.pem\"\nclient_id = \"" + std::string(n, 'd') + "\"\n" + sensor;
    };
    const std::string e = error_of(with_id(mqtt::kMaxClientIdBytes + 1));
    EXPECT_NE(e.find("[broker] client_id"), std::string::npos) << e;
    EXPECT_NE(e.find(std::to_string(mqtt::kMaxClientIdBytes)), std::string::npos) << e;
    EXPECT_EQ(parse(with_id(mqtt::kMaxClientIdBytes)).client_id.size(), mqtt::kMaxClientIdBytes);
}

TEST_F(Config, HostLongerThanADnsNameIsRefusedNamingTheLimit) {
    const std::string sensor = "[[sensor]]\ntype = \"loadavg\"\n";
    const std::string e = error_of("[broker]\nca_file = \"ca.pem\"\nhost = \"" + std::string(5000, 'a') + "\"\n" +
                                   sensor);
    EXPECT_NE(e.find("[broker] host"), std::string::npos) << e;
    EXPECT_NE(e.find("253"), std::string::npos) << e;
    EXPECT_LT(e.size(), 400u) << "the message does not repeat the value";
    // 253 characters is still a host name.
    EXPECT_EQ(parse("[broker]\nca_file = \"ca.pem\"\nhost = \"" + std::string(253, 'a') + "\"\n" + sensor).host.size(),
              253u);
}

TEST_F(Config, LoadRefusesADirectoryAndAFileOverTheLimitNamingBoth) {
    std::string error;
    auto d = load_config(dir.path(), &error);
    ASSERT_FALSE(d);
    EXPECT_NE(error.find(dir.path() + " is a directory"), std::string::npos) << error;
    EXPECT_EQ(error.find("[broker]"), std::string::npos) << error;

    // Over 64 KiB (a valid file padded with a comment): refused before it is parsed.
    const std::string big = dir.put("big.toml", minimal + "# " + std::string(64 * 1024, 'x') + "\n");
    error.clear();
    auto b = load_config(big, &error);
    ASSERT_FALSE(b);
    EXPECT_NE(error.find(big), std::string::npos) << error;
    EXPECT_NE(error.find("64 KiB"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}
