// SPDX-License-Identifier: Apache-2.0
// The C API (sebind_mbedtls.h) against the emulated chip through its C I2C callbacks: the boot
// sequence from C, and every error path a C firmware meets (empty slot, wrong or empty zone,
// mismatched pair, bad arguments, dead or busy bus, bad URI).
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include <mbedtls/x509_crt.h>

#include "../../interop/support/process.hpp"
#include "sebind/core/clock.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/tls_mbedtls/chip_ecdhe.hpp"
#include "sebind/tls_mbedtls/client.hpp"
#include "sebind/tls_mbedtls/sebind_mbedtls.h"

using namespace sebind;

extern "C" {
struct c_api_run {
    int open, read_chain, setup_key, verify_pair, sign, verify_with_certificate;
    unsigned sign_count;
    int empty_slot, empty_slot_public, missing_certificate_zone;
    char empty_slot_text[256];
};
void c_api_run_boot(const sebind_mbedtls_bus* bus, c_api_run* r);
}

namespace {

/// An emulated chip behind the C callbacks, on a manual clock; `mode` forces bus outcomes.
struct CChip {
    enum class Mode { normal, fault, nack };
    CChip() {
        auto c = emu::Chip::create_in_memory({.seed = 7, .device_common_name = {}, .certificate_days = 3650}, {});
        EXPECT_TRUE(c);
        chip = std::move(*c);
        bus.ctx = this;
        bus.write = [](void* ctx, uint8_t address, const uint8_t* data, size_t len) {
            auto* self = static_cast<CChip*>(ctx);
            if (self->mode == Mode::fault) return SEBIND_MBEDTLS_BUS_FAULT;
            if (self->mode == Mode::nack) return SEBIND_MBEDTLS_BUS_NACK;
            return to_c(self->chip->i2c_write(address, Bytes(data, len), self->clock.now_ms()));
        };
        bus.read = [](void* ctx, uint8_t address, uint8_t* out, size_t len) {
            auto* self = static_cast<CChip*>(ctx);
            if (self->mode == Mode::fault) return SEBIND_MBEDTLS_BUS_FAULT;
            if (self->mode == Mode::nack) return SEBIND_MBEDTLS_BUS_NACK;
            return to_c(self->chip->i2c_read(address, MutableBytes(out, len), self->clock.now_ms()));
        };
        bus.now_ms = [](void* ctx) { return static_cast<CChip*>(ctx)->clock.now_ms(); };
        bus.delay_ms = [](void* ctx, uint32_t ms) { static_cast<CChip*>(ctx)->clock.delay_ms(ms); };
    }
    static int to_c(stsafe::BusResult r) {
        return r == stsafe::BusResult::ok     ? SEBIND_MBEDTLS_BUS_OK
               : r == stsafe::BusResult::nack ? SEBIND_MBEDTLS_BUS_NACK
                                              : SEBIND_MBEDTLS_BUS_FAULT;
    }
    sebind_mbedtls_se* open() {
        sebind_mbedtls_config config;
        sebind_mbedtls_config_init(&config);
        config.emulated = 1;
        sebind_mbedtls_se* se = nullptr;
        EXPECT_EQ(sebind_mbedtls_open(&bus, &config, &se), 0);
        return se;
    }
    ManualClock clock;
    std::unique_ptr<emu::Chip> chip;
    sebind_mbedtls_bus bus{};
    Mode mode = Mode::normal;
};

/// RAII for the mbedTLS objects a test hands to the C API.
struct Objects {
    Objects() {
        mbedtls_x509_crt_init(&chain);
        mbedtls_pk_init(&key);
    }
    ~Objects() {
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&chain);
    }
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
};

}  // namespace

