// SPDX-License-Identifier: Apache-2.0
// A product that talks only to a real chip: opens the i2c: URI given as argv[1] with
// open_i2c_se (sebind::port_linux) and prints the outcome. Built a second time with
// SEBIND_CONSUMER_ANY_URI, opening through open_se (sebind::se_uri) instead, so the symbol check
// (no_emulator_check.cmake) also sees a binary that does carry the emulator.
#include <cstdio>
#include <string>

#ifdef SEBIND_CONSUMER_ANY_URI
#include "sebind/se_uri/se_uri.hpp"
#else
#include "sebind/port_linux/se_connection.hpp"
#endif

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s i2c:/dev/i2c-N\n", argv[0]);
        return 2;
    }
    auto uri = sebind::port_linux::parse_se_uri(argv[1]);
    if (!uri) {
        std::fprintf(stderr, "not an SE URI: %s\n", argv[1]);
        return 2;
    }
    std::string why;
#ifdef SEBIND_CONSUMER_ANY_URI
    auto se = sebind::port_linux::open_se(*uri, {}, &why);
#else
    auto se = sebind::port_linux::open_i2c_se(*uri, &why);
#endif
    if (!se) {
        std::printf("open failed (%s): %s\n", sebind::to_string(se.status().code()), why.c_str());
        return 1;
    }
    std::printf("opened\n");
    return 0;
}
