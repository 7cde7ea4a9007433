// SPDX-License-Identifier: Apache-2.0
// SE URI parsing (every accepted form and the rejections), opening missing things with a
// one-line explanation, and the system clock.
#include <gtest/gtest.h>

#include <filesystem>

#include "sebind/se_uri/se_uri.hpp"

using namespace sebind;
using namespace sebind::port_linux;

namespace {

struct Accepted {
    const char* text;
    SeKind kind;
    const char* path;
    const char* chip;
    std::uint8_t address;
};

}  // namespace

TEST(SeUri, AcceptedForms) {
    const Accepted table[] = {
        {"emu:./se", SeKind::emulator, "./se", "", 0x20},
        {"emu:/var/lib/se#x?addr=3", SeKind::emulator, "/var/lib/se#x?addr=3", "", 0x20},  // emu: takes any path
        {"emud:/run/se.sock", SeKind::daemon, "/run/se.sock", "", 0x20},
        {"emud:/run/se.sock#chip7", SeKind::daemon, "/run/se.sock", "chip7", 0x20},
        {"emud:rel.sock#a#b", SeKind::daemon, "rel.sock", "a#b", 0x20},
        {"i2c:/dev/i2c-1", SeKind::i2c, "/dev/i2c-1", "", 0x20},
        {"i2c:/dev/i2c-1?addr=0x21", SeKind::i2c, "/dev/i2c-1", "", 0x21},
        {"i2c:/dev/i2c-1?addr=0X2a", SeKind::i2c, "/dev/i2c-1", "", 0x2A},
        {"i2c:/dev/i2c-3?addr=32", SeKind::i2c, "/dev/i2c-3", "", 32},
        {"i2c:/dev/i2c-3?addr=0x08", SeKind::i2c, "/dev/i2c-3", "", 0x08},
        {"i2c:/dev/i2c-3?addr=0x77", SeKind::i2c, "/dev/i2c-3", "", 0x77},
        {"i2c:/dev/i2c-3?addr=8", SeKind::i2c, "/dev/i2c-3", "", 8},
        {"i2c:/dev/i2c-3?addr=119", SeKind::i2c, "/dev/i2c-3", "", 119},
    };
    for (const auto& row : table) {
        auto uri = parse_se_uri(row.text);
        ASSERT_TRUE(uri) << row.text;
        EXPECT_EQ(uri->kind, row.kind) << row.text;
        EXPECT_EQ(uri->path, row.path) << row.text;
        EXPECT_EQ(uri->chip, row.chip) << row.text;
        EXPECT_EQ(uri->address, row.address) << row.text;
    }
}

TEST(SeUri, Rejections) {
    const std::string long_chip = "emud:/s#" + std::string(256, 'c');
    for (const std::string bad : {"",
                                  "emu",
                                  "emu:",
                                  "emud:",
                                  "emud:#chip",
                                  "emud:/s#",
                                  long_chip.c_str(),
                                  "i2c:",
                                  "i2c:?addr=0x20",
                                  "i2c:dev/i2c-1",
                                  "tcp://127.0.0.1:1",
                                  "EMU:/x",
                                  " emu:/x",
                                  "i2c:/dev/i2c-1?addr=0x78",
                                  "i2c:/dev/i2c-1?addr=0x07",
                                  "i2c:/dev/i2c-1?addr=120",
                                  "i2c:/dev/i2c-1?addr=7",
                                  "i2c:/dev/i2c-1?addr=",
                                  "i2c:/dev/i2c-1?addr=0x",
                                  "i2c:/dev/i2c-1?addr=0x2g",
                                  "i2c:/dev/i2c-1?addr=-32",
                                  "i2c:/dev/i2c-1?addr= 32",
                                  "i2c:/dev/i2c-1?addr=0x20&speed=1",
                                  "i2c:/dev/i2c-1?speed=400",
                                  "i2c:/dev/i2c-1?",
                                  "i2c:/dev/i2c-1?addr=0x100000020"}) {
        EXPECT_EQ(parse_se_uri(bad).status().code(), Errc::invalid_argument) << bad;
    }
}

TEST(SeUri, OpeningMissingThingsExplainsTheFix) {
    std::string why;
    EXPECT_EQ(open_se(*parse_se_uri("emu:/nonexistent/sebind"), {}, &why).status().code(), Errc::does_not_exist);
    EXPECT_NE(why.find("sebind emu init /nonexistent/sebind"), std::string::npos) << why;

    why.clear();
    EXPECT_EQ(open_se(*parse_se_uri("emud:/nonexistent/sebind.sock"), {}, &why).status().code(),
              Errc::communication_failure);
    EXPECT_EQ(why,
              "cannot connect to sebind-emud at /nonexistent/sebind.sock: No such file or directory — start it with "
              "`sebind-emud --socket /nonexistent/sebind.sock DIR`");

    why.clear();
    EXPECT_EQ(open_se(*parse_se_uri("i2c:/nonexistent/i2c-9"), {}, &why).status().code(), Errc::does_not_exist);
    EXPECT_EQ(why.rfind("cannot open /nonexistent/i2c-9: No such file or directory — ", 0), 0u) << why;

    // A file that is not a device node: the ioctl path is never reached, but open succeeds, so
    // the connection opens and the first transaction fails as a bus fault (ENOTTY).
    const auto file = std::filesystem::temp_directory_path() / ("sebind-uri-" + std::to_string(::getpid()));
    {
        std::FILE* f = std::fopen(file.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fclose(f);
    }
    auto plain = open_se(*parse_se_uri("i2c:" + file.string()));
    ASSERT_TRUE(plain);
    EXPECT_EQ((*plain)->kind(), SeKind::i2c);
    EXPECT_EQ((*plain)->emulator(), nullptr);
    EXPECT_EQ((*plain)->device().query_product_data().status().code(), Errc::communication_failure);
    std::filesystem::remove(file);
}

// open_i2c_se (sebind::port_linux, no emulator linked) opens i2c: as open_se does and refuses the
// emulator's schemes with a line naming the form it takes.
TEST(SeUri, I2cOnlyOpenerRefusesTheEmulatorSchemes) {
    for (const char* text : {"emu:/nonexistent/sebind", "emud:/nonexistent/sebind.sock"}) {
        std::string why;
        EXPECT_EQ(open_i2c_se(*parse_se_uri(text), &why).status().code(), Errc::not_supported) << text;
        EXPECT_EQ(why, "this program opens only i2c: secure elements — name the chip as i2c:/dev/i2c-N") << text;
    }
    std::string why;
    EXPECT_EQ(open_i2c_se(*parse_se_uri("i2c:/nonexistent/i2c-9"), &why).status().code(), Errc::does_not_exist);
    EXPECT_EQ(why.rfind("cannot open /nonexistent/i2c-9: No such file or directory — ", 0), 0u) << why;
}

TEST(SystemClock, DelayWaitsAtLeastThatLong) {
    SystemClock clock;
    timespec before{};
    ::clock_gettime(CLOCK_MONOTONIC, &before);
    const auto start = clock.now_ms();
    clock.delay_ms(15);
    timespec after{};
    ::clock_gettime(CLOCK_MONOTONIC, &after);
    EXPECT_GE(elapsed_ms(start, clock.now_ms()), 15u);
    const double real_ms = static_cast<double>(after.tv_sec - before.tv_sec) * 1e3 +
                           static_cast<double>(after.tv_nsec - before.tv_nsec) / 1e6;
    EXPECT_GE(real_ms, 15.0);
    clock.delay_ms(0);  // returns
}
