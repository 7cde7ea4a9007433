// SPDX-License-Identifier: Apache-2.0
// Agent: start-up checks (identity, sensors, outbox, sequence file), the main loop and shutdown.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <functional>

#include <poll.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include "agent_impl.hpp"
#include "sebind/identity/identity.hpp"

namespace sebind::agent {

namespace {

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s);
    return buf;
}

/// Time left until `deadline` (0 when due), wrap-safe.
std::uint32_t until(std::uint32_t now, std::uint32_t deadline) {
    const auto left = static_cast<std::int32_t>(deadline - now);
    return left > 0 ? static_cast<std::uint32_t>(left) : 0;
}

}  // namespace

Status Agent::Impl::start(stsafe::Device& device, std::string* detail) {
    auto set = [detail](const std::string& line) {
        if (detail) *detail = line;
    };
    const std::uint8_t zone = config.zone.value_or(identity::default_zone(config.slot));
    auto id = DeviceIdentity::load(device, config.slot, zone, detail);
    if (!id) return id.status();
    identity = std::move(*id);
    if (!config.chain_file.empty())
        if (const Status st = identity->add_chain_file(config.chain_file, detail); !st.ok()) return st;
    const std::string& cn = identity->common_name();
    say("identity: " + identity->subject() + " (issuer " + identity->issuer() + ", valid until " +
        identity->not_after() + "), slot " + std::to_string(config.slot) + " key paired with the certificate in zone " +
        std::to_string(zone));
    if (identity->outside_validity())
        say("warning: the device certificate is outside its validity period by this clock — the broker will refuse it "
            "if "
            "the clock is right: renew it (docs/provisioning.md)");

    std::string skipped;
    for (const auto& sc : config.sensors) {
        std::string why;
        auto s = open_sensor(sc, &why);
        // A thermal or hwmon entry that takes whatever the machine has, on a machine that has none
        // (a VM, a container, a board without sensors): the readings come without it.
        if (!s && s.status().code() == Errc::does_not_exist) {
            skipped = config.source + ":" + std::to_string(sc.line) + ": " + why;
            say("warning: " + skipped + "; the sensor is skipped");
            continue;
        }
        if (!s) {
            set(why);
            return s.status();
        }
        sensors.push_back(std::move(*s));
    }
    if (sensors.empty() && !skipped.empty()) {
        set(skipped + " (no other sensor is configured)");
        return Status(Errc::does_not_exist);
    }
    std::string list;
    for (const auto& s : sensors)
        list += (list.empty() ? "" : ", ") + s->name() + " (" + std::to_string(s->channels()) + " channel" +
                (s->channels() == 1 ? "" : "s") + ")";
    say("sensors: " + list);

    ::mkdir(config.outbox_dir.c_str(), 0700);  // one level, like PosixFileStorage; parents are the installer's job
    auto st = mqtt::PosixFileStorage::open(config.outbox_dir);
    if (!st) {
        set("cannot open the outbox in " + config.outbox_dir +
            " — check that the directory exists and is writable ([outbox] dir)");
        return st.status();
    }
    storage = std::move(*st);
    mqtt::OutboxConfig oc;
    oc.max_messages = config.max_messages;
    oc.max_bytes = config.max_bytes;
    oc.sync = config.sync;
    outbox = std::make_unique<mqtt::Outbox>(*storage, clock, oc);
    if (const Status os = outbox->open(); !os.ok()) {
        if (os.code() == Errc::corrupted_data)
            set(storage->path() +
                " is not an outbox log or its header is damaged — move it away (its messages are lost) and start "
                "again");
        else
            set("cannot read the outbox " + storage->path() + ": " + std::strerror(storage->last_errno()) +
                " — check the disk and permissions");
        return os;
    }
    const auto& rec = outbox->recovery();
    say("outbox: " + storage->path() + ", " + std::to_string(rec.messages) + " message(s) kept from a previous run" +
        (rec.torn_tail || rec.corrupt_record
             ? ", a damaged tail of " + std::to_string(rec.discarded_bytes) + " byte(s) dropped"
             : ""));

    auto sq = SeqStore::open(config.outbox_dir);
    if (!sq && sq.status().code() == Errc::out_of_range) {
        set(config.outbox_dir + "/agent.seq holds a number beyond " + std::to_string(SeqStore::kMax) +
            ", the largest seq (numbers never wrap to 0) — the file is damaged: write the last seq the broker received "
            "+ 1000 in it");
        return sq.status();
    }
    if (!sq) {
        set(config.outbox_dir + "/agent.seq cannot be " +
            (sq.status().code() == Errc::corrupted_data ? "parsed" : "written") +
            " — check the directory; delete the file only if readings may restart at seq 1");
        return sq.status();
    }
    seq.emplace(std::move(*sq));

    client_id = config.client_id.empty() ? cn : config.client_id;
    if (const std::string why = client_id_problem(
            client_id, config.client_id.empty() ? "the client id (the certificate's CN)" : "[broker] client_id");
        !why.empty()) {
        set(why);
        return Status(Errc::invalid_argument);
    }
    telemetry_topic = expand_topic(config.topic.empty() ? "devices/{cn}/telemetry" : config.topic, cn);
    status_topic = "devices/" + cn + "/status";
    command_topic = "devices/" + cn + "/commands";
    if (telemetry_topic.rfind("devices/" + cn + "/", 0) != 0)
        say("warning: telemetry topic " + telemetry_topic + " is outside devices/" + cn +
            "/ — brokers with a per-device ACL (sebind pki dev) will refuse it");
    m_interval_ms = options.interval_ms > 0 ? options.interval_ms
                                            : static_cast<std::uint32_t>(std::llround(config.interval_s * 1000));

    // The will tells subscribers the device went away without saying goodbye (retained, like
    // the "online" message it replaces).
    will_payload = nlohmann::ordered_json{{"device", cn}, {"state", "offline"}, {"reason", "connection lost"}}.dump();
    will.topic = status_topic;
    will.payload = Bytes(reinterpret_cast<const std::uint8_t*>(will_payload.data()), will_payload.size());
    will.qos = mqtt::QoS::at_least_once;
    will.retain = true;

    UplinkConfig uc;
    uc.session.version = config.protocol;
    uc.session.client_id = client_id;
    uc.session.clean_start = config.clean_start;
    uc.session.keep_alive_s = config.keep_alive_s;
    uc.session.session_expiry_s = config.clean_start ? 0 : config.session_expiry_s;
    uc.session.will = &will;
    uc.session.connect_timeout_ms = config.timeout_ms;
    uc.backoff = {config.reconnect_initial_ms, config.reconnect_max_ms, 2, 50};
    uc.backoff_seed = std::hash<std::string>{}(client_id);
    // step() waits this long for broker data when idle: keep it well under the interval.
    uc.recv_wait_ms = std::clamp<std::uint32_t>(m_interval_ms / 4, 5, 50);
    rx_limit = uc.rx_bytes;

    uplink = std::make_unique<Uplink>(uc, make_connector(device), clock, *outbox, *this,
                                      [this](const std::string& line) { say(line); });
    uplink->set_subscriptions({command_topic}, mqtt::QoS::at_least_once);
    return Status::success();
}