TEST(CApi, BootSequenceFromC) {
    CChip c;
    c_api_run r;
    c_api_run_boot(&c.bus, &r);
    EXPECT_EQ(r.open, 0);
    EXPECT_EQ(r.read_chain, 0);
    EXPECT_EQ(r.setup_key, 0);
    EXPECT_EQ(r.verify_pair, 0);
    EXPECT_EQ(r.sign, 0);
    EXPECT_EQ(r.verify_with_certificate, 0);  // the chip's signature verifies with the zone's certificate
    EXPECT_EQ(r.sign_count, 1u);
    EXPECT_EQ(c.chip->stats().signatures, 2u);  // verify_pair's challenge + the message
    EXPECT_EQ(r.empty_slot, SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST);
    EXPECT_NE(std::string(r.empty_slot_text).find("keygen"), std::string::npos) << r.empty_slot_text;
    EXPECT_EQ(r.empty_slot_public, SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST);
    EXPECT_EQ(r.missing_certificate_zone, SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST);
}

TEST(CApi, WrongZonesAndMismatchedPair) {
    CChip c;
    sebind_mbedtls_se* se = c.open();
    ASSERT_NE(se, nullptr);
    Objects o;
    // A zone that does not exist, and an existing zone without a record.
    EXPECT_EQ(sebind_mbedtls_read_chain(se, 200, &o.chain), SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST);
    EXPECT_NE(std::string(sebind_mbedtls_last_error(se)), "");
    EXPECT_EQ(sebind_mbedtls_setup_key(se, 0, 200, &o.key), SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST);
    EXPECT_EQ(sebind_mbedtls_setup_key(se, 0, 4, &o.key), SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST);
    EXPECT_EQ(mbedtls_pk_get_type(&o.key), MBEDTLS_PK_NONE);  // untouched on failure

    // Slot 1 gets a key (recorded in zone 4): zone 4's record is slot 1's, not slot 0's.
    {
        ManualClock clock;
        emu::EmulatedBus bus(*c.chip, clock);
        stsafe::Device device(bus, clock, emu::kDriverConfig);
        ASSERT_TRUE(identity::keygen(device, {}));
    }
    EXPECT_EQ(sebind_mbedtls_setup_key(se, 0, 4, &o.key), SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST);
    ASSERT_EQ(sebind_mbedtls_setup_key(se, 1, 4, &o.key), 0) << sebind_mbedtls_last_error(se);
    EXPECT_EQ(std::string(sebind_mbedtls_last_error(se)), "");
    // The factory certificate does not pair with slot 1's key: caught before any handshake.
    ASSERT_EQ(sebind_mbedtls_read_chain(se, 0, &o.chain), 0);
    EXPECT_EQ(sebind_mbedtls_verify_pair(se, 1, &o.chain), SEBIND_MBEDTLS_ERR_INVALID_SIGNATURE);
    EXPECT_NE(std::string(sebind_mbedtls_last_error(se)).find("not this slot"), std::string::npos);
    EXPECT_EQ(sebind_mbedtls_verify_pair(se, 0, &o.chain), 0);
    sebind_mbedtls_close(se);
}

