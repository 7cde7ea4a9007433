// SPDX-License-Identifier: Apache-2.0
// Real peers in tests: a child process whose output is watched for a readiness line (no sleeps),
// stopped by PID; free local ports.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace sebind::test {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int free_port();

class Peer {
public:
    /// Starts `argv`; stdout and stderr are captured together.
    explicit Peer(const std::vector<std::string>& argv);
    ~Peer();
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    /// Reads output until a line contains `token` or `timeout_ms` passes (poll-based).
    bool wait_for(const std::string& token, int timeout_ms = 10000);
    /// Everything captured so far (reads what is pending first).
    const std::string& output();
    /// How many lines captured so far contain `token`.
    std::size_t count_lines(const std::string& token);
    /// Writes all of `bytes` to the process's standard input (what openssl s_server then sends to
    /// its client); false when the write fails.
    bool write_input(const std::string& bytes);
    /// Waits for the process to exit; returns its exit status (-1 if killed or still running).
    int wait_exit(int timeout_ms = 10000);
    void stop();
    pid_t pid() const { return m_pid; }

private:
    void drain(int timeout_ms);
    pid_t m_pid = -1;
    int m_fd = -1;
    int m_stdin = -1;
    std::string m_output;
    int m_status = -1;
};

/// A port on 127.0.0.1 that answers no SYN, like a broker behind a firewall that drops packets:
/// a listener whose accept queue (one place) is already full, so Linux drops further SYNs.
class UnansweredPort {
public:
    UnansweredPort();
    ~UnansweredPort();
    UnansweredPort(const UnansweredPort&) = delete;
    UnansweredPort& operator=(const UnansweredPort&) = delete;
    int port() const { return m_port; }  ///< -1 if it could not be set up

private:
    int m_listener = -1;
    int m_filler = -1;
    int m_port = -1;
};

/// A TLS server that misbehaves: it accepts every connection on 127.0.0.1 and sends the start of
/// a TLS record (a handshake record announcing 16 KiB) one byte every `interval_ms`, so no single
/// read of the client ever times out, and closes the connection after `close_after_ms` (so a
/// client without an overall deadline fails late rather than hanging a test). Served by a
/// thread; stopped and joined on destruction (within one poll).
class DribblingServer {
public:
    explicit DribblingServer(int interval_ms = 1000, int close_after_ms = 12000);
    ~DribblingServer();
    DribblingServer(const DribblingServer&) = delete;
    DribblingServer& operator=(const DribblingServer&) = delete;
    int port() const { return m_port; }  ///< -1 if it could not be set up
    int connections() const { return m_accepted.load(); }

private:
    void serve();
    int m_listener = -1;
    int m_stop[2] = {-1, -1};
    int m_port = -1;
    int m_interval_ms;
    int m_close_after_ms;
    std::atomic<int> m_accepted{0};
    std::thread m_thread;
};

/// `mosquitto -c conf`, waited for until it logs " running" (true) or gives up (false; `broker`
/// keeps the last attempt for its log). When `port`, the listener port written in `conf`, was
/// taken since, the listener moves to a fresh port (`port` updated, `conf` rewritten) and
/// mosquitto starts again.
bool start_mosquitto(const std::string& conf, int& port, std::unique_ptr<Peer>& broker);

}  // namespace sebind::test
