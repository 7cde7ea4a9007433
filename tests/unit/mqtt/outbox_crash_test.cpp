// SPDX-License-Identifier: Apache-2.0
// Outbox against real process death and a real "file too large": a child process writing to the
// outbox is SIGKILLed mid-stream, and another runs into RLIMIT_FSIZE (EFBIG, SIGXFSZ ignored).
// The parent then recovers the log and checks that every message the child had been told was
// stored is there, intact.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sebind/mqtt/outbox/outbox.hpp"
#include "sebind/mqtt/outbox/posix_storage.hpp"

using namespace sebind;
using namespace sebind::mqtt;

namespace {

Bytes text(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string temp_dir(const char* what) {
    const auto p = std::filesystem::temp_directory_path() /
                   (std::string("sebind-") + what + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(p);
    return p.string();
}

void write_line(int fd, const std::string& s) {
    const std::string line = s + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(90);
}

/// The exit status of child `pid` (1000 + the signal when a signal ended it).
int child_exit(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

/// The outbox in `dir` reopened: its payloads in order; `clean` says recovery found no damage.
std::vector<std::string> reopened_payloads(const std::string& dir, bool& clean) {
    std::vector<std::string> payloads;
    clean = false;
    auto storage = PosixFileStorage::open(dir);
    if (!storage) return payloads;
    ManualClock clock;
    Outbox box(**storage, clock, {});
    if (!box.open().ok()) return payloads;
    clean = !box.recovery().torn_tail && !box.recovery().corrupt_record;
    StoreEntry e;
    for (std::uint64_t after = 0; box.next(after, e); after = e.seq) {
        StoredMessage m;
        if (!box.load(e.seq, m).ok()) clean = false;
        payloads.emplace_back(m.payload.begin(), m.payload.end());
    }
    return payloads;
}

}  // namespace

TEST(MqttOutboxCrash, SigkillMidStreamLosesNothingThatWasAccepted) {
    const std::string dir = temp_dir("outbox-kill");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        auto storage = PosixFileStorage::open(dir);
        if (!storage) ::_exit(91);
        ManualClock clock;
        OutboxConfig cfg;
        cfg.compact_min_bytes = 8192;  // compaction (rename) also happens while being killed
        Outbox box(**storage, clock, cfg);
        if (!box.open().ok()) ::_exit(92);
        std::map<std::uint64_t, int> seq_of;
        for (int i = 1;; ++i) {
            const std::string payload = "message " + std::to_string(i) + " " +
                                        std::string(static_cast<std::size_t>(i % 50), '.');
            auto seq = box.enqueue(static_cast<std::uint16_t>(i % 60000 + 1),
                                   i % 2 ? QoS::at_least_once : QoS::exactly_once, false, "devices/d/telemetry",
                                   text(payload));
            if (!seq) ::_exit(93);
            seq_of[*seq] = i;
            write_line(fds[1], "E " + std::to_string(i));  // publish() returned success
            if (i > 10) {
                const auto oldest = seq_of.begin();
                const int acked = oldest->second;
                // Announced before: once the ack record is written the message may be gone.
                write_line(fds[1], "a " + std::to_string(acked));
                if (!box.acknowledge(oldest->first).ok()) ::_exit(94);
                seq_of.erase(oldest);
            }
        }
    }
    ::close(fds[1]);
    FILE* in = ::fdopen(fds[0], "r");
    ASSERT_NE(in, nullptr);
    std::map<int, bool> accepted;  // message -> an acknowledgement was started
    char kind = 0;
    int n = 0;
    int stored = 0;
    while (stored < 2000 && std::fscanf(in, " %c %d", &kind, &n) == 2) {
        if (kind == 'E') {
            accepted[n] = false;
            ++stored;
        }
        if (kind == 'a') accepted[n] = true;
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    // Whatever the child reported before it died is still in the pipe.
    while (std::fscanf(in, " %c %d", &kind, &n) == 2) {
        if (kind == 'E') accepted[n] = false;
        if (kind == 'a') accepted[n] = true;
    }
    ::fclose(in);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    ASSERT_GE(accepted.size(), 2000u);

    auto storage = PosixFileStorage::open(dir);
    ASSERT_TRUE(storage);
    ManualClock clock;
    Outbox box(**storage, clock, {});
    ASSERT_TRUE(box.open().ok());
    EXPECT_FALSE(box.recovery().corrupt_record);
    std::map<int, std::string> found;
    StoreEntry e;
    std::uint64_t after = 0;
    while (box.next(after, e)) {
        StoredMessage m;
        ASSERT_TRUE(box.load(e.seq, m).ok());
        const std::string payload(m.payload.begin(), m.payload.end());
        const int i = std::stoi(payload.substr(8));
        found[i] = payload;
        EXPECT_EQ(e.packet_id, i % 60000 + 1);
        after = e.seq;
    }
    for (const auto& [i, acked] : accepted) {
        if (acked) continue;
        ASSERT_TRUE(found.count(i)) << "message " << i << " was accepted but is gone";
        EXPECT_EQ(found[i], "message " + std::to_string(i) + " " + std::string(static_cast<std::size_t>(i % 50), '.'));
    }
    // Nothing appears that the child did not at least try to store.
    for (const auto& [i, payload] : found) EXPECT_LE(i, accepted.rbegin()->first + 1);
    std::filesystem::remove_all(dir);
}

TEST(MqttOutboxCrash, FileSizeLimitGivesStorageFailureAndKeepsEverythingStored) {
    const std::string dir = temp_dir("outbox-efbig");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Without this the kernel kills the process with SIGXFSZ instead of failing the write.
        std::signal(SIGXFSZ, SIG_IGN);
        auto storage = PosixFileStorage::open(dir);
        if (!storage) ::_exit(10);
        ManualClock clock;
        Outbox box(**storage, clock, {});
        if (!box.open().ok()) ::_exit(11);
        for (std::uint16_t i = 1; i <= 3; ++i)
            if (!box.enqueue(i, QoS::at_least_once, false, "t", text("stored " + std::to_string(i)))) ::_exit(12);
        const rlimit limit{box.log_bytes() + 100, box.log_bytes() + 100};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(13);
        const auto big = box.enqueue(4, QoS::at_least_once, false, "t", text(std::string(1000, 'x')));
        if (big || big.status().code() != Errc::storage_failure) ::_exit(14);
        if ((*storage)->last_errno() != EFBIG) ::_exit(15);
        if (box.broken()) ::_exit(16);
        // A message that still fits under the limit is accepted: nothing was left half-written.
        if (!box.enqueue(5, QoS::at_least_once, false, "t", text("small"))) ::_exit(17);
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "child died of signal " << WTERMSIG(status);
    ASSERT_EQ(WEXITSTATUS(status), 0) << "see the _exit codes in the child";

    auto storage = PosixFileStorage::open(dir);
    ASSERT_TRUE(storage);
    ManualClock clock;
    Outbox box(**storage, clock, {});
    ASSERT_TRUE(box.open().ok());
    EXPECT_FALSE(box.recovery().torn_tail || box.recovery().corrupt_record);
    std::vector<std::string> payloads;
    StoreEntry e;
    std::uint64_t after = 0;
    while (box.next(after, e)) {
        StoredMessage m;
        ASSERT_TRUE(box.load(e.seq, m).ok());
        payloads.emplace_back(m.payload.begin(), m.payload.end());
        after = e.seq;
    }
    EXPECT_EQ(payloads, (std::vector<std::string>{"stored 1", "stored 2", "stored 3", "small"}));
    std::filesystem::remove_all(dir);
}

TEST(MqttOutboxCrash, UnderAnyFileSizeLimitAcknowledgedSpaceIsReusedAndNothingIsLost) {
    // From a few KiB (far below any fixed compaction threshold) to MiBs: a sliding window of
    // three unacknowledged messages, each message enqueued after the oldest is acknowledged,
    // writing several times the limit in all, reopening now and then. Every enqueue must succeed.
    for (const std::uint64_t limit_bytes : {std::uint64_t{4} << 10, std::uint64_t{16} << 10, std::uint64_t{48} << 10,
                                            std::uint64_t{256} << 10, std::uint64_t{1} << 20}) {
        SCOPED_TRACE("RLIMIT_FSIZE " + std::to_string(limit_bytes));
        const std::string dir = temp_dir(("outbox-small-" + std::to_string(limit_bytes)).c_str());
        constexpr std::uint16_t kWindow = 3;
        const auto payload = [](std::uint32_t i) {
            return "reading " + std::to_string(i) + " " + std::string(200, '.');
        };
        const std::uint32_t total = static_cast<std::uint32_t>(3 * limit_bytes / 220 + 50);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            std::signal(SIGXFSZ, SIG_IGN);
            const rlimit limit{limit_bytes, limit_bytes};
            if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
            OutboxConfig cfg;
            cfg.sync = SyncPolicy::batch;  // the file-size limit is the subject, not fsync
            std::uint32_t i = 1;
            while (i <= total) {
                auto storage = PosixFileStorage::open(dir);
                if (!storage) ::_exit(11);
                ManualClock clock;
                Outbox box(**storage, clock, cfg);
                if (!box.open().ok()) ::_exit(12);
                // What was stored and not acknowledged before the reopen is all there.
                if (box.size() != std::min<std::uint32_t>(i - 1, kWindow)) ::_exit(13);
                for (std::uint32_t n = 0; n < 500 && i <= total; ++n, ++i) {
                    if (box.size() == kWindow) {
                        StoreEntry oldest;
                        if (!box.next(0, oldest) || !box.acknowledge(oldest.seq).ok()) ::_exit(14);
                    }
                    const auto id = static_cast<std::uint16_t>(i % 60'000 + 1);
                    if (!box.enqueue(id, QoS::at_least_once, false, "t", text(payload(i)))) ::_exit(20);
                    if (box.log_bytes() > limit_bytes) ::_exit(21);
                }
                if (!box.flush().ok()) ::_exit(15);
            }
            ::_exit(0);
        }
        ASSERT_EQ(child_exit(child), 0)
            << "see the _exit codes in the child (20: a message refused although room could be made)";
        bool clean = false;
        const std::vector<std::string> got = reopened_payloads(dir, clean);
        EXPECT_TRUE(clean);
        std::vector<std::string> expected;
        for (std::uint32_t i = total - kWindow + 1; i <= total; ++i) expected.push_back(payload(i));
        EXPECT_EQ(got, expected);
        std::filesystem::remove_all(dir);
    }
}