Connector Agent::Impl::make_connector(stsafe::Device& device) {
    ConnectorOptions o;
    o.stack = config.stack;
    o.tls_version = config.tls_version;
    o.host = config.host;
    o.port = config.port;
    o.ca_file = config.ca_file;
    o.alpn = config.alpn;
    o.timeout_ms = config.timeout_ms;
    o.session_tickets = config.session_tickets;
    o.chip_ecdhe = config.chip_ecdhe;
    o.chain = identity->chain();
    o.key = identity->key();
    o.device = &device;
    o.slot = config.slot;
    return agent::make_connector(o, caches);
}

bool Agent::Impl::stop_requested(std::uint32_t wait_ms) {
    if (options.stop_fd < 0) {
        if (wait_ms > 0) clock.delay_ms(wait_ms);
        return false;
    }
    pollfd p{options.stop_fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<std::uint32_t>(wait_ms, 60'000)));
    return r > 0;
}

Status Agent::Impl::run() {
    say("running: " + telemetry_topic + " every " + seconds_text(m_interval_ms / 1000.0) + " at QoS " +
        std::to_string(static_cast<int>(config.qos)) + ", commands on " + command_topic + ", broker " + config.host +
        ":" + std::to_string(config.port) + " (MQTT " + (config.protocol == mqtt::ProtocolVersion::v5 ? "5" : "3.1.1") +
        ")");
    start_ms = clock.now_ms();
    next_sample_ms = start_ms;
    std::string stop_reason;
    Status result = Status::success();
    std::uint32_t alive_ms = start_ms;
    if (options.on_alive && options.alive_interval_ms > 0) options.on_alive();
    for (;;) {
        if (options.on_alive && options.alive_interval_ms > 0 &&
            elapsed_ms(alive_ms, clock.now_ms()) >= options.alive_interval_ms) {
            alive_ms = clock.now_ms();
            options.on_alive();
        }
        if (uplink->stats().chip_failures_in_a_row >= kChipFailuresBeforeExit) {
            stop_reason = "the secure element failed " + std::to_string(uplink->stats().chip_failures_in_a_row) +
                          " connection attempts in a row (a new process starts it afresh)";
            result = Status(Errc::communication_failure);
            break;
        }
        if (options.count > 0 && stats.readings_delivered >= options.count) {
            stop_reason = std::to_string(stats.readings_delivered) + " reading(s) delivered (--count)";
            break;
        }
        const std::uint32_t now = clock.now_ms();
        // At QoS 0 the first reading waits for the first connection attempt to end (or its
        // timeout), so a starting device does not drop it or log "offline" needlessly. QoS 1/2
        // readings are stored whatever the link does: sampling starts at once.
        if (!uplink_settled && (config.qos != mqtt::QoS::at_most_once || uplink->stats().tls_failures > 0 ||
                                elapsed_ms(start_ms, now) > config.timeout_ms + 1000))
            uplink_settled = true;
        if (!uplink_settled) {
            // Not sampling yet: the uplink's own step() paces the loop.
        } else if (publish_now) {
            publish_now = false;
            take_reading(true);
        } else if (until(now, next_sample_ms) == 0) {
            take_reading(false);
            // Keep the schedule, but never try to catch up a backlog of missed samples.
            next_sample_ms += m_interval_ms;
            if (until(clock.now_ms(), next_sample_ms) == 0) next_sample_ms = clock.now_ms() + m_interval_ms;
        }
        for (auto& [fields, retain] : status_queue) publish_status(fields, retain);
        status_queue.clear();
        uplink->step();

        std::uint32_t wait = std::min(uplink->ms_until_next_step(), until(clock.now_ms(), next_sample_ms));
        if (!uplink_settled) wait = std::min<std::uint32_t>(wait, 50);
        if (publish_now || !status_queue.empty()) wait = 0;
        if (options.on_alive && options.alive_interval_ms > 0)
            wait = std::min(wait, options.alive_interval_ms -
                                      std::min(options.alive_interval_ms, elapsed_ms(alive_ms, clock.now_ms())));
        if (stop_requested(wait)) {
            stop_reason = "stop requested (signal)";
            break;
        }
    }

    if (options.on_stopping) options.on_stopping();
    say("stopping: " + stop_reason + "; sampling stopped, delivering what is stored (up to " +
        seconds_text(config.drain_timeout_ms / 1000.0) + ")");
    for (auto& [fields, retain] : status_queue) publish_status(fields, retain);
    status_queue.clear();
    if (uplink->connected()) publish_status(R"({"state":"offline","reason":"stopped"})", true);
    stats.left_in_outbox = uplink->drain(config.drain_timeout_ms);
    if (const Status f = outbox->flush(); !f.ok())
        say("outbox: final sync failed: " + std::string(std::strerror(storage->last_errno())));
    if (const Status c = seq->close(); !c.ok())
        say("warning: could not record the next seq in " + config.outbox_dir + "/agent.seq");
    say("stopped: " + std::to_string(stats.readings_delivered) + " reading(s) delivered, " +
        std::to_string(stats.readings_refused) + " refused, " + std::to_string(stats.readings_dropped) +
        " not stored; " + std::to_string(stats.left_in_outbox) + " message(s) left in the outbox for the next start");
    return result;
}

Agent::Agent(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Agent::~Agent() = default;

Result<std::unique_ptr<Agent>> Agent::create(const AgentConfig& config, stsafe::Device& device,
                                             const AgentOptions& options, AgentLog log, std::string* detail) {
    auto impl = std::make_unique<Impl>(config, options, std::move(log));
    if (const Status st = impl->start(device, detail); !st.ok()) return st;
    return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

Status Agent::run() { return m_impl->run(); }
const AgentStats& Agent::stats() const noexcept { return m_impl->stats; }
const std::string& Agent::common_name() const noexcept { return m_impl->identity->common_name(); }
const std::string& Agent::telemetry_topic() const noexcept { return m_impl->telemetry_topic; }

}  // namespace sebind::agent
