// SPDX-License-Identifier: Apache-2.0
// A session restarted over the persistent outbox on its POSIX file backend (host only).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "sebind/mqtt/outbox/posix_storage.hpp"
#include "session_harness.hpp"

using namespace sebind;
using namespace sebind::mqtt;
using namespace sebind::mqtt::test;

TEST(MqttSessionEnd, RestartOverThePersistentOutboxResendsWithTheSamePacketIds) {
    const auto dir = std::filesystem::temp_directory_path() / ("sebind-mqtt-session-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::vector<std::uint16_t> ids;
    {
        auto storage = PosixFileStorage::open(dir.string());
        ASSERT_TRUE(storage);
        ManualClock clock;
        Outbox outbox(**storage, clock, {});
        ASSERT_TRUE(outbox.open().ok());
        Harness h(ProtocolVersion::v3_1_1, &outbox);
        h.config.clean_start = false;
        h.broker.auto_ack = false;
        h.connect();
        for (int i = 0; i < 5; ++i) ids.push_back(*h.publish("r" + std::to_string(i), QoS::at_least_once));
        h.pump();
        EXPECT_EQ(h.broker.count(PacketType::publish), 5u);
        // The process "dies" here: no disconnect, nothing flushed on purpose.
    }
    auto storage = PosixFileStorage::open(dir.string());
    ASSERT_TRUE(storage);
    ManualClock clock;
    Outbox outbox(**storage, clock, {});
    ASSERT_TRUE(outbox.open().ok());
    EXPECT_EQ(outbox.recovery().messages, 5u);
    Harness h(ProtocolVersion::v3_1_1, &outbox);
    h.config.clean_start = false;
    h.broker.assume_session();  // the broker outlived the device's restart
    h.make();
    // A new message published after the restart gets a packet id not used by the stored ones.
    auto fresh = h.publish("new", QoS::at_least_once);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(std::set<std::uint16_t>(ids.begin(), ids.end()).count(*fresh), 0u);
    h.connect();
    const auto pubs = h.broker.of(PacketType::publish);
    ASSERT_EQ(pubs.size(), 6u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(pubs[static_cast<std::size_t>(i)].packet_id, ids[static_cast<std::size_t>(i)]);
        EXPECT_EQ(pubs[static_cast<std::size_t>(i)].payload, "r" + std::to_string(i));
        EXPECT_TRUE(pubs[static_cast<std::size_t>(i)].dup);  // may have reached the broker before
    }
    EXPECT_FALSE(pubs[5].dup);
    EXPECT_EQ(outbox.size(), 0u);
    std::filesystem::remove_all(dir);
}
