// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the driver's response path. The input is what a (possibly hostile or broken) chip
// answers; the driver must answer with a Status, never crash or read out of bounds.
//
// Input: one mode byte, then one scripted answer per command: status byte, 2-byte length, payload.
// The bus wraps each answer in a frame with the right length field and CRC, and in the MAC'd
// mode (host keys under a fixed test key, C-MAC and R-MAC on every command) with the R-MAC the
// driver expects, so the fuzzer's bytes get past the frame checks into the typed parsers and the
// R-MAC and decryption paths. Mode bit 1 replays the input raw instead, as a broken bus would.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sebind/core/clock.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/secure_channel.hpp"

namespace {

using namespace sebind;

constexpr std::uint8_t kMacMode = 0x01;
constexpr std::uint8_t kRawMode = 0x02;
constexpr std::uint8_t kEncryptMode = 0x04;  ///< answers encrypted as a protected response is
constexpr std::uint8_t kQueryCommand = 0x14;
constexpr std::uint8_t kHostKeySlotTag = 0x17;

stsafe::HostKeys test_keys() {
    stsafe::HostKeys k;
    k.mac_key.fill(0x4D);
    k.cipher_key.fill(0x43);
    return k;
}

class ScriptedBus final : public stsafe::Bus {
public:
    ScriptedBus(const std::uint8_t* data, std::size_t size, std::uint8_t mode)
        : m_data(data), m_size(size), m_mode(mode) {}

    stsafe::BusResult write(std::uint8_t, Bytes frame) noexcept override {
        if (m_mode & kRawMode) {
            m_response.assign(m_data, m_data + m_size);
            return stsafe::BusResult::ok;
        }
        auto command = stsafe::decode_command(frame);
        if (!command) return answer(0x01, {});
        const std::uint8_t header = command->header;
        // The counter is the chip's own, answered truthfully so that the driver's C-MACs and our
        // R-MACs agree; every other answer comes from the input.
        if ((header & 0x1F) == kQueryCommand && command->payload.size() == 1 &&
            command->payload[0] == kHostKeySlotTag) {
            const std::uint8_t slot[] = {1, static_cast<std::uint8_t>(m_counter >> 16),
                                         static_cast<std::uint8_t>(m_counter >> 8),
                                         static_cast<std::uint8_t>(m_counter)};
            return answer(0x00, slot);
        }
        const std::uint32_t used = m_counter;
        if (header & 0x80) ++m_counter;
        const std::uint8_t status = next_byte();
        std::size_t length = static_cast<std::size_t>(next_byte()) << 8;
        length = (length | next_byte()) % (stsafe::kIoBufferSize + 1);
        std::vector<std::uint8_t> payload(m_data + m_at, m_data + m_at + std::min(length, m_size - m_at));
        m_at += payload.size();
        if (!(header & 0x80) || !(header & 0x40) || (status & 0x1F) != 0) return answer(status & 0xBF, payload);
        if ((m_mode & kEncryptMode) && !payload.empty()) {
            std::vector<std::uint8_t> cipher(payload.size() + 16);
            auto n = stsafe::encrypt_payload(m_keys, used, stsafe::Direction::response, payload, cipher);
            if (!n) return answer(0x01, {});
            cipher.resize(*n);
            payload = std::move(cipher);
        }
        auto rmac = stsafe::compute_rmac(m_keys, used, header, command->payload, 0x40, payload);
        if (!rmac) return answer(0x01, {});
        return answer(0x40, payload, *rmac);
    }

    stsafe::BusResult read(std::uint8_t, MutableBytes out) noexcept override {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = i < m_response.size() ? m_response[i] : 0xFF;
        return stsafe::BusResult::ok;
    }

private:
    std::uint8_t next_byte() noexcept { return m_at < m_size ? m_data[m_at++] : 0; }

    stsafe::BusResult answer(std::uint8_t status, Bytes payload, Bytes rmac = {}) noexcept {
        m_response.resize(payload.size() + rmac.size() + 8);
        auto n = stsafe::encode_response(status, payload, rmac, m_response);
        m_response.resize(n ? *n : 0);
        return stsafe::BusResult::ok;
    }

    const std::uint8_t* m_data;
    std::size_t m_size;
    std::size_t m_at = 0;
    std::uint8_t m_mode;
    std::uint32_t m_counter = 0x10;
    stsafe::HostKeys m_keys = test_keys();
    std::vector<std::uint8_t> m_response;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The frame decoder alone.
    (void)stsafe::decode_response(Bytes(data, size));
    if (size < 1) return 0;

    // The whole driver: every typed parser sees a scripted answer.
    ScriptedBus bus(data + 1, size - 1, data[0]);
    ManualClock clock;
    stsafe::DeviceConfig config;
    config.wait_table_percent = 0;
    config.busy_timeout_ms = 10;
    stsafe::Device device(bus, clock, config);
    if (data[0] & kMacMode) {
        device.set_host_keys(test_keys());
        device.set_mac_policy(stsafe::MacPolicy::always);
    }
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
    (void)device.generate_random(MutableBytes(buf, 16));
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
