// SPDX-License-Identifier: Apache-2.0
// Protocol tables: names, curve OIDs (§5.2), status categories (§3), A110 busy times (§8.1),
// product detection (§4.14) and the typed lookups.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include "sebind/stsafe/protocol.hpp"
#include "sebind/stsafe/types.hpp"
#include "test_util.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using sebind::test::hex;

TEST(Protocol, EveryDeviceStatusHasItsOwnName) {
    std::set<std::string> names;
    for (unsigned code = 0; code <= 0x1F; ++code) {
        if (code == 0x0E) continue;  // legacy-only DEPTH_OUT_OF_RANGE, not in our enum
        const std::string name = to_string(static_cast<DeviceStatus>(code));
        EXPECT_NE(name, "UNKNOWN") << code;
        names.insert(name);
    }
    EXPECT_EQ(names.size(), 31u);
    EXPECT_STREQ(to_string(DeviceStatus::access_condition_not_satisfied), "ACCESS_CONDITION_NOT_SATISFIED");
    EXPECT_STREQ(to_string(static_cast<DeviceStatus>(0x0E)), "UNKNOWN");
}

TEST(Protocol, CommandNames) {
    EXPECT_STREQ(to_string(Command::generate_signature), "Generate Signature");
    EXPECT_STREQ(to_string(Command::query), "Query");
    EXPECT_STREQ(to_string(static_cast<Command>(0x1D)), "Unknown command");
}

struct StatusCase {
    std::uint8_t code;
    Errc category;
};

TEST(Protocol, DeviceStatusCategories) {
    const StatusCase cases[] = {
        {0x01, Errc::communication_failure}, {0x02, Errc::invalid_argument},  {0x06, Errc::invalid_argument},
        {0x19, Errc::invalid_argument},      {0x12, Errc::invalid_argument},  {0x0C, Errc::invalid_argument},
        {0x03, Errc::out_of_range},          {0x13, Errc::out_of_range},      {0x14, Errc::out_of_range},
        {0x09, Errc::out_of_range},          {0x04, Errc::not_supported},     {0x05, Errc::hardware_failure},
        {0x0A, Errc::does_not_exist},        {0x10, Errc::does_not_exist},    {0x0B, Errc::not_permitted},
        {0x0F, Errc::not_permitted},         {0x11, Errc::not_permitted},     {0x1A, Errc::not_permitted},
        {0x1B, Errc::not_permitted},         {0x1C, Errc::not_permitted},     {0x1E, Errc::not_permitted},
        {0x16, Errc::integrity_failure},     {0x18, Errc::integrity_failure},
    };
    for (const auto& c : cases) {
        const Status st = status_from_device(c.code);
        EXPECT_EQ(st.code(), c.category) << int(c.code);
        EXPECT_EQ(st.device_status(), c.code);
    }
    EXPECT_TRUE(status_from_device(0x00).ok());
    EXPECT_TRUE(status_from_device(0x40).ok());  // R-MAC flag only: success
    // The R-MAC flag never changes the category and is not part of the raw code.
    EXPECT_EQ(status_from_device(0x51), status_from_device(0x11));
    for (unsigned code = 1; code <= 0x1F; ++code) {
        const Status st = status_from_device(static_cast<std::uint8_t>(code));
        EXPECT_FALSE(st.ok()) << code;
        EXPECT_EQ(st.device_status(), code);
    }
}

