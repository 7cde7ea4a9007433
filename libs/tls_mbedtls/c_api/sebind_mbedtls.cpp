// SPDX-License-Identifier: Apache-2.0
// The C API (sebind_mbedtls.h) over a caller's I2C callbacks: one guard per entry, one mapping of
// Status to C codes, and the last error kept as text on the handle.
#include <cstdio>
#include <cstring>
#include <memory>

#include <mbedtls/error.h>
#if defined(MBEDTLS_USE_PSA_CRYPTO)
#include <psa/crypto.h>
#endif

#include "handle.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"

namespace sebind::tls_mbedtls::c_api {

int to_code(Errc e) noexcept {
    switch (e) {
        case Errc::ok: return SEBIND_MBEDTLS_OK;
        case Errc::communication_failure: return SEBIND_MBEDTLS_ERR_COMMUNICATION;
        case Errc::busy: return SEBIND_MBEDTLS_ERR_BUSY;
        case Errc::integrity_failure: return SEBIND_MBEDTLS_ERR_INTEGRITY;
        case Errc::invalid_response: return SEBIND_MBEDTLS_ERR_INVALID_RESPONSE;
        case Errc::invalid_argument: return SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT;
        case Errc::buffer_too_small: return SEBIND_MBEDTLS_ERR_BUFFER_TOO_SMALL;
        case Errc::not_permitted: return SEBIND_MBEDTLS_ERR_NOT_PERMITTED;
        case Errc::does_not_exist: return SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST;
        case Errc::already_exists: return SEBIND_MBEDTLS_ERR_ALREADY_EXISTS;
        case Errc::invalid_signature: return SEBIND_MBEDTLS_ERR_INVALID_SIGNATURE;
        case Errc::not_supported: return SEBIND_MBEDTLS_ERR_NOT_SUPPORTED;
        case Errc::hardware_failure: return SEBIND_MBEDTLS_ERR_HARDWARE;
        case Errc::storage_failure: return SEBIND_MBEDTLS_ERR_STORAGE;
        case Errc::corrupted_data: return SEBIND_MBEDTLS_ERR_CORRUPTED_DATA;
        case Errc::out_of_range: return SEBIND_MBEDTLS_ERR_OUT_OF_RANGE;
        case Errc::timeout: return SEBIND_MBEDTLS_ERR_TIMEOUT;
        case Errc::expired: return SEBIND_MBEDTLS_ERR_EXPIRED;
    }
    return SEBIND_MBEDTLS_ERR_HARDWARE;
}

int fail(sebind_mbedtls_se* se, Status status, const char* what, const char* fix) noexcept {
    const int code = to_code(status.code());
    if (!se) return code;
    // Fixed-size formatting: recording an error must not itself fail.
    char text[320];
    int n = std::snprintf(text, sizeof text, "%s: %s", what, sebind_mbedtls_strerror(code));
    if (status.device_status() != 0 && n > 0 && static_cast<std::size_t>(n) < sizeof text)
        n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), " (chip status 0x%02X)",
                           status.device_status());
    if (fix && n > 0 && static_cast<std::size_t>(n) < sizeof text)
        std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), " — %s", fix);
    guarded(nullptr, [&] {
        se->last_error = text;
        return 0;
    });
    return code;
}

namespace {

/// The caller's callbacks as the driver's Bus and Clock.
class CallbackSe final : public sebind_mbedtls_se {
public:
    CallbackSe(const sebind_mbedtls_bus& bus, const stsafe::DeviceConfig& config) noexcept
        : m_bus(bus), m_device(m_bus, m_bus, config) {}
    stsafe::Device& device() noexcept override { return m_device; }

private:
    struct Adapter final : stsafe::Bus, Clock {
        explicit Adapter(const sebind_mbedtls_bus& b) noexcept : cb(b) {}
        static stsafe::BusResult result(int r) noexcept {
            if (r == SEBIND_MBEDTLS_BUS_OK) return stsafe::BusResult::ok;
            return r == SEBIND_MBEDTLS_BUS_NACK ? stsafe::BusResult::nack : stsafe::BusResult::fault;
        }
        stsafe::BusResult write(std::uint8_t address, Bytes data) noexcept override {
            return result(cb.write(cb.ctx, address, data.data(), data.size()));
        }
        stsafe::BusResult read(std::uint8_t address, MutableBytes out) noexcept override {
            return result(cb.read(cb.ctx, address, out.data(), out.size()));
        }
        std::uint32_t now_ms() noexcept override { return cb.now_ms(cb.ctx); }
        void delay_ms(std::uint32_t ms) noexcept override { cb.delay_ms(cb.ctx, ms); }
        sebind_mbedtls_bus cb;
    };
    Adapter m_bus;
    stsafe::Device m_device;
};

/// mbedTLS text for a failed parse, for the handle's error line.
int fail_mbedtls(sebind_mbedtls_se* se, int rc, const char* what) noexcept {
    char err[120];
    mbedtls_strerror(rc, err, sizeof err);
    char text[200];
    std::snprintf(text, sizeof text, "%s (mbedTLS: %s)", what, err);
    return fail(se, Status(Errc::corrupted_data), text);
}

}  // namespace

}  // namespace sebind::tls_mbedtls::c_api

