// SPDX-License-Identifier: Apache-2.0
// QoS 1 over mutual TLS to a local mosquitto 2.0 (issue #5), all measured in one run:
//   messages/s of agent::Uplink (chip key, emulator) vs `mosquitto_pub -l -q 1 -M 20` with a
//   software key, both counted at a mosquitto_sub (target: ours/mosquitto_pub >= 1.2)
//   CPU per message of each (target: ours <= mosquitto_pub's)
//   resident memory (ru_maxrss) of the real `sebind run` agent, mosquitto_pub's as the baseline
//   (also printed: the broker's and the subscriber's CPU per message, to see where the time goes)
// `bench_mqtt [MESSAGES [ROUNDS]]`: 20000 messages and 5 rounds (medians) by default; `bench_mqtt 500 1`
// is a smoke run.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "../tests/interop/support/peer.hpp"
#include "../tests/interop/support/process.hpp"
#include "sebind/agent/uplink.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/dev_pki.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/mqtt/outbox/posix_storage.hpp"
#include "sebind/se_uri/se_uri.hpp"

#ifndef SEBIND_BIN
#error "SEBIND_BIN must name the sebind executable"
#endif

namespace {

using namespace sebind;
using Wall = std::chrono::steady_clock;

constexpr std::size_t kPayloadBytes = 100;
constexpr std::uint16_t kWindow = 20;  // ours: SessionConfig::max_inflight; mosquitto_pub: -M
constexpr const char* kDevice = "device-001";
constexpr const char* kSoftDevice = "device-sw1";  // same length: both topics encode to the same size
constexpr int kDeadlineS = 300;

/// A failure unwinds to main, so the destructors stop the broker and every child by PID.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void die(const std::string& what) { throw Failure(what); }

double seconds_since(Wall::time_point t0, Wall::time_point t1) {
    return std::chrono::duration<double>(t1 - t0).count();
}

double cpu_us(const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/// user+sys of a process we did not fork (the broker), from /proc: clock-tick resolution.
double process_cpu_us(pid_t pid) {
    const std::string stat = test::read_text("/proc/" + std::to_string(pid) + "/stat");
    const std::size_t comm_end = stat.rfind(')');
    if (comm_end == std::string::npos) return 0;
    // Fields after "(comm)": state is the 3rd of stat(5), utime the 14th and stime the 15th.
    unsigned long utime = 0, stime = 0;
    if (std::sscanf(stat.c_str() + comm_end + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                    &stime) != 2)
        return 0;
    return static_cast<double>(utime + stime) * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double thread_cpu_us() {
    rusage u{};
    ::getrusage(RUSAGE_THREAD, &u);
    return cpu_us(u);
}

/// Message `i`: exactly kPayloadBytes, its number first so the subscriber's lines can be checked.
std::string payload(int i) {
    char head[16];
    const int n = std::snprintf(head, sizeof head, "m-%07d-", i);
    std::string p(head, static_cast<std::size_t>(n));
    p.resize(kPayloadBytes, 'x');
    return p;
}

/// A child process we wait for with wait4(), for its rusage (test::Peer reaps with waitpid).
/// stdin comes from a file, stdout goes to `out_fd` (a pipe or a file), stderr to `err_path`.
class Child {
public:
    Child(const std::vector<std::string>& argv, const std::string& in_path, int out_fd, const std::string& err_path) {
        const int in = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in < 0 || err < 0) die("cannot open " + (in < 0 ? in_path : err_path));
        // Built before fork: other threads run, so the child must not allocate before exec.
        std::vector<std::string> copy = argv;
        std::vector<char*> args;
        for (auto& a : copy) args.push_back(a.data());
        args.push_back(nullptr);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(in, 0);
            ::dup2(out_fd, 1);
            ::dup2(err, 2);
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
        ::close(in);
        ::close(err);
        if (m_pid < 0) die("fork failed");
        // A pidfd turns "the child exited" into something poll() can wait for with a deadline.
        m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0));
        if (m_pidfd < 0) die("pidfd_open failed");
    }
    ~Child() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            (void)::wait4(m_pid, &m_status, 0, &m_usage);
        }
        if (m_pidfd >= 0) ::close(m_pidfd);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    /// Waits until the child exits or `timeout_ms` passes; true when it exited with status 0.
    bool wait(int timeout_ms) {
        if (m_pid <= 0) return exited_ok();
        pollfd p{m_pidfd, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        if (::wait4(m_pid, &m_status, 0, &m_usage) != m_pid) return false;
        m_pid = -1;
        return exited_ok();
    }
    void stop() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGTERM);
        if (!wait(5000) && m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            (void)::wait4(m_pid, &m_status, 0, &m_usage);
            m_pid = -1;
        }
    }
    bool running() const { return m_pid > 0; }
    const rusage& usage() const { return m_usage; }
    int exit_code() const { return WIFEXITED(m_status) ? WEXITSTATUS(m_status) : -1; }

