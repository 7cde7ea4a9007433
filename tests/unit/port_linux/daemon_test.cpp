// SPDX-License-Identifier: Apache-2.0
// EmuDaemon served in a thread on a private socket, driven by DaemonBus / DaemonControl and by a
// raw socket: transactions, chip selection, control messages, NACK/fault mapping, pipelining,
// back-pressure, client limits, garbage, and the socket file's life cycle.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sebind/emud/daemon.hpp"
#include "sebind/emud/daemon_protocol.hpp"
#include "sebind/se_uri/se_uri.hpp"
#include "sebind/stsafe/device.hpp"

using namespace sebind;
using namespace sebind::port_linux;
using sebind::stsafe::BusResult;
using Buf = std::vector<std::uint8_t>;

namespace {

// Echo of 01 02 03 and its response, from the protocol doc's CRC vectors (§2.3).
const Buf kEchoCommand = {0x00, 0x01, 0x02, 0x03, 0xA7, 0x29};
const Buf kEchoResponse = {0x00, 0x00, 0x05, 0x01, 0x02, 0x03, 0xA7, 0x29};

/// A client that speaks the protocol by hand, with a receive timeout so a bug cannot hang.
class RawClient {
public:
    explicit RawClient(const std::string& path) {
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        const timeval tv{5, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~RawClient() { ::close(m_fd); }
    bool send(const Buf& bytes) {
        return ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    /// One whole message (header + body), or empty at end of stream / timeout.
    Buf receive() {
        Buf header(3);
        if (!read_exact(header.data(), 3)) return {};
        Buf body(load_be16(&header[1]));
        if (!read_exact(body.data(), body.size())) return {};
        header.insert(header.end(), body.begin(), body.end());
        return header;
    }
    /// True when the daemon closed the connection (end of stream, not a timeout).
    bool closed_by_peer() {
        std::uint8_t b;
        return ::recv(m_fd, &b, 1, 0) == 0;
    }
    bool hello(const std::string& chip) {
        emud::Request r;
        r.op = emud::Op::hello;
        r.version = emud::kVersion;
        r.chip = chip;
        if (!send(emud::encode_request(r))) return false;
        const Buf reply = receive();
        return reply.size() >= 5 && reply[0] == 0x81 && reply[3] == 0;
    }
    int fd() const { return m_fd; }
    bool connected = false;

private:
    bool read_exact(std::uint8_t* out, std::size_t n) {
        std::size_t done = 0;
        while (done < n) {
            const ssize_t r = ::recv(m_fd, out + done, n - done, 0);
            if (r <= 0) return false;
            done += static_cast<std::size_t>(r);
        }
        return true;
    }
    int m_fd;
};

Buf request(emud::Op op, std::uint8_t address = 0x20, std::uint16_t count = 0, Buf data = {}) {
    emud::Request r;
    r.op = op;
    r.address = address;
    r.count = count;
    r.data = std::move(data);
    return emud::encode_request(r);
}

class DaemonServer : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/sebind-daemon-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        ASSERT_TRUE(emu::init_chip(dir + "/alpha", {.seed = 1, .device_common_name = {}, .certificate_days = 10}).ok());
        ASSERT_TRUE(emu::init_chip(dir + "/beta", {.seed = 2, .device_common_name = {}, .certificate_days = 10}).ok());
        socket = dir + "/emud.sock";
        start({dir + "/alpha", dir + "/beta/"});
    }
    void start(const std::vector<std::string>& dirs) {
        auto d = EmuDaemon::create(dirs, {});
        ASSERT_TRUE(d);
        daemon = std::move(*d);
        ASSERT_TRUE(daemon->listen(socket).ok());
        thread = std::thread([this] { served = daemon->run(); });
    }
    void stop() {
        if (daemon) daemon->stop();
        if (thread.joinable()) thread.join();
        daemon.reset();
    }
    void TearDown() override {
        stop();
        std::filesystem::remove_all(dir);
    }
    std::string dir, socket;
    std::unique_ptr<EmuDaemon> daemon;
    std::thread thread;
    Status served;
};

}  // namespace

TEST_F(DaemonServer, TwoChipsBehindOneSocketSelectedByBaseName) {
    EXPECT_EQ(daemon->chip_names(), (std::vector<std::string>{"alpha", "beta"}));
    auto a = DaemonBus::connect(socket, "alpha");
    auto b = DaemonBus::connect(socket, "beta");
    ASSERT_TRUE(a && b);
    EXPECT_EQ((*a)->chip(), "alpha");
    EXPECT_EQ((*b)->chip(), "beta");
    ManualClock clock;
    stsafe::Device da(**a, clock, emu::kDriverConfig), db(**b, clock, emu::kDriverConfig);
    auto pa = da.query_product_data();
    auto pb = db.query_product_data();
    ASSERT_TRUE(pa && pb);
    EXPECT_NE(pa->product_number, pb->product_number);  // different seeds: different chips

    auto first = DaemonBus::connect(socket, "");
    ASSERT_TRUE(first);
    EXPECT_EQ((*first)->chip(), "alpha");
    stsafe::Device dfirst(**first, clock, emu::kDriverConfig);
    EXPECT_EQ(dfirst.query_product_data()->product_number, pa->product_number);

    std::string why;
    EXPECT_EQ(DaemonBus::connect(socket, "gamma", &why).status().code(), Errc::does_not_exist);
    EXPECT_NE(why.find("no chip named 'gamma'"), std::string::npos) << why;
}

TEST_F(DaemonServer, TransactionsAreTheChipsBytes) {
    auto bus = DaemonBus::connect(socket, "beta");
    ASSERT_TRUE(bus);
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::ok);
    Buf out(kEchoResponse.size());
    EXPECT_EQ((*bus)->read(0x20, out), BusResult::ok);
    EXPECT_EQ(out, kEchoResponse);
    // Every read restarts at the response's first byte and reads 0xFF past its end.
    Buf longer(11);
    EXPECT_EQ((*bus)->read(0x20, longer), BusResult::ok);
    EXPECT_TRUE(std::equal(kEchoResponse.begin(), kEchoResponse.end(), longer.begin()));
    EXPECT_EQ(longer[8], 0xFF);
    EXPECT_EQ(longer[10], 0xFF);
    Buf three(3);
    EXPECT_EQ((*bus)->read(0x20, three), BusResult::ok);
    EXPECT_EQ(three, (Buf{0x00, 0x00, 0x05}));
    // A foreign address is not acknowledged.
    EXPECT_EQ((*bus)->write(0x21, kEchoCommand), BusResult::nack);
    EXPECT_EQ((*bus)->read(0x21, three), BusResult::nack);
    // What the protocol cannot carry is refused locally and the link stays usable.
    Buf too_long(emud::kMaxTransfer + 1, 0);
    EXPECT_EQ((*bus)->write(0x20, too_long), BusResult::fault);
    EXPECT_EQ((*bus)->read(0x20, too_long), BusResult::fault);
    EXPECT_EQ((*bus)->write(0x20, Bytes()), BusResult::fault);
    Buf max(emud::kMaxTransfer);
    EXPECT_EQ((*bus)->read(0x20, max), BusResult::ok);
    EXPECT_EQ(max[0], 0x00);
    EXPECT_EQ(max[emud::kMaxTransfer - 1], 0xFF);
}

