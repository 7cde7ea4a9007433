// SPDX-License-Identifier: Apache-2.0
// i2c-dev framing against a fake device node: one message per transaction, address, flags,
// lengths and bytes; NACK versus fault mapping; EINTR retry; refused impossible transactions.
#include <gtest/gtest.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "sebind/core/clock.hpp"
#include "sebind/port_linux/i2c_dev_bus.hpp"
#include "sebind/stsafe/device.hpp"

using namespace sebind;
using namespace sebind::port_linux;
using sebind::stsafe::BusResult;

namespace {

struct Seen {
    std::uint32_t nmsgs;
    std::uint16_t addr, flags, len;
    std::vector<std::uint8_t> bytes;  ///< written bytes (writes only)
};

/// Stands in for /dev/i2c-N: records every I2C_RDWR and answers from a script.
class FakeNode final : public I2cDevice {
public:
    std::vector<Seen> seen;
    std::deque<int> errors;                       ///< errno per call; 0 (or empty) = success
    std::deque<std::vector<std::uint8_t>> reads;  ///< what successive reads return (then 0xFF)

    int rdwr(i2c_rdwr_ioctl_data& data, int& error) noexcept override {
        const i2c_msg& m = data.msgs[0];
        Seen s{data.nmsgs, m.addr, m.flags, m.len, {}};
        error = errors.empty() ? 0 : errors.front();
        if (!errors.empty()) errors.pop_front();
        if (m.flags & I2C_M_RD) {
            if (!error) {
                std::vector<std::uint8_t> r = reads.empty() ? std::vector<std::uint8_t>{} : reads.front();
                if (!reads.empty()) reads.pop_front();
                for (std::uint16_t i = 0; i < m.len; ++i) m.buf[i] = i < r.size() ? r[i] : 0xFF;
            }
        } else {
            s.bytes.assign(m.buf, m.buf + m.len);
        }
        seen.push_back(s);
        return error ? -1 : static_cast<int>(data.nmsgs);
    }
};

struct Rig {
    FakeNode* node;
    std::unique_ptr<I2cDevBus> bus;
    Rig() {
        auto n = std::make_unique<FakeNode>();
        node = n.get();
        bus = std::make_unique<I2cDevBus>(std::move(n));
    }
};

}  // namespace

TEST(I2cDevBus, WriteIsOneMessageWithTheWholeFrame) {
    Rig rig;
    // Echo command 00 01 02 03 with its CRC (protocol doc §2.3 vector).
    const std::uint8_t frame[] = {0x00, 0x01, 0x02, 0x03, 0xA7, 0x29};
    EXPECT_EQ(rig.bus->write(0x20, frame), BusResult::ok);
    ASSERT_EQ(rig.node->seen.size(), 1u);
    const Seen& s = rig.node->seen[0];
    EXPECT_EQ(s.nmsgs, 1u);
    EXPECT_EQ(s.addr, 0x20);
    EXPECT_EQ(s.flags, 0);  // no I2C_M_RD, no 10-bit, no NOSTART: a plain START addr+W ... STOP
    EXPECT_EQ(s.len, 6);
    EXPECT_EQ(s.bytes, std::vector<std::uint8_t>(std::begin(frame), std::end(frame)));
}

TEST(I2cDevBus, ReadIsOneMessageOfTheRequestedLength) {
    Rig rig;
    rig.node->reads = {{0x00, 0x00, 0x02, 0x90, 0x6E}};
    std::uint8_t out[7] = {};
    EXPECT_EQ(rig.bus->read(0x21, out), BusResult::ok);
    ASSERT_EQ(rig.node->seen.size(), 1u);
    EXPECT_EQ(rig.node->seen[0].nmsgs, 1u);
    EXPECT_EQ(rig.node->seen[0].addr, 0x21);
    EXPECT_EQ(rig.node->seen[0].flags, I2C_M_RD);
    EXPECT_EQ(rig.node->seen[0].len, 7);
    const std::uint8_t expected[] = {0x00, 0x00, 0x02, 0x90, 0x6E, 0xFF, 0xFF};
    EXPECT_TRUE(std::equal(std::begin(out), std::end(out), std::begin(expected)));
}