TEST(Protocol, CurveTableHasTheDocOids) {
    struct Row {
        Curve curve;
        const char* oid;
        std::size_t size;
        const char* name;
        const char* short_name;
    };
    const Row rows[] = {
        {Curve::p256, "2A 86 48 CE 3D 03 01 07", 32, "P-256", "p256"},
        {Curve::p384, "2B 81 04 00 22", 48, "P-384", "p384"},
        {Curve::brainpool_p256r1, "2B 24 03 03 02 08 01 01 07", 32, "brainpoolP256r1", "bp256"},
        {Curve::brainpool_p384r1, "2B 24 03 03 02 08 01 01 0B", 48, "brainpoolP384r1", "bp384"},
    };
    for (const Row& row : rows) {
        const CurveInfo& info = curve_info(row.curve);
        const auto oid = hex(row.oid);
        EXPECT_EQ(info.curve, row.curve);
        EXPECT_EQ(std::vector<std::uint8_t>(info.oid, info.oid + info.oid_size), oid);
        EXPECT_EQ(info.coordinate_size, row.size);
        EXPECT_LE(info.coordinate_size, kMaxCoordinateSize);
        EXPECT_EQ(curve_from_oid(oid), row.curve);
        EXPECT_EQ(curve_from_name(row.name), row.curve);
        EXPECT_EQ(curve_from_name(row.short_name), row.curve);
    }
    EXPECT_EQ(curve_from_name("prime256v1"), Curve::p256);
    EXPECT_EQ(curve_from_name("secp384r1"), Curve::p384);
    // A120-only curves and prefixes of known OIDs are not A110 curves.
    EXPECT_FALSE(curve_from_oid(hex("2B 81 04 00 23")));
    EXPECT_FALSE(curve_from_oid(hex("2B 65 6E")));
    EXPECT_FALSE(curve_from_oid(hex("2A 86 48 CE 3D 03 01")));
    EXPECT_FALSE(curve_from_oid({}));
    EXPECT_FALSE(curve_from_name("p521"));
    EXPECT_FALSE(curve_from_name(nullptr));
}

TEST(Protocol, A110BusyTimesFollowTheWaitTable) {
    // §8.1, A110 column; the 0 ms entries (Echo, Read) become 1 ms.
    const std::pair<Command, std::uint32_t> rows[] = {
        {Command::echo, 1},
        {Command::reset, 30},
        {Command::generate_random, 15},
        {Command::decrement, 15},
        {Command::read, 1},
        {Command::update, 15},
        {Command::delete_attribute, 15},
        {Command::hibernate, 50},
        {Command::wrap_local_envelope, 125},
        {Command::unwrap_local_envelope, 150},
        {Command::put_attribute, 15},
        {Command::generate_key, 160},
        {Command::query, 1},
        {Command::generate_signature, 80},
        {Command::verify_signature, 150},
        {Command::establish_key, 260},
        {Command::verify_password, 15},
    };
    for (const auto& [command, ms] : rows) EXPECT_EQ(a110_busy_time_ms(command), ms) << to_string(command);
    EXPECT_GE(a110_busy_time_ms(static_cast<Command>(0x1D)), 1u);
}

TEST(Protocol, ProductFromMaskId) {
    EXPECT_EQ(product_from_mask({0xAA, 0x46, 0x02}), Product::a110);  // the real A110
    EXPECT_EQ(product_from_mask({0x00, 0x46, 0x00}), Product::a110);
    EXPECT_EQ(product_from_mask({0x00, 0x45, 0xFF}), Product::a100);
    EXPECT_EQ(product_from_mask({0x00, 0x40, 0x00}), Product::a100);
    EXPECT_EQ(product_from_mask({0x00, 0x3F, 0xFF}), Product::unknown);
    EXPECT_EQ(product_from_mask({0x00, 0x5F, 0xFF}), Product::a110);
    EXPECT_EQ(product_from_mask({0x00, 0x60, 0x00}), Product::a120);
    EXPECT_STREQ(to_string(Product::a110), "STSAFE-A110");
    EXPECT_STREQ(to_string(Product::unknown), "unknown");
}

TEST(Protocol, TypedLookups) {
    PartitionInfo p;
    p.zone_count = 2;
    p.zones[0].index = 0;
    p.zones[1].index = 7;
    p.zones[2].index = 9;  // beyond zone_count: not a record
    EXPECT_EQ(p.find(7), &p.zones[1]);
    EXPECT_EQ(p.find(9), nullptr);
    KeyTable t;
    t.slot_count = 1;
    t.slots[0].slot = 0xFF;
    EXPECT_EQ(t.find(0xFF), &t.slots[0]);
    EXPECT_EQ(t.find(0), nullptr);
    CommandAuthorizationTable c;
    c.count = 1;
    c.records[0].code = 0x0E;
    EXPECT_EQ(c.find(Command::wrap_local_envelope), &c.records[0]);
    EXPECT_EQ(c.find(Command::echo), nullptr);
}