TEST_F(DaemonServer, ControlMessagesReachTheChipOnTheirOwnConnection) {
    auto bus = DaemonBus::connect(socket, "alpha");
    auto control = DaemonControl::connect(socket, "alpha");
    ASSERT_TRUE(bus && control);
    EXPECT_EQ((*control)->chip(), "alpha");
    ManualClock clock;
    stsafe::Device se(**bus, clock, emu::kDriverConfig);
    auto before = (*control)->stats();
    ASSERT_TRUE(before);
    std::uint8_t digest[32];
    std::fill(std::begin(digest), std::end(digest), 0x33);
    ASSERT_TRUE(se.generate_signature(0, digest));
    auto after = (*control)->stats();
    ASSERT_TRUE(after);
    EXPECT_EQ(after->signatures, before->signatures + 1);
    EXPECT_GT(after->commands, before->commands);
    // The other chip did not see it.
    auto beta = DaemonControl::connect(socket, "beta");
    ASSERT_TRUE(beta);
    EXPECT_EQ((*beta)->stats()->signatures, 0u);
}

TEST_F(DaemonServer, RealisticLatencyIsSeenAsNacksInRealTime) {
    auto bus = DaemonBus::connect(socket, "alpha");
    auto control = DaemonControl::connect(socket, "alpha");
    ASSERT_TRUE(bus && control);
    SystemClock clock;
    stsafe::Device se(**bus, clock, emu::kDriverConfig);
    std::uint8_t digest[32] = {1};
    ASSERT_TRUE(se.generate_signature(0, digest));
    EXPECT_EQ(se.stats().nacks, 0u);  // zero latency: never busy

    ASSERT_TRUE((*control)->set_latency(emu::Latency::realistic).ok());
    const auto start = clock.now_ms();
    ASSERT_TRUE(se.generate_signature(0, digest));
    EXPECT_GT(se.stats().nacks, 0u);
    EXPECT_GE(elapsed_ms(start, clock.now_ms()), stsafe::a110_busy_time_ms(stsafe::Command::generate_signature));

    ASSERT_TRUE((*control)->set_latency(emu::Latency::zero).ok());
    se.reset_stats();
    ASSERT_TRUE(se.generate_signature(0, digest));
    EXPECT_EQ(se.stats().nacks, 0u);
}

