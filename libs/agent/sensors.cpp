// SPDX-License-Identifier: Apache-2.0
// Sensor implementations: sysfs thermal zones and hwmon inputs (millidegrees Celsius), /proc/loadavg,
// and the simulated waveform.
#include "sebind/agent/sensors.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numbers>

#include "sebind/host/files.hpp"

namespace sebind::agent {

namespace {

namespace fs = std::filesystem;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return s.substr(i);
}

/// The whole (small) file, or nullopt with the cause in `why`. Bounded and non-blocking: a
/// sensor pointed at /dev/zero or a FIFO neither fills memory nor stalls the agent.
std::optional<std::string> slurp(const std::string& path, std::string& why) {
    std::string text;
    const int err = host::read_file(path, host::limits::sensor_value, text);
    if (err == EFBIG) {
        why = path + " holds more than " + host::size_text(host::limits::sensor_value) +
              ", the limit for a sensor value — point the sensor at a value file (sysfs, /proc/loadavg)";
        return std::nullopt;
    }
    if (err == EAGAIN) {
        why = path + " has no value to read without waiting — point the sensor at a value file, not a FIFO or device";
        return std::nullopt;
    }
    if (err) {
        why = "cannot read " + path + ": " + std::strerror(err);
        return std::nullopt;
    }
    return text;
}

/// "thermal_zone12" -> 12, for natural ordering (zone10 after zone9).
long suffix_number(const std::string& name) {
    std::size_t i = name.size();
    while (i > 0 && std::isdigit(static_cast<unsigned char>(name[i - 1]))) --i;
    return i < name.size() ? std::strtol(name.c_str() + i, nullptr, 10) : -1;
}

bool natural_less(const std::string& a, const std::string& b) {
    const long na = suffix_number(a), nb = suffix_number(b);
    return na != nb ? na < nb : a < b;
}

double rounded(double v) { return std::round(v * 1000.0) / 1000.0; }

/// A file holding an integer in millidegrees Celsius (sysfs thermal and hwmon ABI).
struct MilliCelsiusChannel {
    std::string sensor;
    std::string label;
    std::string path;
};

class MilliCelsiusSensor final : public Sensor {
public:
    MilliCelsiusSensor(std::string name, std::vector<MilliCelsiusChannel> channels)
        : m_name(std::move(name)), m_channels(std::move(channels)) {}
    void sample(double, std::vector<Reading>& out) override {
        for (const auto& c : m_channels) {
            Reading r{c.sensor, c.label, std::nullopt, "°C", {}};
            std::string why;
            if (auto text = slurp(c.path, why)) {
                char* end = nullptr;
                const std::string t = trim(*text);
                const long long milli = std::strtoll(t.c_str(), &end, 10);
                if (!t.empty() && end && *end == '\0')
                    r.value = rounded(static_cast<double>(milli) / 1000.0);
                else
                    r.error = c.path + " holds '" + t.substr(0, 32) + "', not millidegrees";
            } else {
                r.error = why;
            }
            out.push_back(std::move(r));
        }
    }
    const std::string& name() const noexcept override { return m_name; }
    std::size_t channels() const noexcept override { return m_channels.size(); }

private:
    std::string m_name;
    std::vector<MilliCelsiusChannel> m_channels;
};

std::vector<std::string> entries_with_prefix(const std::string& root, const std::string& prefix) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        const std::string n = e.path().filename().string();
        if (n.rfind(prefix, 0) == 0) names.push_back(n);
    }
    std::sort(names.begin(), names.end(), natural_less);
    return names;
}

Result<std::unique_ptr<Sensor>> open_thermal(const SensorConfig& c, std::string* detail) {
    std::vector<MilliCelsiusChannel> channels;
    for (const auto& zone : entries_with_prefix(c.root, "thermal_zone")) {
        const std::string dir = c.root + "/" + zone;
        if (!c.only.empty() && std::find(c.only.begin(), c.only.end(), zone) == c.only.end()) continue;
        if (!fs::exists(dir + "/temp")) continue;
        std::string why;
        channels.push_back({c.name + "/" + zone, trim(slurp(dir + "/type", why).value_or("")), dir + "/temp"});
    }
    for (const auto& want : c.only)
        if (std::none_of(channels.begin(), channels.end(),
                         [&](const auto& ch) { return ch.path == c.root + "/" + want + "/temp"; })) {
            if (detail)
                *detail = "[[sensor]] \"" + c.name + "\": no thermal zone " + want + " under " + c.root +
                          " — list the zones with `ls " + c.root + "` and fix zones = [...]";
            return Errc::invalid_argument;
        }
    if (channels.empty()) {
        if (detail)
            *detail = "[[sensor]] \"" + c.name + "\": no thermal_zone*/temp under " + c.root +
                      " — this machine exposes no thermal zones: remove the entry or set root";
        return Errc::does_not_exist;
    }
    return std::unique_ptr<Sensor>(std::make_unique<MilliCelsiusSensor>(c.name, std::move(channels)));
}