TEST(I2cDevBus, AddressNackMapsToNackEverythingElseToFault) {
    Rig rig;
    const std::uint8_t b[] = {0};
    std::uint8_t r[3];
    for (int e : {ENXIO, EREMOTEIO}) {
        rig.node->errors.push_back(e);
        EXPECT_EQ(rig.bus->write(0x20, b), BusResult::nack) << e;
        EXPECT_EQ(rig.bus->last_error(), e);
        rig.node->errors.push_back(e);
        EXPECT_EQ(rig.bus->read(0x20, r), BusResult::nack) << e;
    }
    for (int e : {EIO, ETIMEDOUT, EAGAIN, EOPNOTSUPP, EBADF, ENODEV, ENOTTY, EINVAL, EPROTO}) {
        rig.node->errors.push_back(e);
        EXPECT_EQ(rig.bus->write(0x20, b), BusResult::fault) << e;
        EXPECT_EQ(rig.bus->last_error(), e);
        rig.node->errors.push_back(e);
        EXPECT_EQ(rig.bus->read(0x20, r), BusResult::fault) << e;
    }
    EXPECT_EQ(rig.bus->write(0x20, b), BusResult::ok);
    EXPECT_EQ(rig.bus->last_error(), 0);
    EXPECT_EQ(rig.node->seen.size(), 2u * 2 + 2u * 9 + 1);  // one ioctl per transaction, no retries
}

TEST(I2cDevBus, InterruptedCallIsRetriedABoundedNumberOfTimes) {
    Rig rig;
    rig.node->errors = {EINTR, 0};
    const std::uint8_t b[] = {1};
    EXPECT_EQ(rig.bus->write(0x20, b), BusResult::ok);
    EXPECT_EQ(rig.node->seen.size(), 2u);
    rig.node->errors = {EINTR, EINTR, EINTR, EINTR, 0};
    EXPECT_EQ(rig.bus->write(0x20, b), BusResult::fault);
    EXPECT_EQ(rig.bus->last_error(), EINTR);
    EXPECT_EQ(rig.node->seen.size(), 5u);
}

TEST(I2cDevBus, RefusesImpossibleTransactionsWithoutTouchingTheBus) {
    Rig rig;
    std::uint8_t one[1] = {0};
    static std::uint8_t big[0x10000];
    EXPECT_EQ(rig.bus->write(0x20, std::span(one).first(0)), BusResult::fault);
    EXPECT_EQ(rig.bus->read(0x20, std::span(one).first(0)), BusResult::fault);
    EXPECT_EQ(rig.bus->read(0x80, one), BusResult::fault);
    EXPECT_EQ(rig.bus->write(0xFF, one), BusResult::fault);
    EXPECT_EQ(rig.bus->write(0x20, big), BusResult::fault);
    EXPECT_EQ(rig.bus->read(0x20, big), BusResult::fault);
    EXPECT_TRUE(rig.node->seen.empty());
    // The largest length i2c_msg can carry still goes out as one message.
    EXPECT_EQ(rig.bus->write(0x20, std::span(big).first(0xFFFF)), BusResult::ok);
    ASSERT_EQ(rig.node->seen.size(), 1u);
    EXPECT_EQ(rig.node->seen[0].len, 0xFFFF);
}

TEST(I2cDevBus, DriverPollsThroughNacksToTheResponse) {
    // The driver on top of this bus: a busy chip NACKs the first response read, then answers
    // an Echo. Checks that NACK really means "retry later" to the driver, end to end.
    Rig rig;
    const std::uint8_t payload[] = {0x01, 0x02, 0x03};
    // The Echo response of the protocol doc's vectors (§2.3): status, length, payload, CRC.
    const std::vector<std::uint8_t> response = {0x00, 0x00, 0x05, 0x01, 0x02, 0x03, 0xA7, 0x29};
    rig.node->errors = {0, ENXIO, ENXIO};  // write ok, two NACKed reads
    for (int i = 0; i < 4; ++i) rig.node->reads.push_back(response);
    ManualClock clock;
    stsafe::DeviceConfig config;
    config.wait_table_percent = 0;
    stsafe::Device se(*rig.bus, clock, config);
    std::uint8_t out[3] = {};
    auto echoed = se.echo(payload, out);
    ASSERT_TRUE(echoed) << to_string(echoed.status().code());
    EXPECT_EQ(*echoed, 3u);
    EXPECT_EQ(out[0], 0x01);
    EXPECT_EQ(out[2], 0x03);
    EXPECT_EQ(rig.node->seen[0].bytes, (std::vector<std::uint8_t>{0x00, 0x01, 0x02, 0x03, 0xA7, 0x29}));
    EXPECT_GE(rig.node->seen.size(), 4u);
    EXPECT_EQ(rig.node->seen[0].flags, 0);
    EXPECT_EQ(rig.node->seen[1].flags, I2C_M_RD);
    EXPECT_EQ(rig.node->seen[1].addr, 0x20);
}