private:
    bool exited_ok() const { return WIFEXITED(m_status) && WEXITSTATUS(m_status) == 0; }
    pid_t m_pid = -1;
    int m_pidfd = -1;
    int m_status = -1;
    rusage m_usage{};
};

/// mosquitto_sub as the monitor on devices/+/telemetry at QoS 1, exiting after `count` messages
/// (-C). A thread reads its stdout (full buffering: no write per line competing for the two
/// cores) and notes when the count-th line arrived; it runs apart from the publishing thread,
/// whose CPU time is what we measure.
class Subscriber {
public:
    Subscriber(test::Peer& broker, const test::TempDir& dir, int port, int count, const std::string& id)
        : m_count(count) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) die("pipe failed");
        const std::string pki = dir.file("pki");
        m_child = std::make_unique<Child>(
            std::vector<std::string>{"mosquitto_sub", "-h", "localhost", "-p", std::to_string(port), "--cafile",
                                     pki + "/ca.pem", "--cert", pki + "/monitor.pem", "--key", pki + "/monitor.key",
                                     "-i", id, "-t", "devices/+/telemetry", "-q", "1", "-C", std::to_string(count)},
            "/dev/null", fds[1], dir.file(id + ".err"));
        ::close(fds[1]);
        m_reader = std::jthread([this, fd = fds[0]] { read_all(fd); });
        // The broker logs each subscription (log_type subscribe) while handling SUBSCRIBE: from
        // then on every PUBLISH it handles reaches this subscriber.
        if (!broker.wait_for(id + " 1 devices/+/telemetry", 10000))
            die("mosquitto_sub " + id + " did not subscribe: " + test::read_text(dir.file(id + ".err")));
    }
    ~Subscriber() { m_child->stop(); }  // then the reader meets EOF and is joined

    /// When the count-th message was printed; nullopt if it was not within `timeout_s`.
    std::optional<Wall::time_point> wait_last(int timeout_s) {
        std::unique_lock lock(m_mutex);
        m_cv.wait_for(lock, std::chrono::seconds(timeout_s), [this] { return m_lines >= m_count || m_eof; });
        if (m_lines < m_count) return std::nullopt;
        return m_last;
    }
    /// Waits for the subscriber to exit (-C reached) and checks every message arrived once;
    /// returns the duplicates.
    int check(const std::string& label) {
        if (!m_child->wait(10000))
            die(label + ": mosquitto_sub did not exit after " + std::to_string(m_count) + " messages");
        m_reader.join();
        std::vector<int> seen(static_cast<std::size_t>(m_count), 0);
        int lines = 0, foreign = 0;
        for (std::size_t at = 0; at < m_text.size();) {
            std::size_t end = m_text.find('\n', at);
            if (end == std::string::npos) end = m_text.size();
            const std::string line = m_text.substr(at, end - at);
            at = end + 1;
            ++lines;
            const int i = line.size() == kPayloadBytes && line.rfind("m-", 0) == 0 ? std::atoi(line.c_str() + 2) : -1;
            if (i >= 0 && i < m_count && line == payload(i))
                ++seen[static_cast<std::size_t>(i)];
            else
                ++foreign;
        }
        const auto missing = std::count(seen.begin(), seen.end(), 0);
        const int duplicates = lines - foreign - static_cast<int>(m_count - missing);
        // -C counts duplicates too: one would show here as a message missing.
        if (missing != 0 || foreign != 0)
            die(label + ": " + std::to_string(missing) + " of " + std::to_string(m_count) +
                " messages missing at the subscriber (" + std::to_string(duplicates) + " duplicates, " +
                std::to_string(foreign) + " unexpected lines)");
        return duplicates;
    }
    /// user+sys of mosquitto_sub, once check() saw it exit.
    double cpu() const { return cpu_us(m_child->usage()); }

