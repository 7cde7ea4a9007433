// SPDX-License-Identifier: Apache-2.0
// A consumer of the C++ libraries (built by the package and subproject consumers): creates an
// emulated chip in DIR, opens it by its SE URI, reads the product data and random bytes, and has
// slot 0 sign a digest that the chip then verifies with the public key of the zone-0 certificate
// (a changed digest must not verify). Prints "OK <serial>" and exits 0, or one line and 1.
#include <array>
#include <cstdio>
#include <string>

#include "sebind/core/hex.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/se_uri/se_uri.hpp"
#include "sebind/version.h"

namespace {

int fail(const char* what, sebind::Status st) {
    std::fprintf(stderr, "consumer: %s failed: %s\n", what, sebind::to_string(st.code()));
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer DIR (an empty directory for the emulated chip)\n");
        return 2;
    }
    const std::string dir = std::string(argv[1]) + "/se";
    if (auto st = sebind::emu::init_chip(dir, {}); !st) return fail("emu::init_chip", st);
    auto uri = sebind::port_linux::parse_se_uri("emu:" + dir);
    if (!uri) return fail("parse_se_uri", uri.status());
    std::string why;
    auto se = sebind::port_linux::open_se(uri.value(), {}, &why);
    if (!se) {
        std::fprintf(stderr, "consumer: %s\n", why.c_str());
        return 1;
    }
    sebind::stsafe::Device& device = se.value()->device();
    auto product = device.query_product_data();
    if (!product) return fail("query_product_data", product.status());

    std::array<std::uint8_t, 32> digest{};
    if (auto st = device.generate_random(digest); !st) return fail("generate_random", st);
    if (digest == std::array<std::uint8_t, 32>{}) {
        std::fprintf(stderr, "consumer: generate_random returned zeros\n");
        return 1;
    }
    auto key = sebind::identity::slot_public_key(device, 0, 0);
    if (!key) return fail("slot_public_key", key.status());
    auto signature = device.generate_signature(0, digest);
    if (!signature) return fail("generate_signature", signature.status());
    auto good = device.verify_signature(key.value(), signature.value(), digest);
    digest[0] ^= 1;
    auto bad = device.verify_signature(key.value(), signature.value(), digest);
    if (!good || !bad) return fail("verify_signature", !good ? good.status() : bad.status());
    if (!good.value() || bad.value()) {
        std::fprintf(stderr, "consumer: slot 0's signature does not check against the zone-0 certificate's key\n");
        return 1;
    }
    std::printf("OK sebind %s, chip %s, slot 0 signs\n", SEBIND_VERSION_STRING,
                sebind::to_hex(product.value().product_number).c_str());
    return 0;
}
