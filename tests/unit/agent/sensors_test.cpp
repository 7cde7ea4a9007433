// SPDX-License-Identifier: Apache-2.0
// Sensors on fake sysfs/procfs trees laid out as the kernel ABI documents them (thermal:
// Documentation/ABI/testing/sysfs-class-thermal; hwmon: Documentation/hwmon/sysfs-interface:
// temp[1-*]_input and _label, millidegrees Celsius), plus the simulated waveforms.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch_dir.hpp"
#include "sebind/agent/sensors.hpp"

using namespace sebind;
using namespace sebind::agent;

namespace {

SensorConfig sensor(SensorType type, const std::string& name, const std::string& root,
                    std::vector<std::string> only = {}) {
    SensorConfig c;
    c.type = type;
    c.name = name;
    c.root = root;
    c.only = std::move(only);
    return c;
}

std::vector<Reading> sample(Sensor& s, double t = 0) {
    std::vector<Reading> out;
    s.sample(t, out);
    return out;
}

}  // namespace

TEST(Sensors, ThermalZonesInNaturalOrderWithTheirTypes) {
    test::ScratchDir d;
    d.put("thermal/thermal_zone0/temp", "45500\n");
    d.put("thermal/thermal_zone0/type", "x86_pkg_temp\n");
    d.put("thermal/thermal_zone10/temp", "-1250\n");
    d.put("thermal/thermal_zone10/type", "acpitz\n");
    d.put("thermal/thermal_zone2/temp", "30000\n");
    d.put("thermal/cooling_device0/type", "Processor\n");                  // not a zone
    std::filesystem::create_directories(d.file("thermal/thermal_zone3"));  // a zone without temp
    std::string detail;
    auto s = open_sensor(sensor(SensorType::thermal, "soc", d.file("thermal")), &detail);
    ASSERT_TRUE(s) << detail;
    EXPECT_EQ((*s)->channels(), 3u);
    const auto r = sample(**s);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].sensor, "soc/thermal_zone0");
    EXPECT_EQ(r[0].label, "x86_pkg_temp");
    EXPECT_EQ(r[0].value, 45.5);
    EXPECT_EQ(r[0].unit, "°C");
    EXPECT_EQ(r[1].sensor, "soc/thermal_zone2");
    EXPECT_EQ(r[1].label, "");
    EXPECT_EQ(r[1].value, 30.0);
    EXPECT_EQ(r[2].sensor, "soc/thermal_zone10");
    EXPECT_EQ(r[2].value, -1.25);
}

TEST(Sensors, ThermalZoneFilterAndItsErrors) {
    test::ScratchDir d;
    d.put("t/thermal_zone0/temp", "1000\n");
    d.put("t/thermal_zone1/temp", "2000\n");
    std::string detail;
    auto one = open_sensor(sensor(SensorType::thermal, "z", d.file("t"), {"thermal_zone1"}), &detail);
    ASSERT_TRUE(one) << detail;
    const auto r = sample(**one);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].value, 2.0);

    auto missing = open_sensor(sensor(SensorType::thermal, "z", d.file("t"), {"thermal_zone7"}), &detail);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.status().code(), Errc::invalid_argument);
    EXPECT_NE(detail.find("no thermal zone thermal_zone7 under " + d.file("t")), std::string::npos) << detail;

    auto none = open_sensor(sensor(SensorType::thermal, "z", d.file("empty")), &detail);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.status().code(), Errc::does_not_exist);
    EXPECT_NE(detail.find("no thermal_zone*/temp under"), std::string::npos) << detail;
    EXPECT_NE(detail.find(" — "), std::string::npos) << detail;
}

TEST(Sensors, ThermalReadFailuresBecomeReadingsWithAnError) {
    test::ScratchDir d;
    d.put("t/thermal_zone0/temp", "1000\n");
    d.put("t/thermal_zone1/temp", "2000\n");
    auto s = open_sensor(sensor(SensorType::thermal, "z", d.file("t")), nullptr);
    ASSERT_TRUE(s);
    std::filesystem::remove(d.file("t/thermal_zone0/temp"));
    d.put("t/thermal_zone1/temp", "hot\n");
    const auto r = sample(**s);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_FALSE(r[0].value);
    EXPECT_NE(r[0].error.find("cannot read " + d.file("t/thermal_zone0/temp")), std::string::npos) << r[0].error;
    EXPECT_FALSE(r[1].value);
    EXPECT_NE(r[1].error.find("not millidegrees"), std::string::npos) << r[1].error;
    d.put("t/thermal_zone0/temp", "1500\n");  // back again
    EXPECT_EQ(sample(**s)[0].value, 1.5);
}