private:
    void read_all(int fd) {
        char buf[1 << 16];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            std::lock_guard lock(m_mutex);
            if (n <= 0) {
                ::close(fd);
                m_eof = true;
                m_cv.notify_all();
                return;
            }
            m_text.append(buf, static_cast<std::size_t>(n));
            const int before = m_lines;
            m_lines += static_cast<int>(std::count(buf, buf + n, '\n'));
            if (before < m_count && m_lines >= m_count) {
                m_last = Wall::now();
                m_cv.notify_all();
            }
        }
    }

    // Destroyed bottom-up: the child goes first (EOF for the reader), then the reader is
    // joined, then what it wrote to.
    int m_count;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::string m_text;
    int m_lines = 0;
    bool m_eof = false;
    Wall::time_point m_last;
    std::jthread m_reader;
    std::unique_ptr<Child> m_child;
};

/// The device key in the emulated chip (zero latency, in memory) with its certificate, for TLS.
struct ChipKey {
    std::unique_ptr<emu::Chip> chip;
    std::unique_ptr<emu::EmulatedBus> bus;
    std::unique_ptr<stsafe::Device> device;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;

    ChipKey(const std::string& se_dir, const std::string& crt_pem, Clock& clock) {
        mbedtls_x509_crt_init(&chain);
        mbedtls_pk_init(&key);
        emu::OpenOptions open;
        open.persist = false;
        auto opened = emu::Chip::open(se_dir, open);
        if (!opened) die("emulator open");
        chip = std::move(*opened);
        bus = std::make_unique<emu::EmulatedBus>(*chip, clock);
        device = std::make_unique<stsafe::Device>(*bus, clock, emu::kDriverConfig);
        if (mbedtls_x509_crt_parse(&chain, reinterpret_cast<const unsigned char*>(crt_pem.c_str()),
                                   crt_pem.size() + 1) != 0)
            die("device certificate");
        auto pub = mbedtls_util::public_key_of(chain.pk);
        if (!pub || !mbedtls_util::setup_se_key(key, *device, stsafe::kSlotUser, *pub).ok()) die("SE key");
    }
    ~ChipKey() {
        mbedtls_pk_free(&key);  // refers to the device
        mbedtls_x509_crt_free(&chain);
    }
};

/// Factory provisioning of a chip on disk, as `sebind run` expects it: slot-1 key, CSR, dev CA
/// signature, certificate in zone 4. Returns the certificate (PEM).
std::string provision(const std::string& se_dir, const std::string& pki, Clock& clock) {
    if (!emu::init_chip(se_dir, {}).ok()) die("emulator init");
    auto chip = emu::Chip::open(se_dir, {});
    if (!chip) die("emulator open");
    emu::EmulatedBus bus(**chip, clock);
    stsafe::Device se(bus, clock, emu::kDriverConfig);
    if (!identity::keygen(se, {})) die("keygen");
    auto csr = identity::make_csr(se, stsafe::kSlotUser, 4, std::string("CN=") + kDevice + ",O=sebind bench", {});
    if (!csr) die("CSR");
    auto crt = identity::sign_csr(pki, *csr, 30);
    if (!crt) die("signing the device certificate");
    if (!identity::store_certificate(se, Bytes(reinterpret_cast<const std::uint8_t*>(crt->data()), crt->size()), {}))
        die("storing the device certificate");
    return *crt;
}

struct Run {
    double seconds = 0;
    double cpu_us = 0;
    long maxrss_kb = 0;
    int duplicates = 0;
    double broker_us = 0;      // where the rest of the machine's time went: the broker...
    double subscriber_us = 0;  // ...and the subscriber
};

