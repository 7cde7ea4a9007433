// SPDX-License-Identifier: Apache-2.0
// Sensors of the agent: Linux thermal zones, hwmon temperature inputs, the load average, and a
// simulated sensor (a deterministic waveform). Roots are configurable so tests use fake sysfs trees.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sebind/agent/config.hpp"
#include "sebind/core/result.hpp"

namespace sebind::agent {

/// One value of one channel at one instant.
struct Reading {
    std::string sensor;           ///< "<sensor name>/<channel>", e.g. "cpu/thermal_zone0", "load/1m"
    std::string label;            ///< what the system calls the channel (thermal type, hwmon label), may be empty
    std::optional<double> value;  ///< absent when the read failed
    std::string unit;
    std::string error;  ///< why the read failed (one line), when it did
};

class Sensor {
public:
    virtual ~Sensor() = default;
    /// Appends one reading per channel. `t_s`: seconds since the agent started (monotonic).
    virtual void sample(double t_s, std::vector<Reading>& out) = 0;
    /// The configured name (prefix of its readings).
    virtual const std::string& name() const noexcept = 0;
    /// Channels found at start (thermal zones, hwmon inputs; 3 for loadavg; 1 for simulated).
    virtual std::size_t channels() const noexcept = 0;
};

/// Opens a sensor: finds its channels now, so a configuration naming hardware this machine lacks
/// fails at start. Errors: does_not_exist (no zone / input / file; `detail` says which and the
/// fix), invalid_argument (a zone or chip named in the configuration is not there).
Result<std::unique_ptr<Sensor>> open_sensor(const SensorConfig& config, std::string* detail);

/// The simulated sensor's value at `t_s` seconds: sine, triangle and sawtooth sweep [min, max]
/// once per period_s, square is max for the first half-period then min, constant is min.
double waveform_value(const SensorConfig& config, double t_s) noexcept;

}  // namespace sebind::agent