TEST_F(DaemonServer, NackBurstsAndPowerLossMapToNackAndFault) {
    auto bus = DaemonBus::connect(socket, "alpha");
    auto control = DaemonControl::connect(socket, "alpha");
    ASSERT_TRUE(bus && control);
    emu::FaultConfig burst;
    burst.nack_burst_rate = 1.0;
    burst.nack_burst_length = 2;
    ASSERT_TRUE((*control)->set_faults(burst).ok());
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::nack);
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::nack);
    ASSERT_TRUE((*control)->set_faults({}).ok());
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::ok);

    // Power lost at the next NVM write: the chip stops answering (fault) until a power cycle.
    ManualClock clock;
    stsafe::Device se(**bus, clock, emu::kDriverConfig);
    emu::FaultConfig loss;
    loss.power_loss_at_write = (*control)->stats()->nvm_writes + 1;
    ASSERT_TRUE((*control)->set_faults(loss).ok());
    const Buf data(16, 0x5A);
    EXPECT_EQ(se.update(3, 0, data).code(), Errc::communication_failure);
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::fault);
    Buf out(8);
    EXPECT_EQ((*bus)->read(0x20, out), BusResult::fault);
    ASSERT_TRUE((*control)->power_cycle().ok());
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::ok);
    ASSERT_TRUE(se.update(3, 0, data).ok());
    Buf back(16);
    ASSERT_TRUE(se.read(3, 0, back).ok());
    EXPECT_EQ(back, data);
}

TEST_F(DaemonServer, PipelinedRequestsAreAnsweredInOrder) {
    RawClient c(socket);
    ASSERT_TRUE(c.connected && c.hello("beta"));
    Buf batch = request(emud::Op::write, 0x20, 0, kEchoCommand);
    for (std::uint16_t n = 1; n <= 100; ++n) {
        const Buf r = request(emud::Op::read, 0x20, n);
        batch.insert(batch.end(), r.begin(), r.end());
    }
    ASSERT_TRUE(c.send(batch));
    EXPECT_EQ(c.receive(), (Buf{0x82, 0x00, 0x01, 0x00}));
    for (std::uint16_t n = 1; n <= 100; ++n) {
        const Buf reply = c.receive();
        ASSERT_EQ(reply.size(), 4u + n) << n;
        EXPECT_EQ(reply[0], 0x83);
        EXPECT_EQ(load_be16(&reply[1]), n + 1);
        EXPECT_EQ(reply[3], 0x00);
        EXPECT_EQ(reply[4], 0x00);  // first response byte: status OK
        if (n >= 3) {
            EXPECT_EQ(reply[6], 0x05);  // third byte: the length
        }
    }
}