/// The application: publishes the next messages while the store takes them, between steps and
/// from on_delivered (a handler may publish). One step() reads up to 64 rounds of
/// acknowledgements, more than a 1000-message store holds; refilling only between steps, as
/// uplink_test does, would let the store run dry inside a step and leave the window empty.
class Feeder final : public mqtt::SessionHandler {
public:
    Feeder(int count, std::string topic) : m_topic(std::move(topic)) {
        for (int i = 0; i < count; ++i) m_messages.push_back(payload(i));
    }
    void attach(agent::Uplink& up) noexcept { m_up = &up; }
    /// Publishes until the store is full (busy: room comes with acknowledgements).
    void top_up() noexcept {
        while (m_failure.ok() && m_published < m_messages.size()) {
            const std::string& m = m_messages[m_published];
            const auto r = m_up->publish(m_topic, Bytes(reinterpret_cast<const std::uint8_t*>(m.data()), m.size()),
                                         mqtt::QoS::at_least_once);
            if (!r) {
                if (r.status().code() != Errc::busy) m_failure = r.status();
                return;
            }
            ++m_published;
        }
    }
    void on_delivered(std::uint16_t, std::uint64_t, std::uint8_t reason) noexcept override {
        ++(reason < 0x80 ? m_delivered : m_refused);
        top_up();
    }
    int finished() const noexcept { return m_delivered + m_refused; }
    int refused() const noexcept { return m_refused; }
    Status failure() const noexcept { return m_failure; }

private:
    std::string m_topic;
    std::vector<std::string> m_messages;
    agent::Uplink* m_up = nullptr;
    std::size_t m_published = 0;
    int m_delivered = 0, m_refused = 0;
    Status m_failure;
};

/// Ours: agent::Uplink publishing `count` messages with the window kept full (see Feeder).
Run run_ours(test::Peer& broker, const test::TempDir& dir, int port, int count, ChipKey& id, mqtt::MessageStore& store,
             Clock& clock, const std::string& label) {
    Subscriber sub(broker, dir, port, count, "bench-sub-" + label);
    Feeder app(count, std::string("devices/") + kDevice + "/telemetry");
    agent::UplinkConfig c;
    c.session.client_id = kDevice;
    c.session.max_inflight = kWindow;
    tls_mbedtls::ClientOptions o;
    o.host = "localhost";
    o.port = static_cast<std::uint16_t>(port);
    o.ca_file = dir.file("pki/ca.pem");
    o.own_chain = &id.chain;
    o.own_key = &id.key;

    const double broker0 = process_cpu_us(broker.pid());
    const double cpu0 = thread_cpu_us();
    const auto t0 = Wall::now();
    agent::Uplink up(c, agent::mbedtls_connector(o, nullptr), clock, store, app);
    app.attach(up);
    while (app.finished() < count) {
        app.top_up();
        up.step();
        if (!app.failure().ok()) die(label + ": publish failed: " + to_string(app.failure().code()));
        if (up.stats().tls_failures != 0) die(label + ": TLS failed: " + up.last_tls_failure().cause);
        if (up.stats().disconnects != 0) die(label + ": the connection dropped: " + broker.output());
        if (seconds_since(t0, Wall::now()) > kDeadlineS)
            die(label + ": no end after " + std::to_string(kDeadlineS) + " s");
    }
    const double cpu1 = thread_cpu_us();
    if (app.refused() != 0) die(label + ": " + std::to_string(app.refused()) + " messages refused by the broker");
    const auto last = sub.wait_last(30);
    if (!last) die(label + ": the subscriber did not print message " + std::to_string(count));
    Run r;
    r.seconds = seconds_since(t0, *last);
    r.cpu_us = cpu1 - cpu0;
    r.broker_us = process_cpu_us(broker.pid()) - broker0;
    up.drain(1000);
    r.duplicates = sub.check(label);
    r.subscriber_us = sub.cpu();
    return r;
}

/// ru_maxrss of a child forked from this process starts at this process's own peak (the copied
/// address space's high-water mark is kept across exec), which would report the bench's memory,
/// not the child's. GNU time forks the command from its own small image and writes the
/// command's ru_maxrss (KB) to `report`; its CPU time reaches our wait4 with the command's.
std::vector<std::string> under_time(const std::string& report, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"/usr/bin/time", "-o", report, "-f", "%M"});
    return argv;
}

