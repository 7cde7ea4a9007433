// SPDX-License-Identifier: Apache-2.0
// sebind-emud protocol codec and a daemon served in a thread: transactions, chip selection,
// control messages, and garbage that must close the connection without harming the daemon.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sebind/port_linux/daemon.hpp"
#include "sebind/port_linux/daemon_protocol.hpp"
#include "sebind/stsafe/device.hpp"

using namespace sebind;
using namespace sebind::port_linux;

TEST(DaemonProtocol, RoundTripsEveryRequest) {
    emud::Request reqs[7];
    reqs[0].op = emud::Op::hello;
    reqs[0].version = 1;
    reqs[0].chip = "chipA";
    reqs[1].op = emud::Op::write;
    reqs[1].address = 0x20;
    reqs[1].data = {0x14, 0x11, 0xFC, 0xBE};
    reqs[2].op = emud::Op::read;
    reqs[2].address = 0x20;
    reqs[2].count = 509;
    reqs[3].op = emud::Op::power_cycle;
    reqs[4].op = emud::Op::set_faults;
    reqs[4].faults.seed = 0x0102030405060708ull;
    reqs[4].faults.response_corruption_rate = 0.5;
    reqs[4].faults.power_loss_at_write = 77;
    reqs[5].op = emud::Op::set_latency;
    reqs[5].latency = emu::Latency::realistic;
    reqs[6].op = emud::Op::stats;
    for (const auto& r : reqs) {
        const auto bytes = emud::encode_request(r);
        EXPECT_EQ(*emud::message_size(bytes), bytes.size());
        auto back = emud::parse_request(bytes);
        ASSERT_TRUE(back) << static_cast<int>(r.op);
        EXPECT_EQ(back->op, r.op);
        EXPECT_EQ(back->data, r.data);
        EXPECT_EQ(back->chip, r.chip);
        EXPECT_EQ(back->count, r.count);
        EXPECT_EQ(back->faults.seed, r.faults.seed);
        EXPECT_EQ(back->faults.power_loss_at_write, r.faults.power_loss_at_write);
        EXPECT_DOUBLE_EQ(back->faults.response_corruption_rate, r.faults.response_corruption_rate);
    }
}

TEST(DaemonProtocol, RejectsMalformedMessages) {
    EXPECT_EQ(*emud::message_size(std::vector<std::uint8_t>{0x02, 0x00}), 0u);              // header incomplete
    EXPECT_EQ(*emud::message_size(std::vector<std::uint8_t>{0x02, 0x00, 0x05, 1}), 0u);      // body incomplete
    EXPECT_FALSE(emud::message_size(std::vector<std::uint8_t>{0x02, 0x04, 0x01}));           // body > 1024
    const std::vector<std::vector<std::uint8_t>> bad = {
        {0x7E, 0x00, 0x00},                    // unknown op
        {0x02, 0x00, 0x01, 0x20},              // write without data
        {0x03, 0x00, 0x03, 0x20, 0x00, 0x00},  // read of 0 bytes
        {0x03, 0x00, 0x02, 0x20, 0x01},        // read count truncated
        {0x12, 0x00, 0x01, 0x02},              // latency value out of range
        {0x10, 0x00, 0x01, 0x00},              // power cycle with a body
    };
    for (const auto& m : bad) EXPECT_FALSE(emud::parse_request(m)) << static_cast<int>(m[0]);
}

class DaemonServer : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/sebind-daemon-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        ASSERT_TRUE(emu::init_chip(dir + "/alpha", emu::InitOptions{.seed = 1, .device_common_name = {}, .certificate_days = 10}).ok());
        ASSERT_TRUE(emu::init_chip(dir + "/beta", emu::InitOptions{.seed = 2, .device_common_name = {}, .certificate_days = 10}).ok());
        auto d = EmuDaemon::create({dir + "/alpha", dir + "/beta"}, {});
        ASSERT_TRUE(d);
        daemon = std::move(*d);
        socket = dir + "/emud.sock";
        ASSERT_TRUE(daemon->listen(socket).ok());
        thread = std::thread([this] { (void)daemon->run(); });
    }
    void TearDown() override {
        if (daemon) daemon->stop();
        if (thread.joinable()) thread.join();
        daemon.reset();
        std::filesystem::remove_all(dir);
    }
    std::string dir, socket;
    std::unique_ptr<EmuDaemon> daemon;
    std::thread thread;
};

TEST_F(DaemonServer, TwoChipsBehindOneSocket) {
    auto a = DaemonBus::connect(socket, "alpha");
    auto b = DaemonBus::connect(socket, "beta");
    ASSERT_TRUE(a && b);
    ManualClock clock;
    stsafe::Device da(**a, clock, emu::kDriverConfig), db(**b, clock, emu::kDriverConfig);
    auto pa = da.query_product_data();
    auto pb = db.query_product_data();
    ASSERT_TRUE(pa && pb);
    EXPECT_NE(pa->product_number, pb->product_number);
    EXPECT_EQ(DaemonBus::connect(socket, "gamma").status().code(), Errc::does_not_exist);
    auto first = DaemonBus::connect(socket, "");
    ASSERT_TRUE(first);
    stsafe::Device dfirst(**first, clock, emu::kDriverConfig);
    EXPECT_EQ(dfirst.query_product_data()->product_number, pa->product_number);
}

TEST_F(DaemonServer, ControlMessagesReachTheChip) {
    auto bus = DaemonBus::connect(socket, "alpha");
    ASSERT_TRUE(bus);
    ManualClock clock;
    stsafe::Device se(**bus, clock, emu::kDriverConfig);
    std::uint8_t digest[32];
    std::fill(std::begin(digest), std::end(digest), 0x33);
    ASSERT_TRUE(se.generate_signature(0, digest));
    auto stats = (*bus)->stats();
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->signatures, 1u);
    ASSERT_TRUE((*bus)->set_latency(emu::Latency::realistic).ok());
    ASSERT_TRUE((*bus)->set_latency(emu::Latency::zero).ok());
    ASSERT_TRUE((*bus)->power_cycle().ok());
    EXPECT_TRUE(se.query_life_cycle());
}

TEST_F(DaemonServer, GarbageClosesOnlyThatConnection) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const std::uint8_t junk[] = {0x02, 0xFF, 0xFF, 0x00};  // announces a 64 KiB body
    ASSERT_EQ(::write(fd, junk, sizeof junk), static_cast<ssize_t>(sizeof junk));
    std::uint8_t reply[64];
    ssize_t n = ::read(fd, reply, sizeof reply);
    ASSERT_GT(n, 0);
    EXPECT_EQ(reply[0], emud::kErrorOp);
    EXPECT_EQ(::read(fd, reply, sizeof reply), 0);  // closed by the daemon
    ::close(fd);
    // Transactions before HELLO are refused too.
    const int fd2 = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(fd2, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const auto early = emud::encode_request([] { emud::Request r; r.op = emud::Op::stats; return r; }());
    ASSERT_EQ(::write(fd2, early.data(), early.size()), static_cast<ssize_t>(early.size()));
    EXPECT_EQ(::read(fd2, reply, sizeof reply), 0);
    ::close(fd2);
    // The daemon still serves others.
    auto bus = DaemonBus::connect(socket, "beta");
    ASSERT_TRUE(bus);
}