TEST_F(DaemonServer, AClientThatDoesNotReadStallsOnlyItself) {
    RawClient greedy(socket);
    ASSERT_TRUE(greedy.connected && greedy.hello("alpha"));
    // 3000 reads of 1023 bytes = 3 MB of replies, far beyond the daemon's reply buffer and the
    // socket's; the 18 KB of requests fit in the socket's send buffer.
    constexpr int kRequests = 3000;
    Buf batch;
    for (int i = 0; i < kRequests; ++i) {
        const Buf r = request(emud::Op::read, 0x20, static_cast<std::uint16_t>(emud::kMaxTransfer));
        batch.insert(batch.end(), r.begin(), r.end());
    }
    ASSERT_TRUE(greedy.send(batch));
    // Another client is served meanwhile.
    auto bus = DaemonBus::connect(socket, "alpha");
    ASSERT_TRUE(bus);
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::ok);
    // And nothing of the greedy client's was lost or reordered.
    for (int i = 0; i < kRequests; ++i) {
        const Buf reply = greedy.receive();
        ASSERT_EQ(reply.size(), 3u + 1 + emud::kMaxTransfer) << i;
        ASSERT_EQ(reply[0], 0x83) << i;
    }
}

TEST_F(DaemonServer, HalfClosedClientStillGetsItsReplies) {
    RawClient c(socket);
    ASSERT_TRUE(c.connected && c.hello("alpha"));
    Buf batch;
    for (int i = 0; i < 5; ++i) {
        const Buf r = request(emud::Op::stats);
        batch.insert(batch.end(), r.begin(), r.end());
    }
    batch.push_back(0x13);  // a partial message at the end is dropped
    ASSERT_TRUE(c.send(batch));
    ::shutdown(c.fd(), SHUT_WR);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(c.receive().size(), 3u + emud::kStatsBodySize) << i;
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(DaemonServer, BadInputGetsAnErrorReplyAndClosesOnlyThatConnection) {
    struct Case {
        Buf bytes;
        emud::ErrorCode code;
        bool hello_first;
    };
    const std::vector<Case> cases = {
        {{0x02, 0xFF, 0xFF, 0x00}, emud::ErrorCode::too_long, false},  // announces a 64 KiB body
        {{0x02, 0x04, 0x01}, emud::ErrorCode::too_long, true},         // 1025
        {{0x7E, 0x00, 0x00}, emud::ErrorCode::unknown_op, true},
        {{0x83, 0x00, 0x00}, emud::ErrorCode::unknown_op, true},
        {{0x03, 0x00, 0x03, 0x20, 0x04, 0x00}, emud::ErrorCode::malformed, true},  // READ 1024
        {{0x12, 0x00, 0x01, 0x07}, emud::ErrorCode::malformed, true},
        {request(emud::Op::stats), emud::ErrorCode::hello_required, false},
        {request(emud::Op::write, 0x20, 0, kEchoCommand), emud::ErrorCode::hello_required, false},
    };
    for (const auto& tc : cases) {
        RawClient c(socket);
        ASSERT_TRUE(c.connected);
        if (tc.hello_first) {
            ASSERT_TRUE(c.hello("alpha"));
        }
        ASSERT_TRUE(c.send(tc.bytes));
        const Buf reply = c.receive();
        ASSERT_GE(reply.size(), 4u) << int{tc.bytes[0]};
        EXPECT_EQ(reply[0], emud::kErrorOp);
        EXPECT_EQ(reply[3], static_cast<std::uint8_t>(tc.code)) << int{tc.bytes[0]};
        EXPECT_TRUE(c.closed_by_peer()) << int{tc.bytes[0]};
    }
    // Random garbage on many connections, then the daemon still serves.
    std::mt19937 rng(7);
    for (int i = 0; i < 50; ++i) {
        RawClient c(socket);
        Buf junk(1 + rng() % 2000);
        for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
        (void)c.send(junk);
    }
    auto bus = DaemonBus::connect(socket, "beta");
    ASSERT_TRUE(bus);
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::ok);
}

