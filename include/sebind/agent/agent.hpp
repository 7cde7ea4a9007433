// SPDX-License-Identifier: Apache-2.0
// Agent: the device's main job. Samples the sensors every interval and publishes one JSON
// reading to devices/<CN>/telemetry through the persistent outbox; obeys commands on
// devices/<CN>/commands and answers on devices/<CN>/status; stops on request by delivering what
// it can, then DISCONNECT. One thread, no sleeps outside its waits (docs/agent.md).
//
//     std::string why;
//     auto agent = agent::Agent::create(config, se->device(), {.stop_fd = sigfd}, print_line, &why);
//     if (!agent) fail(agent.status(), why);
//     (void)(*agent)->run();          // returns after stop_fd became readable or --count readings
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sebind/agent/config.hpp"
#include "sebind/core/status.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::agent {

struct AgentOptions {
    std::uint64_t count = 0;        ///< stop after this many readings of this run were delivered (0 = until stopped)
    std::uint32_t interval_ms = 0;  ///< overrides [telemetry] interval_s when > 0
    /// Becomes readable when the agent must stop (a signalfd for SIGTERM/SIGINT, an eventfd, a
    /// pipe); -1 = only --count stops it. The agent never reads it.
    int stop_fd = -1;
    /// Called once when run() stops sampling (stop_fd, `count`, a chip that stays away), before
    /// the outbox is drained: a service manager's "stopping" notice.
    std::function<void()> on_stopping;
    /// Called while run() loops, at least every `alive_interval_ms` (its waits are cut to fit):
    /// a watchdog's keep-alive. 0 = never.
    std::function<void()> on_alive;
    std::uint32_t alive_interval_ms = 0;
};

/// One line per state change, without a line break and without key material.
using AgentLog = std::function<void(const std::string& line)>;

struct AgentStats {
    std::uint64_t readings = 0;            ///< taken (scheduled and on demand)
    std::uint64_t readings_delivered = 0;  ///< QoS 0: handed to a live connection; QoS 1/2: acknowledged
    std::uint64_t readings_refused = 0;    ///< acknowledged with a failure reason (5.0, e.g. 0x87)
    std::uint64_t readings_dropped = 0;    ///< not stored: outbox full or failing, or QoS 0 while offline
    std::uint64_t commands = 0;            ///< command messages received (valid or not)
    std::uint64_t commands_refused = 0;    ///< inbound messages too large or malformed: acknowledged, not obeyed
    std::size_t left_in_outbox = 0;        ///< after run(): kept for the next start
};

class Agent {
public:
    /// Everything that can be checked before going online, in order: the certificate in the
    /// identity zone and its pairing with the slot key (a chip signature), the sensors, the
    /// outbox (recovering what a previous run left), the sequence file. `device` must outlive the
    /// agent. On failure `detail` gets one line with the cause and the fix.
    /// Errors: those of DeviceIdentity::load (does_not_exist, corrupted_data, invalid_argument,
    /// invalid_signature, device errors), does_not_exist / invalid_argument (a sensor: nothing to
    /// read), storage_failure / corrupted_data (outbox or sequence file).
    static Result<std::unique_ptr<Agent>> create(const AgentConfig& config, stsafe::Device& device,
                                                 const AgentOptions& options, AgentLog log, std::string* detail);
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    /// Connection attempts in a row that may fail in the secure element before run() gives up
    /// (the link to the chip is opened again at each attempt; a chip that stays wedged needs a
    /// power cycle or a new process: the service manager restarts on the error).
    static constexpr std::uint32_t kChipFailuresBeforeExit = 10;

    /// Runs until stop_fd is readable or `count` readings were delivered, then stops sampling,
    /// delivers what is stored for up to [outbox] drain_timeout_s, sends DISCONNECT and returns.
    /// Messages not delivered stay in the outbox. Errors: communication_failure (stop_fd failed,
    /// or kChipFailuresBeforeExit connection attempts in a row failed in the secure element;
    /// sebind run exits 4, which the systemd unit restarts on).
    Status run();

    const AgentStats& stats() const noexcept;
    const std::string& common_name() const noexcept;
    const std::string& telemetry_topic() const noexcept;

private:
    struct Impl;
    explicit Agent(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace sebind::agent