TEST(CApi, ArgumentsAreChecked) {
    CChip c;
    sebind_mbedtls_se* se = nullptr;
    EXPECT_EQ(sebind_mbedtls_open(nullptr, nullptr, &se), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    sebind_mbedtls_bus partial = c.bus;
    partial.delay_ms = nullptr;
    EXPECT_EQ(sebind_mbedtls_open(&partial, nullptr, &se), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(se, nullptr);
    sebind_mbedtls_config config;
    sebind_mbedtls_config_init(&config);
    EXPECT_EQ(config.i2c_address, 0x20);
    config.i2c_address = 0x7F;  // reserved I2C address
    EXPECT_EQ(sebind_mbedtls_open(&c.bus, &config, &se), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);

    se = c.open();
    ASSERT_NE(se, nullptr);
    Objects o;
    EXPECT_EQ(sebind_mbedtls_setup_key(se, 0, 0, nullptr), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(sebind_mbedtls_setup_key(nullptr, 0, 0, &o.key), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    ASSERT_EQ(sebind_mbedtls_setup_key(se, 0, 0, &o.key), 0);
    EXPECT_EQ(sebind_mbedtls_setup_key(se, 0, 0, &o.key), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);  // not empty
    mbedtls_pk_context other;
    mbedtls_pk_init(&other);
    unsigned char point[65] = {0x04};
    EXPECT_EQ(sebind_mbedtls_setup_key_with_public(se, 0, point, 64, &other), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    point[0] = 0x02;  // compressed form is not accepted
    EXPECT_EQ(sebind_mbedtls_setup_key_with_public(se, 0, point, 65, &other), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    point[0] = 0x04;  // right size, but (0, 0) is not on P-256
    EXPECT_EQ(sebind_mbedtls_setup_key_with_public(se, 0, point, 65, &other), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    // The real point (from the certificate) works.
    ASSERT_EQ(sebind_mbedtls_read_chain(se, 0, &o.chain), 0);
    std::size_t len = 0;
    ASSERT_EQ(mbedtls_ecp_point_write_binary(&mbedtls_pk_ec(o.chain.pk)->grp, &mbedtls_pk_ec(o.chain.pk)->Q,
                                             MBEDTLS_ECP_PF_UNCOMPRESSED, &len, point, sizeof point),
              0);
    EXPECT_EQ(sebind_mbedtls_setup_key_with_public(se, 0, point, len, &other), 0) << sebind_mbedtls_last_error(se);
    mbedtls_pk_free(&other);
    EXPECT_EQ(sebind_mbedtls_sign_count(nullptr), 0u);
    EXPECT_EQ(sebind_mbedtls_sign_count(&o.chain.pk), 0u);  // not a chip key
    EXPECT_EQ(sebind_mbedtls_key_error(&o.key), 0);
    sebind_mbedtls_close(se);
    sebind_mbedtls_close(nullptr);
}

TEST(CApi, DeadAndBusyBus) {
    CChip c;
    sebind_mbedtls_se* se = c.open();
    ASSERT_NE(se, nullptr);
    Objects o;
    c.mode = CChip::Mode::fault;
    EXPECT_EQ(sebind_mbedtls_read_chain(se, 0, &o.chain), SEBIND_MBEDTLS_ERR_COMMUNICATION);
    c.mode = CChip::Mode::nack;  // the chip never answers: polled until the busy timeout
    const auto before = c.clock.now_ms();
    EXPECT_EQ(sebind_mbedtls_read_chain(se, 0, &o.chain), SEBIND_MBEDTLS_ERR_BUSY);
    EXPECT_GE(c.clock.now_ms() - before, 1500u);
    c.mode = CChip::Mode::normal;
    ASSERT_EQ(sebind_mbedtls_read_chain(se, 0, &o.chain), 0);
    ASSERT_EQ(sebind_mbedtls_setup_key(se, 0, 0, &o.key), 0);
    // A signature that fails on the bus: mbedTLS sees HW_ACCEL_FAILED, the C API the cause.
    c.mode = CChip::Mode::fault;
    unsigned char digest[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    std::memset(digest, 0x5A, sizeof digest);
    std::size_t sig_len = 0;
    EXPECT_EQ(mbedtls_pk_sign(&o.key, MBEDTLS_MD_SHA256, digest, sizeof digest, sig, &sig_len, nullptr, nullptr),
              MBEDTLS_ERR_PK_HW_ACCEL_FAILED);
    EXPECT_EQ(sebind_mbedtls_key_error(&o.key), SEBIND_MBEDTLS_ERR_COMMUNICATION);
    EXPECT_EQ(sebind_mbedtls_sign_count(&o.key), 0u);
    sebind_mbedtls_close(se);
}

TEST(CApi, OpenByUri) {
    test::TempDir dir;
    char why[256] = "unchanged";
    sebind_mbedtls_se* se = reinterpret_cast<sebind_mbedtls_se*>(&why);  // must be reset to NULL
    EXPECT_EQ(sebind_mbedtls_open_uri("bogus:/x", &se, why, sizeof why), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(se, nullptr);
    EXPECT_NE(std::string(why).find("emu:DIR"), std::string::npos) << why;
    EXPECT_EQ(sebind_mbedtls_open_uri("i2c:relative/path", &se, why, sizeof why), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(sebind_mbedtls_open_uri("i2c:/dev/i2c-1?addr=0x99", &se, why, sizeof why),
              SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(sebind_mbedtls_open_uri(nullptr, &se, nullptr, 0), SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(sebind_mbedtls_open_uri(("emu:" + dir.file("none")).c_str(), &se, why, sizeof why),
              SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST);
    EXPECT_NE(std::string(why).find("sebind emu init"), std::string::npos) << why;
    // Nobody listens on the socket: a communication failure, with how to start the daemon.
    EXPECT_EQ(sebind_mbedtls_open_uri(("emud:" + dir.file("no.sock")).c_str(), &se, why, sizeof why),
              SEBIND_MBEDTLS_ERR_COMMUNICATION);
    EXPECT_NE(std::string(why).find("sebind-emud"), std::string::npos) << why;

    ASSERT_TRUE(emu::init_chip(dir.file("se"), {}).ok());
    ASSERT_EQ(sebind_mbedtls_open_uri(("emu:" + dir.file("se")).c_str(), &se, why, sizeof why), 0) << why;
    EXPECT_STREQ(why, "");
    Objects o;
    EXPECT_EQ(sebind_mbedtls_read_chain(se, 0, &o.chain), 0) << sebind_mbedtls_last_error(se);
    EXPECT_EQ(sebind_mbedtls_setup_key(se, 0, 0, &o.key), 0) << sebind_mbedtls_last_error(se);
    EXPECT_EQ(sebind_mbedtls_verify_pair(se, 0, &o.chain), 0) << sebind_mbedtls_last_error(se);
    mbedtls_pk_free(&o.key);
    mbedtls_pk_init(&o.key);
    sebind_mbedtls_close(se);
}

TEST(CApi, EveryCodeHasItsOwnText) {
    std::set<std::string> texts;
    for (int code = SEBIND_MBEDTLS_ERR_OUT_OF_MEMORY; code <= SEBIND_MBEDTLS_OK; ++code)
        texts.insert(sebind_mbedtls_strerror(code));
    EXPECT_EQ(texts.size(), 19u);
    EXPECT_EQ(texts.count("unknown error"), 0u);
    EXPECT_STREQ(sebind_mbedtls_strerror(-99), "unknown error");
    EXPECT_STREQ(sebind_mbedtls_strerror(1), "unknown error");
}

TEST(CApi, ChipEcdheNeedsTheHook) {
    // This test program does not link sebind::tls_mbedtls_ecdhe_hook: asking for chip ECDHE must
    // fail at setup with the fix, not silently compute ECDHE on the host.
    EXPECT_FALSE(tls_mbedtls::chip_ecdhe_available());
    CChip c;
    sebind_mbedtls_se* se = c.open();
    ASSERT_NE(se, nullptr);
    Objects o;
    ASSERT_EQ(sebind_mbedtls_read_chain(se, 0, &o.chain), 0);
    ASSERT_EQ(sebind_mbedtls_setup_key(se, 0, 0, &o.key), 0);
    test::TempDir dir;
    ASSERT_TRUE(emu::init_chip(dir.file("ca"), {}).ok());
    tls_mbedtls::ClientOptions options;
    options.host = "localhost";
    options.ca_file = dir.file("ca/factory-ca.pem");
    options.own_chain = &o.chain;
    options.own_key = &o.key;
    options.chip_ecdhe = true;
    tls_mbedtls::ClientContext context;
    tls::Diagnosis why;
    EXPECT_EQ(context.setup(options, &why).code(), Errc::not_supported);
    EXPECT_EQ(why.failure, tls::Failure::not_supported);
    EXPECT_NE(why.fix.find("tls_mbedtls_ecdhe_hook"), std::string::npos) << why.fix;
    options.own_key = &o.chain.pk;  // a software key cannot do chip ECDHE at all
    EXPECT_EQ(context.setup(options, &why).code(), Errc::not_supported);
    EXPECT_NE(why.cause.find("chip's key"), std::string::npos) << why.cause;
    options.chip_ecdhe = false;
    EXPECT_TRUE(context.setup(options, &why).ok()) << why.cause;
    sebind_mbedtls_close(se);
}