TEST(Sensors, HwmonInputsWithLabelsAndChipsOfTheSameName) {
    test::ScratchDir d;
    d.put("hw/hwmon0/name", "coretemp\n");
    d.put("hw/hwmon0/temp1_input", "52000\n");
    d.put("hw/hwmon0/temp1_label", "Package id 0\n");
    d.put("hw/hwmon0/temp1_crit", "100000\n");  // not an input
    d.put("hw/hwmon0/temp2_input", "48000\n");
    d.put("hw/hwmon0/fan1_input", "1200\n");  // not a temperature
    d.put("hw/hwmon1/name", "nvme\n");
    d.put("hw/hwmon1/temp1_input", "38850\n");
    d.put("hw/hwmon2/name", "nvme\n");
    d.put("hw/hwmon2/temp1_input", "40000\n");
    std::string detail;
    auto s = open_sensor(sensor(SensorType::hwmon, "board", d.file("hw")), &detail);
    ASSERT_TRUE(s) << detail;
    const auto r = sample(**s);
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[0].sensor, "board/coretemp/temp1");
    EXPECT_EQ(r[0].label, "Package id 0");
    EXPECT_EQ(r[0].value, 52.0);
    EXPECT_EQ(r[1].sensor, "board/coretemp/temp2");
    EXPECT_EQ(r[1].value, 48.0);
    EXPECT_EQ(r[2].sensor, "board/nvme/temp1");
    EXPECT_EQ(r[2].value, 38.85);
    EXPECT_EQ(r[3].sensor, "board/nvme@hwmon2/temp1");
    EXPECT_EQ(r[3].value, 40.0);

    auto nvme = open_sensor(sensor(SensorType::hwmon, "b", d.file("hw"), {"nvme"}), &detail);
    ASSERT_TRUE(nvme) << detail;
    EXPECT_EQ((*nvme)->channels(), 2u);
    auto absent = open_sensor(sensor(SensorType::hwmon, "b", d.file("hw"), {"k10temp"}), &detail);
    ASSERT_FALSE(absent);
    EXPECT_NE(detail.find("no hwmon chip named k10temp"), std::string::npos) << detail;
    auto none = open_sensor(sensor(SensorType::hwmon, "b", d.file("nothing")), &detail);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.status().code(), Errc::does_not_exist);
}

TEST(Sensors, LoadAverageThreeWindows) {
    test::ScratchDir d;
    const std::string path = d.put("loadavg", "0.52 0.58 1.59 2/345 6789\n");
    std::string detail;
    auto s = open_sensor(sensor(SensorType::loadavg, "load", path), &detail);
    ASSERT_TRUE(s) << detail;
    auto r = sample(**s);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].sensor, "load/1m");
    EXPECT_EQ(r[0].value, 0.52);
    EXPECT_EQ(r[1].sensor, "load/5m");
    EXPECT_EQ(r[1].value, 0.58);
    EXPECT_EQ(r[2].sensor, "load/15m");
    EXPECT_EQ(r[2].value, 1.59);
    d.put("loadavg", "garbage\n");
    r = sample(**s);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_FALSE(r[0].value);
    EXPECT_NE(r[0].error.find("three load averages"), std::string::npos) << r[0].error;

    auto missing = open_sensor(sensor(SensorType::loadavg, "load", d.file("none")), &detail);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.status().code(), Errc::does_not_exist);
    EXPECT_NE(detail.find("cannot read " + d.file("none")), std::string::npos) << detail;
}

TEST(Sensors, TheRealLoadAverageOfThisMachineReads) {
    auto s = open_sensor(sensor(SensorType::loadavg, "load", "/proc/loadavg"), nullptr);
    ASSERT_TRUE(s);
    const auto r = sample(**s);
    ASSERT_EQ(r.size(), 3u);
    for (const auto& x : r) {
        ASSERT_TRUE(x.value) << x.error;
        EXPECT_GE(*x.value, 0.0);
    }
}

