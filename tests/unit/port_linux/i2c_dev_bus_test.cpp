// SPDX-License-Identifier: Apache-2.0
// i2c-dev framing against a fake device node: one message per transaction, flags, lengths,
// NACK versus fault mapping.
#include <gtest/gtest.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "sebind/port_linux/i2c_dev_bus.hpp"

using namespace sebind;
using namespace sebind::port_linux;
using sebind::stsafe::BusResult;

namespace {

struct Seen {
    std::uint16_t addr, flags, len;
    std::vector<std::uint8_t> bytes;
};

class FakeNode final : public I2cDevice {
public:
    std::vector<Seen>* seen;
    std::deque<int> errors;  ///< 0 = success
    std::vector<std::uint8_t> to_read;
    explicit FakeNode(std::vector<Seen>* s) : seen(s) {}
    int rdwr(i2c_rdwr_ioctl_data& data, int& error) noexcept override {
        EXPECT_EQ(data.nmsgs, 1u);
        i2c_msg& m = data.msgs[0];
        Seen s{m.addr, m.flags, m.len, {}};
        if (m.flags & I2C_M_RD) {
            for (std::uint16_t i = 0; i < m.len; ++i) m.buf[i] = i < to_read.size() ? to_read[i] : 0xFF;
        } else {
            s.bytes.assign(m.buf, m.buf + m.len);
        }
        seen->push_back(s);
        error = errors.empty() ? 0 : errors.front();
        if (!errors.empty()) errors.pop_front();
        return error ? -1 : 1;
    }
};

struct Rig {
    std::vector<Seen> seen;
    FakeNode* node;
    std::unique_ptr<I2cDevBus> bus;
    Rig() {
        auto n = std::make_unique<FakeNode>(&seen);
        node = n.get();
        bus = std::make_unique<I2cDevBus>(std::move(n));
    }
};

}  // namespace

TEST(I2cDevBus, WriteIsOneMessageWithTheWholeFrame) {
    Rig rig;
    const std::uint8_t frame[] = {0x14, 0x11, 0xFC, 0xBE};
    EXPECT_EQ(rig.bus->write(0x20, frame), BusResult::ok);
    ASSERT_EQ(rig.seen.size(), 1u);
    EXPECT_EQ(rig.seen[0].addr, 0x20);
    EXPECT_EQ(rig.seen[0].flags, 0);
    EXPECT_EQ(rig.seen[0].len, 4);
    EXPECT_EQ(rig.seen[0].bytes, std::vector<std::uint8_t>(frame, frame + 4));
}

TEST(I2cDevBus, ReadIsOneMessageOfTheRequestedLength) {
    Rig rig;
    rig.node->to_read = {0x00, 0x00, 0x02, 0x90, 0x6E};
    std::uint8_t out[7];
    EXPECT_EQ(rig.bus->read(0x21, out), BusResult::ok);
    ASSERT_EQ(rig.seen.size(), 1u);
    EXPECT_EQ(rig.seen[0].addr, 0x21);
    EXPECT_EQ(rig.seen[0].flags, I2C_M_RD);
    EXPECT_EQ(rig.seen[0].len, 7);
    EXPECT_EQ(out[4], 0x6E);
    EXPECT_EQ(out[5], 0xFF);
}

TEST(I2cDevBus, AddressNackMapsToNackOthersToFault) {
    Rig rig;
    const std::uint8_t b[] = {0};
    for (int e : {ENXIO, EREMOTEIO, EIO}) {
        rig.node->errors.push_back(e);
        EXPECT_EQ(rig.bus->write(0x20, b), BusResult::nack) << e;
        EXPECT_EQ(rig.bus->last_error(), e);
    }
    for (int e : {ETIMEDOUT, EOPNOTSUPP, EBADF, ENODEV}) {
        rig.node->errors.push_back(e);
        EXPECT_EQ(rig.bus->write(0x20, b), BusResult::fault) << e;
    }
    EXPECT_EQ(rig.bus->write(0x20, b), BusResult::ok);
    EXPECT_EQ(rig.bus->last_error(), 0);
}

TEST(I2cDevBus, InterruptedCallIsRetried) {
    Rig rig;
    rig.node->errors = {EINTR, 0};
    const std::uint8_t b[] = {1};
    EXPECT_EQ(rig.bus->write(0x20, b), BusResult::ok);
    EXPECT_EQ(rig.seen.size(), 2u);
}

TEST(I2cDevBus, RefusesImpossibleTransactions) {
    Rig rig;
    std::uint8_t none[1];
    EXPECT_EQ(rig.bus->write(0x20, std::span(none).first(0)), BusResult::fault);
    EXPECT_EQ(rig.bus->read(0x80, none), BusResult::fault);
    EXPECT_TRUE(rig.seen.empty());
}
