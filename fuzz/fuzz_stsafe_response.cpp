// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the driver's response path. The input is what a (possibly hostile or broken) bus
// returns; the driver must answer with a Status, never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sebind/core/clock.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/frame.hpp"

namespace {

using namespace sebind;

/// A bus that ACKs every write and answers every read with the fuzz input (restarting at its
/// first byte, 0xFF past its end, as the chip does).
class ReplayBus final : public stsafe::Bus {
public:
    ReplayBus(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}
    stsafe::BusResult write(std::uint8_t, Bytes) noexcept override { return stsafe::BusResult::ok; }
    stsafe::BusResult read(std::uint8_t, MutableBytes out) noexcept override {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = i < m_size ? m_data[i] : 0xFF;
        return stsafe::BusResult::ok;
    }

private:
    const std::uint8_t* m_data;
    std::size_t m_size;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The frame decoder alone.
    (void)stsafe::decode_response(Bytes(data, size));

    // The whole driver: every typed parser sees the same bytes as its response.
    ReplayBus bus(data, size);
    ManualClock clock;
    stsafe::DeviceConfig config;
    config.wait_table_percent = 0;
    config.busy_timeout_ms = 10;
    stsafe::Device device(bus, clock, config);
    std::uint8_t buf[64];
    std::uint8_t digest[32];
    std::memset(digest, 0x11, sizeof digest);
    (void)device.query_product_data();
    (void)device.query_partition();
    (void)device.query_key_table();
    (void)device.query_host_key_slot();
    (void)device.query_life_cycle();
    (void)device.query_i2c_parameters();
    (void)device.query_command_authorization();
    (void)device.query_local_envelope_keys();
    (void)device.read(1, 0, buf);
    (void)device.read_counter_zone(5, 0, buf);
    (void)device.echo(Bytes(buf, 8), buf);
    (void)device.generate_random(Bytes(buf, 16).size() ? MutableBytes(buf, 16) : MutableBytes());
    (void)device.generate_signature(0, digest);
    (void)device.generate_key_pair(1, stsafe::Curve::p384);
    stsafe::PublicKey peer;
    peer.curve = stsafe::Curve::p256;
    peer.x.resize(32);
    peer.y.resize(32);
    (void)device.establish_key(0xFF, peer);
    (void)device.decrement(5, 0, 1);
    return 0;
}