TEST_F(DaemonServer, HelloNegotiatesVersionAndMaySwitchChips) {
    RawClient old(socket);
    ASSERT_TRUE(old.connected);
    ASSERT_TRUE(old.send({0x01, 0x00, 0x01, 0x02}));  // version 2
    EXPECT_EQ(old.receive(), (Buf{0x81, 0x00, 0x02, 0x02, emud::kVersion}));
    EXPECT_TRUE(old.closed_by_peer());

    RawClient c(socket);
    ASSERT_TRUE(c.connected);
    ASSERT_TRUE(c.send({0x01, 0x00, 0x01, 0x01}));  // version 1, no name: the first chip
    EXPECT_EQ(c.receive(), (Buf{0x81, 0x00, 0x07, 0x00, 0x01, 'a', 'l', 'p', 'h', 'a'}));
    ASSERT_TRUE(c.send({0x01, 0x00, 0x05, 0x01, 'b', 'e', 't', 'a'}));
    EXPECT_EQ(c.receive(), (Buf{0x81, 0x00, 0x06, 0x00, 0x01, 'b', 'e', 't', 'a'}));
    ASSERT_TRUE(c.send({0x01, 0x00, 0x02, 0x01, 'x'}));
    EXPECT_EQ(c.receive(), (Buf{0x81, 0x00, 0x02, 0x01, 0x01}));  // no such chip, then closed
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(DaemonServer, ClientLimitIsEnforcedAndFreedSlotsAreReused) {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (std::size_t i = 0; i < kMaxDaemonClients; ++i) {
        clients.push_back(std::make_unique<RawClient>(socket));
        ASSERT_TRUE(clients.back()->hello("alpha")) << i;  // each one accepted and served
    }
    RawClient extra(socket);
    const Buf refused = extra.receive();
    ASSERT_GE(refused.size(), 4u);
    EXPECT_EQ(refused[0], emud::kErrorOp);
    EXPECT_EQ(refused[3], static_cast<std::uint8_t>(emud::ErrorCode::too_many_clients));
    std::string why;
    EXPECT_EQ(DaemonBus::connect(socket, "alpha", &why).status().code(), Errc::communication_failure);
    EXPECT_NE(why.find("too many clients"), std::string::npos) << why;

    clients.pop_back();
    // A round trip on another client after the close: the daemon has seen the close by then.
    ASSERT_TRUE(clients.front()->send(request(emud::Op::stats)));
    ASSERT_FALSE(clients.front()->receive().empty());
    EXPECT_TRUE(DaemonBus::connect(socket, "alpha"));
}

TEST_F(DaemonServer, DeadDaemonIsABusFaultAndStaysOne) {
    auto bus = DaemonBus::connect(socket, "alpha");
    auto control = DaemonControl::connect(socket, "alpha");
    ASSERT_TRUE(bus && control);
    stop();
    EXPECT_TRUE(served.ok());
    EXPECT_FALSE(std::filesystem::exists(socket));  // removed on shutdown
    EXPECT_EQ((*bus)->write(0x20, kEchoCommand), BusResult::fault);
    Buf out(4);
    EXPECT_EQ((*bus)->read(0x20, out), BusResult::fault);
    EXPECT_EQ((*control)->power_cycle().code(), Errc::communication_failure);
    EXPECT_EQ((*control)->stats().status().code(), Errc::communication_failure);
    std::string why;
    EXPECT_EQ(DaemonBus::connect(socket, "alpha", &why).status().code(), Errc::communication_failure);
    EXPECT_EQ(why, "cannot connect to sebind-emud at " + socket +
                       ": No such file or directory — start it with `sebind-emud --socket " + socket + " DIR`");
}

TEST_F(DaemonServer, SocketFileIsOwnerOnlyAndNeverStolen) {
    struct stat st {};
    ASSERT_EQ(::lstat(socket.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    // A second daemon on the same path refuses while the first is alive.
    auto second = EmuDaemon::create({dir + "/beta"}, {});
    ASSERT_TRUE(second);
    std::string why;
    EXPECT_EQ((*second)->listen(socket, &why).code(), Errc::already_exists);
    EXPECT_NE(why.find("another process is serving"), std::string::npos) << why;
    EXPECT_TRUE(DaemonBus::connect(socket, "alpha"));  // the first still serves

    // Nor does it replace a file that is not a socket.
    const std::string plain = dir + "/not-a-socket";
    {
        std::FILE* f = std::fopen(plain.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("keep", f);
        std::fclose(f);
    }
    EXPECT_EQ((*second)->listen(plain, &why).code(), Errc::already_exists);
    EXPECT_TRUE(std::filesystem::is_regular_file(plain));

    // A stale socket (its daemon gone without cleanup) is replaced.
    const std::string stale = dir + "/stale.sock";
    {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", stale.c_str());
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        ::close(fd);  // leaves the file behind, nobody listening
    }
    ASSERT_TRUE((*second)->listen(stale, &why).ok()) << why;
    EXPECT_EQ((*second)->listen(stale, &why).code(), Errc::invalid_argument);  // once per daemon

    const std::string too_long = "/tmp/" + std::string(120, 's');
    auto third = EmuDaemon::create({dir + "/beta"}, {});
    ASSERT_TRUE(third);
    EXPECT_EQ((*third)->listen(too_long, &why).code(), Errc::invalid_argument);
    EXPECT_EQ(DaemonBus::connect(too_long, "", &why).status().code(), Errc::invalid_argument);
}

TEST(EmuDaemon, CreateRefusesWhatItCannotServe) {
    char tmpl[] = "/tmp/sebind-daemon-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    ASSERT_TRUE(emu::init_chip(dir + "/a/se", {.seed = 1, .device_common_name = {}, .certificate_days = 10}).ok());
    ASSERT_TRUE(emu::init_chip(dir + "/b/se", {.seed = 2, .device_common_name = {}, .certificate_days = 10}).ok());
    std::string why;
    EXPECT_EQ(EmuDaemon::create({}, {}, &why).status().code(), Errc::invalid_argument);
    EXPECT_EQ(EmuDaemon::create({dir + "/a/se", dir + "/b/se"}, {}, &why).status().code(), Errc::invalid_argument);
    EXPECT_NE(why.find("two chip directories are named 'se'"), std::string::npos) << why;
    EXPECT_EQ(EmuDaemon::create({dir + "/missing"}, {}, &why).status().code(), Errc::does_not_exist);
    EXPECT_NE(why.find("sebind emu init " + dir + "/missing"), std::string::npos) << why;
    // A relative "." names the directory itself.
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir + "/a/se");
    auto here = EmuDaemon::create({"."}, {});
    std::filesystem::current_path(cwd);
    ASSERT_TRUE(here);
    EXPECT_EQ((*here)->chip_names(), std::vector<std::string>{"se"});
    // stop() before run(): run returns at once.
    ASSERT_TRUE((*here)->listen(dir + "/s.sock").ok());
    (*here)->stop();
    EXPECT_TRUE((*here)->run().ok());
    here->reset();
    EXPECT_FALSE(std::filesystem::exists(dir + "/s.sock"));
    std::filesystem::remove_all(dir);
}
