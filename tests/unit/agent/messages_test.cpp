// SPDX-License-Identifier: Apache-2.0
// The agent's JSON: RFC 3339 timestamps, readings, status messages, and every kind of command.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sebind/agent/messages.hpp"

using namespace sebind::agent;
using nlohmann::json;

TEST(Messages, Rfc3339UtcWithMilliseconds) {
    EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(rfc3339_utc(1'700'000'000'123), "2023-11-14T22:13:20.123Z");  // date -u -d @1700000000
    EXPECT_EQ(rfc3339_utc(951'782'400'000), "2000-02-29T00:00:00.000Z");    // leap day
    EXPECT_EQ(rfc3339_utc(-1), "1969-12-31T23:59:59.999Z");
    const std::int64_t now = unix_now_ms();
    EXPECT_GT(now, 1'700'000'000'000);  // the clock is set (tests run after 2023)
}

TEST(Messages, ReadingCarriesDeviceSeqTimeAndEachValueOrError) {
    std::vector<Reading> rs;
    rs.push_back({"soc/thermal_zone0", "x86_pkg_temp", 45.5, "°C", {}});
    rs.push_back({"load/1m", "", 0.25, "", {}});
    rs.push_back({"soc/thermal_zone1", "", std::nullopt, "°C", "cannot read /sys/x: No such file or directory"});
    rs.push_back({"bad", std::string("\xff\xfe", 2), 1.0, "", {}});  // a label that is not UTF-8
    const std::string text = reading_json("device-001", 42, 1'700'000'000'123, 2.5, rs);
    const json j = json::parse(text);
    EXPECT_EQ(j["device"], "device-001");
    EXPECT_EQ(j["seq"], 42);
    EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(j["interval_s"], 2.5);
    ASSERT_EQ(j["readings"].size(), 4u);
    EXPECT_EQ(j["readings"][0]["sensor"], "soc/thermal_zone0");
    EXPECT_EQ(j["readings"][0]["value"], 45.5);
    EXPECT_EQ(j["readings"][0]["unit"], "°C");
    EXPECT_EQ(j["readings"][0]["label"], "x86_pkg_temp");
    EXPECT_FALSE(j["readings"][1].contains("unit"));  // no unit, no member
    EXPECT_FALSE(j["readings"][1].contains("label"));
    EXPECT_FALSE(j["readings"][2].contains("value"));
    EXPECT_EQ(j["readings"][2]["error"], "cannot read /sys/x: No such file or directory");
    EXPECT_EQ(j["readings"][3]["label"], "\xEF\xBF\xBD\xEF\xBF\xBD");  // U+FFFD twice
    // The order a person reads: who, which, when.
    EXPECT_LT(text.find("\"device\""), text.find("\"seq\""));
    EXPECT_LT(text.find("\"seq\""), text.find("\"time\""));
}

TEST(Messages, ValidCommands) {
    Command c = parse_command(R"({"cmd":"set_interval","seconds":2.5,"id":"abc"})");
    EXPECT_EQ(c.kind, Command::Kind::set_interval);
    EXPECT_EQ(c.seconds, 2.5);
    EXPECT_EQ(c.id_json, "\"abc\"");
    const json ack = json::parse(command_reply_fields(c, 2.5, 0));
    EXPECT_EQ(ack, (json{{"ack", "set_interval"}, {"interval_s", 2.5}, {"id", "abc"}}));

    c = parse_command(R"({"cmd":"set_interval","seconds":60})");
    EXPECT_EQ(c.kind, Command::Kind::set_interval);
    EXPECT_EQ(c.seconds, 60.0);
    EXPECT_TRUE(c.id_json.empty());

    c = parse_command(R"({"cmd":"publish_now","id":7})");
    EXPECT_EQ(c.kind, Command::Kind::publish_now);
    EXPECT_EQ(json::parse(command_reply_fields(c, 10, 99)), (json{{"ack", "publish_now"}, {"seq", 99}, {"id", 7}}));
}

TEST(Messages, UnknownAndInvalidCommandsAreToldApart) {
    Command c = parse_command(R"({"cmd":"reboot","id":[1,2]})");
    EXPECT_EQ(c.kind, Command::Kind::unknown);
    EXPECT_EQ(c.name, "reboot");
    const json reply = json::parse(command_reply_fields(c, 0, 0));
    EXPECT_EQ(reply["error"], "unknown command");
    EXPECT_EQ(reply["cmd"], "reboot");
    EXPECT_EQ(reply["id"], json::array({1, 2}));
    EXPECT_EQ(reply["known"], json::array({"set_interval", "publish_now"}));

    const std::pair<const char*, const char*> invalid[] = {
        {"not json", "not a JSON object"},
        {"[1,2]", "not a JSON object"},
        {"{}", "no \"cmd\" string"},
        {R"({"cmd":5})", "no \"cmd\" string"},
        {R"({"cmd":"set_interval"})", "needs \"seconds\""},
        {R"({"cmd":"set_interval","seconds":"10"})", "needs \"seconds\""},
        {R"({"cmd":"set_interval","seconds":0})", "0.01..86400"},
        {R"({"cmd":"set_interval","seconds":-3})", "0.01..86400"},
        {R"({"cmd":"set_interval","seconds":86401})", "0.01..86400"},
        {"", "not a JSON object"},
    };
    for (const auto& [payload, why] : invalid) {
        c = parse_command(payload);
        EXPECT_EQ(c.kind, Command::Kind::invalid) << payload;
        EXPECT_NE(c.error.find(why), std::string::npos) << payload << ": " << c.error;
        const json r = json::parse(command_reply_fields(c, 0, 0));
        EXPECT_EQ(r["error"], "bad command") << payload;
        EXPECT_EQ(r["detail"], c.error);
    }
}

TEST(Messages, StatusMergesItsFields) {
    const json j = json::parse(status_json("dev", 0, R"({"state":"online","qos":1})"));
    EXPECT_EQ(j, (json{{"device", "dev"}, {"time", "1970-01-01T00:00:00.000Z"}, {"state", "online"}, {"qos", 1}}));
}