sebind_mbedtls_se::sebind_mbedtls_se() noexcept {
#if defined(MBEDTLS_USE_PSA_CRYPTO)
    // Mbed TLS 3.6 parses keys and certificates and runs TLS through PSA: start it with the handle
    // (idempotent), so firmware that only relinks needs no new call.
    (void)psa_crypto_init();
#endif
}

using namespace sebind;
using tls_mbedtls::c_api::fail;
using tls_mbedtls::c_api::guarded;

extern "C" {

const char* sebind_mbedtls_strerror(int err) {
    switch (err) {
        case SEBIND_MBEDTLS_OK: return "success";
        case SEBIND_MBEDTLS_ERR_COMMUNICATION: return "communication with the chip failed";
        case SEBIND_MBEDTLS_ERR_BUSY: return "the chip stayed busy";
        case SEBIND_MBEDTLS_ERR_INTEGRITY: return "response integrity check (CRC/MAC) failed";
        case SEBIND_MBEDTLS_ERR_INVALID_RESPONSE: return "malformed response from the chip";
        case SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT: return "invalid argument";
        case SEBIND_MBEDTLS_ERR_BUFFER_TOO_SMALL: return "buffer too small";
        case SEBIND_MBEDTLS_ERR_NOT_PERMITTED: return "not permitted (access condition or usage limit)";
        case SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST: return "does not exist";
        case SEBIND_MBEDTLS_ERR_ALREADY_EXISTS: return "already exists";
        case SEBIND_MBEDTLS_ERR_INVALID_SIGNATURE: return "signature does not verify";
        case SEBIND_MBEDTLS_ERR_NOT_SUPPORTED: return "not supported";
        case SEBIND_MBEDTLS_ERR_HARDWARE: return "chip hardware failure";
        case SEBIND_MBEDTLS_ERR_STORAGE: return "host storage failure";
        case SEBIND_MBEDTLS_ERR_CORRUPTED_DATA: return "stored data is corrupted";
        case SEBIND_MBEDTLS_ERR_OUT_OF_RANGE: return "out of range";
        case SEBIND_MBEDTLS_ERR_TIMEOUT: return "timed out";
        case SEBIND_MBEDTLS_ERR_EXPIRED: return "expired";
        case SEBIND_MBEDTLS_ERR_OUT_OF_MEMORY: return "out of host memory";
        default: return "unknown error";
    }
}

void sebind_mbedtls_config_init(sebind_mbedtls_config* config) {
    if (!config) return;
    const stsafe::DeviceConfig defaults;
    config->i2c_address = defaults.address;
    config->emulated = 0;
    config->busy_timeout_ms = defaults.busy_timeout_ms;
}

int sebind_mbedtls_open(const sebind_mbedtls_bus* bus, const sebind_mbedtls_config* config, sebind_mbedtls_se** se) {
    return guarded(nullptr, [&] {
        if (se) *se = nullptr;
        if (!bus || !se || !bus->write || !bus->read || !bus->now_ms || !bus->delay_ms)
            return SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT;
        sebind_mbedtls_config c;
        sebind_mbedtls_config_init(&c);
        if (config) c = *config;
        if (c.i2c_address < 0x08 || c.i2c_address > 0x77) return SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT;
        stsafe::DeviceConfig dc;
        dc.address = c.i2c_address;
        dc.wait_table_percent = c.emulated ? 0 : 100;  // the emulator NACKs while busy instead
        if (c.busy_timeout_ms) dc.busy_timeout_ms = c.busy_timeout_ms;
        auto* handle = new (std::nothrow) tls_mbedtls::c_api::CallbackSe(*bus, dc);
        if (!handle) return SEBIND_MBEDTLS_ERR_OUT_OF_MEMORY;
        *se = handle;
        return SEBIND_MBEDTLS_OK;
    });
}

void sebind_mbedtls_close(sebind_mbedtls_se* se) { delete se; }

const char* sebind_mbedtls_last_error(const sebind_mbedtls_se* se) { return se ? se->last_error.c_str() : ""; }

uint8_t sebind_mbedtls_default_zone(uint8_t slot) { return identity::default_zone(slot); }

int sebind_mbedtls_setup_key(sebind_mbedtls_se* se, uint8_t slot, uint8_t zone, mbedtls_pk_context* pk) {
    return guarded(se, [&] {
        if (!se || !pk || mbedtls_pk_get_type(pk) != MBEDTLS_PK_NONE)
            return fail(se, Status(Errc::invalid_argument), "setup_key",
                        "pass an mbedtls_pk_init'ed, empty pk context");
        auto key = identity::slot_public_key(se->device(), slot, zone);
        if (!key)
            return fail(se, key.status(), "setup_key: reading the slot's public key from its zone",
                        "check the zone holds this slot's certificate (`sebind info`)");
        const Status s = mbedtls_util::setup_se_key(*pk, se->device(), slot, *key);
        if (!s.ok())
            return fail(
                se, s, "setup_key: binding the slot",
                s.code() == Errc::does_not_exist ? "the slot is empty: generate a key (`sebind keygen`)" : nullptr);
        se->last_error.clear();
        return SEBIND_MBEDTLS_OK;
    });
}

int sebind_mbedtls_setup_key_with_public(sebind_mbedtls_se* se, uint8_t slot, const unsigned char* point,
                                         size_t point_len, mbedtls_pk_context* pk) {
    return guarded(se, [&] {
        if (!se || !pk || !point || mbedtls_pk_get_type(pk) != MBEDTLS_PK_NONE)
            return fail(se, Status(Errc::invalid_argument), "setup_key_with_public");
        auto curve = se->device().slot_curve(slot);
        if (!curve)
            return fail(se, curve.status(), "setup_key_with_public: the slot's curve",
                        curve.status().code() == Errc::does_not_exist
                            ? "the slot is empty: generate a key (`sebind keygen`)"
                            : nullptr);
        const std::size_t n = stsafe::curve_info(*curve).coordinate_size;
        if (point_len != 1 + 2 * n || point[0] != 0x04)
            return fail(se, Status(Errc::invalid_argument),
                        "setup_key_with_public: not an uncompressed point on the slot's curve");
        stsafe::PublicKey key;
        key.curve = *curve;
        key.x.assign(Bytes(point + 1, n));
        key.y.assign(Bytes(point + 1 + n, n));
        const Status s = mbedtls_util::setup_se_key(*pk, se->device(), slot, key);
        if (!s.ok()) return fail(se, s, "setup_key_with_public: binding the slot");
        se->last_error.clear();
        return SEBIND_MBEDTLS_OK;
    });
}

int sebind_mbedtls_read_chain(sebind_mbedtls_se* se, uint8_t zone, mbedtls_x509_crt* chain) {
    return guarded(se, [&] {
        if (!se || !chain) return fail(se, Status(Errc::invalid_argument), "read_chain");
        auto cert = identity::read_certificate(se->device(), zone);
        if (!cert)
            return fail(se, cert.status(), "read_chain: reading the zone",
                        cert.status().code() == Errc::does_not_exist
                            ? "no certificate there: store one (`sebind cert store`)"
                            : nullptr);
        const int rc = mbedtls_x509_crt_parse_der(chain, cert->der.data(), cert->der.size());
        if (rc != 0)
            return tls_mbedtls::c_api::fail_mbedtls(se, rc, "read_chain: the zone's certificate does not parse");
        se->last_error.clear();
        return SEBIND_MBEDTLS_OK;
    });
}

int sebind_mbedtls_verify_pair(sebind_mbedtls_se* se, uint8_t slot, const mbedtls_x509_crt* cert) {
    return guarded(se, [&] {
        if (!se || !cert || cert->raw.len == 0) return fail(se, Status(Errc::invalid_argument), "verify_pair");
        const Status s = identity::verify_pair(se->device(), slot, Bytes(cert->raw.p, cert->raw.len));
        if (!s.ok())
            return fail(se, s, "verify_pair",
                        s.code() == Errc::invalid_signature ? "the certificate is not this slot's: store the right one"
                                                            : nullptr);
        se->last_error.clear();
        return SEBIND_MBEDTLS_OK;
    });
}

uint32_t sebind_mbedtls_sign_count(const mbedtls_pk_context* pk) {
    return pk ? mbedtls_util::se_key_signatures(*pk) : 0;
}

int sebind_mbedtls_key_error(const mbedtls_pk_context* pk) {
    return pk ? tls_mbedtls::c_api::to_code(mbedtls_util::se_key_last_error(*pk).code())
              : SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT;
}

}  // extern "C"