Result<std::unique_ptr<Sensor>> open_hwmon(const SensorConfig& c, std::string* detail) {
    std::vector<MilliCelsiusChannel> channels;
    std::vector<std::string> chips_seen;
    for (const auto& hw : entries_with_prefix(c.root, "hwmon")) {
        const std::string dir = c.root + "/" + hw;
        std::string why;
        std::string chip = trim(slurp(dir + "/name", why).value_or(""));
        if (chip.empty()) chip = hw;
        if (!c.only.empty() && std::find(c.only.begin(), c.only.end(), chip) == c.only.end()) continue;
        // Two chips of one driver (two NVMe drives) share a name: the second is told apart by its node.
        const std::string shown = std::find(chips_seen.begin(), chips_seen.end(), chip) == chips_seen.end()
                                      ? chip
                                      : chip + "@" + hw;
        chips_seen.push_back(chip);
        for (const auto& input : entries_with_prefix(dir, "temp")) {
            const std::size_t suffix = input.rfind("_input");
            if (suffix == std::string::npos || suffix + 6 != input.size()) continue;
            const std::string base = input.substr(0, suffix);
            channels.push_back({c.name + "/" + shown + "/" + base,
                                trim(slurp(dir + "/" + base + "_label", why).value_or("")), dir + "/" + input});
        }
    }
    for (const auto& want : c.only)
        if (std::find(chips_seen.begin(), chips_seen.end(), want) == chips_seen.end()) {
            if (detail)
                *detail = "[[sensor]] \"" + c.name + "\": no hwmon chip named " + want + " under " + c.root +
                          " — see `cat " + c.root + "/hwmon*/name` and fix chips = [...]";
            return Errc::invalid_argument;
        }
    if (channels.empty()) {
        if (detail)
            *detail = "[[sensor]] \"" + c.name + "\": no hwmon*/temp*_input under " + c.root +
                      " — this machine exposes no hwmon temperatures: remove the entry or set root";
        return Errc::does_not_exist;
    }
    return std::unique_ptr<Sensor>(std::make_unique<MilliCelsiusSensor>(c.name, std::move(channels)));
}

class LoadavgSensor final : public Sensor {
public:
    LoadavgSensor(std::string name, std::string path) : m_name(std::move(name)), m_path(std::move(path)) {}
    void sample(double, std::vector<Reading>& out) override {
        static const char* const kWindows[] = {"1m", "5m", "15m"};
        std::string why;
        const auto text = slurp(m_path, why);
        double v[3] = {};
        const bool ok = text && std::sscanf(text->c_str(), "%lf %lf %lf", &v[0], &v[1], &v[2]) == 3;
        if (text && !ok) why = m_path + " does not start with three load averages";
        for (int i = 0; i < 3; ++i) {
            Reading r{m_name + "/" + kWindows[i], {}, std::nullopt, "", {}};
            if (ok)
                r.value = v[i];
            else
                r.error = why;
            out.push_back(std::move(r));
        }
    }
    const std::string& name() const noexcept override { return m_name; }
    std::size_t channels() const noexcept override { return 3; }

private:
    std::string m_name, m_path;
};

class SimulatedSensor final : public Sensor {
public:
    explicit SimulatedSensor(const SensorConfig& c) : m_config(c) {}
    void sample(double t_s, std::vector<Reading>& out) override {
        out.push_back(
            {m_config.name, to_string(m_config.waveform), rounded(waveform_value(m_config, t_s)), m_config.unit, {}});
    }
    const std::string& name() const noexcept override { return m_config.name; }
    std::size_t channels() const noexcept override { return 1; }

private:
    SensorConfig m_config;
};

}  // namespace

double waveform_value(const SensorConfig& c, double t_s) noexcept {
    const double phase = c.period_s > 0 ? t_s / c.period_s - std::floor(t_s / c.period_s) : 0.0;  // 0 <= phase < 1
    const double span = c.max - c.min;
    switch (c.waveform) {
        case Waveform::sine: return c.min + span * (0.5 + 0.5 * std::sin(2.0 * std::numbers::pi * phase));
        case Waveform::triangle: return c.min + span * (phase < 0.5 ? 2.0 * phase : 2.0 - 2.0 * phase);
        case Waveform::sawtooth: return c.min + span * phase;
        case Waveform::square: return phase < 0.5 ? c.max : c.min;
        case Waveform::constant: return c.min;
    }
    return c.min;
}

Result<std::unique_ptr<Sensor>> open_sensor(const SensorConfig& config, std::string* detail) {
    switch (config.type) {
        case SensorType::thermal: return open_thermal(config, detail);
        case SensorType::hwmon: return open_hwmon(config, detail);
        case SensorType::loadavg: {
            std::string why;
            if (!slurp(config.root, why)) {
                if (detail)
                    *detail = "[[sensor]] \"" + config.name + "\": " + why +
                              " — remove the entry or set path to the load average file";
                return Errc::does_not_exist;
            }
            return std::unique_ptr<Sensor>(std::make_unique<LoadavgSensor>(config.name, config.root));
        }
        case SensorType::simulated: return std::unique_ptr<Sensor>(std::make_unique<SimulatedSensor>(config));
    }
    return Errc::invalid_argument;
}

}  // namespace sebind::agent