TEST(Sensors, WaveformsFollowTheirDefinition) {
    SensorConfig c = sensor(SensorType::simulated, "sim", "");
    c.min = 20;
    c.max = 25;
    c.period_s = 60;
    c.waveform = Waveform::sine;  // starts mid-range, rising
    EXPECT_NEAR(waveform_value(c, 0), 22.5, 1e-9);
    EXPECT_NEAR(waveform_value(c, 15), 25.0, 1e-9);
    EXPECT_NEAR(waveform_value(c, 45), 20.0, 1e-9);
    EXPECT_NEAR(waveform_value(c, 75), waveform_value(c, 15), 1e-9);  // one period later
    c.waveform = Waveform::triangle;
    EXPECT_NEAR(waveform_value(c, 0), 20.0, 1e-9);
    EXPECT_NEAR(waveform_value(c, 15), 22.5, 1e-9);
    EXPECT_NEAR(waveform_value(c, 30), 25.0, 1e-9);
    EXPECT_NEAR(waveform_value(c, 45), 22.5, 1e-9);
    c.waveform = Waveform::sawtooth;  // rises (max - min) / period_s per second
    EXPECT_NEAR(waveform_value(c, 12), 21.0, 1e-9);
    EXPECT_NEAR(waveform_value(c, 72), 21.0, 1e-9);
    c.waveform = Waveform::square;
    EXPECT_EQ(waveform_value(c, 10), 25.0);
    EXPECT_EQ(waveform_value(c, 40), 20.0);
    c.waveform = Waveform::constant;
    EXPECT_EQ(waveform_value(c, 33), 20.0);

    c.waveform = Waveform::sine;
    c.unit = "°C";
    auto s = open_sensor(c, nullptr);
    ASSERT_TRUE(s);
    const auto r = sample(**s, 15);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].sensor, "sim");
    EXPECT_EQ(r[0].unit, "°C");
    EXPECT_EQ(r[0].label, "sine");
    EXPECT_EQ(r[0].value, 25.0);
}

TEST(Sensors, AValueFileOverTheLimitIsAnErrorNamingTheLimitNotAValue) {
    // A sensor file holds a few bytes; anything over 4 KiB (here a valid number padded past the
    // limit, /dev/zero in the field) is refused without being read into memory.
    test::ScratchDir d;
    d.put("t/thermal_zone0/temp", "1000" + std::string(5000, ' ') + "\n");
    auto s = open_sensor(sensor(SensorType::thermal, "z", d.file("t")), nullptr);
    ASSERT_TRUE(s);
    const auto r = sample(**s);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_FALSE(r[0].value);
    EXPECT_NE(r[0].error.find(d.file("t/thermal_zone0/temp") + " holds more than 4 KiB"), std::string::npos)
        << r[0].error;
}

TEST(Sensors, AFifoWithNothingToReadNeverBlocksTheSample) {
    // A sensor path that would block (a FIFO whose writer sends nothing) is an error at once:
    // a sample that waits would keep the agent from its readings and from SIGTERM.
    test::ScratchDir d;
    std::filesystem::create_directories(d.file("t/thermal_zone0"));
    const std::string fifo = d.file("t/thermal_zone0/temp");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const int writer = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // a writer that never writes
    ASSERT_GE(writer, 0);
    auto s = open_sensor(sensor(SensorType::thermal, "z", d.file("t")), nullptr);
    ASSERT_TRUE(s);
    auto done = std::make_shared<std::promise<std::vector<Reading>>>();
    auto result = done->get_future();
    std::shared_ptr<Sensor> shared(std::move(*s));
    // Detached: if the read blocked, the test reports it instead of hanging with it.
    std::thread([shared, done] { done->set_value(sample(*shared)); }).detach();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "the sample blocked on the FIFO";
    const auto r = result.get();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_FALSE(r[0].value);
    EXPECT_NE(r[0].error.find(fifo), std::string::npos) << r[0].error;
    ::close(writer);
}