long reported_maxrss_kb(const std::string& report) {
    const std::string text = test::read_text(report);  // "Command exited with ..." may come first
    const std::size_t line = text.find_last_of('\n', text.size() >= 2 ? text.size() - 2 : 0);
    return std::atol(text.c_str() + (line == std::string::npos ? 0 : line + 1));
}

std::vector<std::string> mosquitto_pub_argv(const test::TempDir& dir, int port) {
    return {"mosquitto_pub",
            "-h",
            "localhost",
            "-p",
            std::to_string(port),
            "--cafile",
            dir.file("pki/ca.pem"),
            "--cert",
            dir.file("soft.pem"),
            "--key",
            dir.file("soft.key"),
            "-i",
            kSoftDevice,
            "-t",
            std::string("devices/") + kSoftDevice + "/telemetry",
            "-q",
            "1",
            "-M",
            std::to_string(kWindow),
            "-l"};
}

void write_lines(const std::string& path, int count) {
    std::string lines;
    for (int i = 0; i < count; ++i) lines += payload(i) + "\n";  // -l: the payload is the line without '\n'
    test::write_file(path, lines);
}

/// The baseline: mosquitto_pub reading the same messages as lines from stdin.
Run run_mosquitto_pub(test::Peer& broker, const test::TempDir& dir, int port, int count, const std::string& label) {
    write_lines(dir.file("lines.txt"), count);
    Subscriber sub(broker, dir, port, count, "bench-sub-" + label);
    const int out = ::open(dir.file("mosquitto_pub.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const double broker0 = process_cpu_us(broker.pid());
    const auto t0 = Wall::now();
    Child pub(under_time(dir.file("mosquitto_pub.rss"), mosquitto_pub_argv(dir, port)), dir.file("lines.txt"), out,
              dir.file("mosquitto_pub.err"));
    ::close(out);
    const auto last = sub.wait_last(kDeadlineS);
    if (!last)
        die("mosquitto_pub: the subscriber did not print message " + std::to_string(count) + ": " +
            test::read_text(dir.file("mosquitto_pub.err")));
    if (!pub.wait(30000)) die("mosquitto_pub failed: " + test::read_text(dir.file("mosquitto_pub.err")));
    Run r;
    r.seconds = seconds_since(t0, *last);
    r.broker_us = process_cpu_us(broker.pid()) - broker0;
    r.cpu_us = cpu_us(pub.usage());
    r.maxrss_kb = reported_maxrss_kb(dir.file("mosquitto_pub.rss"));
    r.duplicates = sub.check(label);
    r.subscriber_us = sub.cpu();
    return r;
}

/// mosquitto_pub sending `count` messages (no subscriber): its ru_maxrss, for the agent's figure.
long mosquitto_pub_maxrss_kb(const test::TempDir& dir, int port, int count) {
    write_lines(dir.file("lines-few.txt"), count);
    const int out = ::open(dir.file("mosquitto_pub-few.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    Child pub(under_time(dir.file("mosquitto_pub-few.rss"), mosquitto_pub_argv(dir, port)), dir.file("lines-few.txt"),
              out, dir.file("mosquitto_pub-few.err"));
    ::close(out);
    if (!pub.wait(30000)) die("mosquitto_pub failed: " + test::read_text(dir.file("mosquitto_pub-few.err")));
    return reported_maxrss_kb(dir.file("mosquitto_pub-few.rss"));
}

/// `sebind run --count 5` with the provisioned chip on disk: its ru_maxrss.
long agent_maxrss_kb(const test::TempDir& dir, int port) {
    const std::string config = dir.file("device.toml");
    test::write_file(config, "[se]\nuri = \"emu:" + dir.file("se") + "\"\n" +
                                 "[broker]\nhost = \"localhost\"\nport = " + std::to_string(port) + "\nca_file = \"" +
                                 dir.file("pki/ca.pem") + "\"\nkeep_alive = 30\ntimeout_s = 5\n" +
                                 "[outbox]\ndir = \"outbox-agent\"\n" + "[telemetry]\ninterval_s = 1\nqos = 1\n" +
                                 "[[sensor]]\ntype = \"simulated\"\nname = \"sim\"\nmin = 20\nmax = 25\n");
    const int out = ::open(dir.file("agent.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    Child agent(under_time(dir.file("agent.rss"),
                           {SEBIND_BIN, "run", "--config", config, "--count", "5", "--interval-ms", "50"}),
                "/dev/null", out, dir.file("agent.err"));
    ::close(out);
    if (!agent.wait(30000))
        die("sebind run failed (exit " + std::to_string(agent.exit_code()) +
            "): " + test::read_text(dir.file("agent.out")) + test::read_text(dir.file("agent.err")));
    return reported_maxrss_kb(dir.file("agent.rss"));
}

const char* met(bool ok) { return ok ? "met" : "NOT met"; }

/// Medians over the rounds (the machine is shared by broker, publisher and subscriber: one
/// round alone is noisy); duplicates summed, the baseline's peak memory the largest.
struct Summary {
    double msgs_per_s = 0, us_per_msg = 0, seconds = 0, broker_us = 0, subscriber_us = 0;
    int duplicates = 0;
    long maxrss_kb = 0;
};

Summary summarize(const std::vector<Run>& runs, int count) {
    auto median = [&](auto value) {
        std::vector<double> v;
        for (const auto& r : runs) v.push_back(value(r));
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    Summary s;
    s.seconds = median([](const Run& r) { return r.seconds; });
    s.msgs_per_s = median([&](const Run& r) { return count / r.seconds; });
    s.us_per_msg = median([&](const Run& r) { return r.cpu_us / count; });
    s.broker_us = median([&](const Run& r) { return r.broker_us / count; });
    s.subscriber_us = median([&](const Run& r) { return r.subscriber_us / count; });
    for (const auto& r : runs) {
        s.duplicates += r.duplicates;
        s.maxrss_kb = std::max(s.maxrss_kb, r.maxrss_kb);
    }
    return s;
}

int bench(int argc, char** argv) {
    const int count = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20000;
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    const auto started = Wall::now();
    test::TempDir dir;
    port_linux::SystemClock clock;
    const int port = test::free_port();
    const std::string pki = dir.file("pki");
    identity::DevPkiOptions po;
    po.port = static_cast<std::uint16_t>(port);
    if (!identity::create_dev_pki(pki, po).ok()) die("dev PKI");
    // The subscriber may fall behind: the broker queues for it instead of dropping. log_type
    // subscribe tells us when a subscriber is ready.
    test::write_file(pki + "/mosquitto.conf", test::read_text(pki + "/mosquitto.conf") + "max_queued_messages " +
                                                  std::to_string(std::max(count, 1000) * 5) +
                                                  "\nmax_inflight_messages " + std::to_string(kWindow) +
                                                  "\nlog_type subscribe\n");
    const std::string crt = provision(dir.file("se"), pki, clock);

    // The baseline's identity: a software P-256 key with a device certificate from the same CA.
    if (test::run({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", dir.file("soft.key")})
                .exit_code != 0 ||
        test::run({"openssl", "req", "-new", "-key", dir.file("soft.key"), "-subj", std::string("/CN=") + kSoftDevice,
                   "-out", dir.file("soft.csr")})
                .exit_code != 0)
        die("software key or CSR (openssl)");
    auto soft_crt = identity::sign_csr(pki, test::read_text(dir.file("soft.csr")), 30);
    if (!soft_crt) die("signing the software certificate");
    test::write_file(dir.file("soft.pem"), *soft_crt);

    test::Peer broker({"mosquitto", "-c", pki + "/mosquitto.conf"});
    if (!broker.wait_for(" running")) die("mosquitto did not start: " + broker.output());

    // Rounds alternate the three publishers, so a slow spell of the machine hits all of them.
    std::vector<Run> base, mem, disk;
    {
        ChipKey id(dir.file("se"), crt, clock);
        for (int round = 1; round <= rounds; ++round) {
            const std::string n = std::to_string(round);
            base.push_back(run_mosquitto_pub(broker, dir, port, count, "mosquitto_pub-" + n));
            mqtt::MemoryStore memory;
            mem.push_back(run_ours(broker, dir, port, count, id, memory, clock, "memory-" + n));
            auto storage = mqtt::PosixFileStorage::open(dir.file("outbox-" + n));
            if (!storage) die("outbox storage");
            mqtt::OutboxConfig oc;
            oc.sync = mqtt::SyncPolicy::batch;
            oc.max_messages = 1000;  // as MemoryStore's default: the same publishing back-pressure
            mqtt::Outbox outbox(**storage, clock, oc);
            if (!outbox.open().ok()) die("outbox open");
            disk.push_back(run_ours(broker, dir, port, count, id, outbox, clock, "outbox-" + n));
        }
    }
    const long agent_kb = agent_maxrss_kb(dir, port);
    const long pub_few_kb = mosquitto_pub_maxrss_kb(dir, port, 5);
    broker.stop();

    const Summary b = summarize(base, count), m = summarize(mem, count), d = summarize(disk, count);
    std::printf(
        "QoS 1 over mutual TLS to mosquitto 2.0 on 127.0.0.1: %d messages of %zu payload bytes, in-flight window %u,\n"
        "counted at mosquitto_sub -q 1 (start of publishing, connection included -> message %d printed); median of %d "
        "rounds:\n",
        count, kPayloadBytes, kWindow, count, rounds);
    std::printf(
        "  ours, agent::Uplink + mbedTLS, chip key (emulator), MemoryStore: %8.0f msgs/s (%.3f s; %d duplicates)\n",
        m.msgs_per_s, m.seconds, m.duplicates);
    std::printf(
        "  ours, agent::Uplink + mbedTLS, chip key, Outbox (sync batch):   %8.0f msgs/s (%.3f s; %d duplicates)\n",
        d.msgs_per_s, d.seconds, d.duplicates);
    std::printf(
        "  mosquitto_pub -l -q 1 -M %u, software key (baseline):            %8.0f msgs/s (%.3f s; %d duplicates)\n",
        kWindow, b.msgs_per_s, b.seconds, b.duplicates);
    std::printf("  ratio ours (MemoryStore)/mosquitto_pub: %.2f (target >= 1.2: %s); with the Outbox: %.2f\n",
                m.msgs_per_s / b.msgs_per_s, met(m.msgs_per_s / b.msgs_per_s >= 1.2), d.msgs_per_s / b.msgs_per_s);
    std::printf(
        "CPU per message, user+sys (ours: the publishing thread, RUSAGE_THREAD, the emulated chip's signature\n"
        "in the handshake included; mosquitto_pub: its process, wait4):\n");
    std::printf("  ours, MemoryStore: %.2f us/msg; with the Outbox: %.2f us/msg; mosquitto_pub: %.2f us/msg\n",
                m.us_per_msg, d.us_per_msg, b.us_per_msg);
    std::printf("  ratio ours (MemoryStore)/mosquitto_pub: %.2f (target <= 1: %s); with the Outbox: %.2f\n",
                m.us_per_msg / b.us_per_msg, met(m.us_per_msg <= b.us_per_msg), d.us_per_msg / b.us_per_msg);
    std::printf(
        "  the others' CPU per message while the same runs (broker from /proc at 10 ms resolution; mosquitto_sub, "
        "wait4):\n"
        "    broker: ours %.2f, with the Outbox %.2f, mosquitto_pub's %.2f us/msg; subscriber: %.2f, %.2f, %.2f "
        "us/msg\n",
        m.broker_us, d.broker_us, b.broker_us, m.subscriber_us, d.subscriber_us, b.subscriber_us);
    std::printf(
        "resident memory, ru_maxrss (through GNU time, see under_time): sebind run --count 5: %ld KB;\n"
        "  baseline mosquitto_pub: %ld KB sending 5 messages, %ld KB sending %d (the rounds above, largest)\n",
        agent_kb, pub_few_kb, b.maxrss_kb, count);
    std::printf("bench_mqtt run time: %.1f s\n", seconds_since(started, Wall::now()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return bench(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_mqtt: %s\n", e.what());
        return 1;
    }
}
