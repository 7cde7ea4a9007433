// SPDX-License-Identifier: Apache-2.0
// The emulated STSAFE-A110: I2C behaviour, the command pipeline of protocol doc §11, handlers.
#pragma once

#include <memory>
#include <vector>

#include "chip_state.hpp"
#include "crypto.hpp"
#include "nvm_store.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/protocol.hpp"

namespace sebind::emu {

/// Handler result meaning "no response": power was lost or the chip hung.
inline constexpr std::uint8_t kNoResponse = 0xFF;

struct Request {
    std::uint8_t code = 0;
    Bytes payload;          ///< plaintext payload
    bool host_mac = false;  ///< a valid host C-MAC came with the command
};

struct Reply {
    ByteBuffer<stsafe::kIoBufferSize> payload;
    bool put(Bytes b) { return payload.append(b); }
    bool put8(std::uint8_t v) { return payload.push_back(v); }
    bool put16(std::size_t v) { return put8(static_cast<std::uint8_t>(v >> 8)) && put8(static_cast<std::uint8_t>(v)); }
};

class ChipImpl final : public Chip {
public:
    ChipImpl(ChipState state, std::unique_ptr<NvmStore> store, const OpenOptions& options, std::uint64_t seed);

    stsafe::BusResult i2c_write(std::uint8_t address, Bytes data, std::uint32_t now_ms) noexcept override;
    stsafe::BusResult i2c_read(std::uint8_t address, MutableBytes out, std::uint32_t now_ms) noexcept override;
    std::size_t process(Bytes command, MutableBytes response) noexcept override;
    Status power_cycle() noexcept override;
    bool powered() const noexcept override { return m_powered; }
    void set_faults(const FaultConfig& faults) noexcept override;
    void set_latency(Latency latency) noexcept override { m_options.latency = latency; }
    const ChipStats& stats() const noexcept override { return m_stats; }
    int storage_errno() const noexcept override { return m_storage_errno; }

private:
    // Pipeline (chip.cpp).
    std::size_t execute(Bytes frame, MutableBytes out) noexcept;
    std::uint8_t dispatch(const Request& req, Reply& reply) noexcept;
    /// The page of a plain Update being written: its new bytes are already in the working state,
    /// `previous` holds what they replace, `ac` the zone's AC byte (set with the last page).
    struct PageWrite {
        std::uint8_t* at;
        Bytes previous;
        std::uint8_t* ac;
        std::uint8_t previous_ac;
    };
    /// One NVM write: commits the working state; false when the injected power loss hits it. A
    /// page write hit by the power loss is torn: a prefix of its bytes (none, some or all) lands.
    bool nvm_write(const PageWrite* page = nullptr) noexcept;
    /// How many of `size` bytes of the page write being cut reach the cells (0..size), a function
    /// of the fault seed and the write's index.
    std::size_t tear_point(std::size_t size) const noexcept;
    void clear_volatile() noexcept;
    bool chance(double rate) noexcept;
    std::uint64_t next_random() noexcept;
    bool transaction_allowed(std::uint8_t address, std::uint32_t now_ms, bool is_write,
                             stsafe::BusResult& result) noexcept;

    // Handlers (commands_*.cpp). Each returns a device status code, or kNoResponse.
    std::uint8_t cmd_echo(const Request&, Reply&) noexcept;
    std::uint8_t cmd_reset(const Request&, Reply&) noexcept;
    std::uint8_t cmd_random(const Request&, Reply&) noexcept;
    std::uint8_t cmd_hibernate(const Request&, Reply&) noexcept;
    std::uint8_t cmd_query(const Request&, Reply&) noexcept;
    std::uint8_t cmd_read(const Request&, Reply&) noexcept;
    std::uint8_t cmd_update(const Request&, Reply&) noexcept;
    std::uint8_t cmd_decrement(const Request&, Reply&) noexcept;
    std::uint8_t cmd_generate_key(const Request&, Reply&) noexcept;
    std::uint8_t cmd_sign(const Request&, Reply&) noexcept;
    std::uint8_t cmd_verify(const Request&, Reply&) noexcept;
    std::uint8_t cmd_establish_key(const Request&, Reply&) noexcept;
    std::uint8_t cmd_wrap(const Request&, Reply&) noexcept;
    std::uint8_t cmd_unwrap(const Request&, Reply&) noexcept;
    std::uint8_t cmd_put_attribute(const Request&, Reply&) noexcept;
    std::uint8_t cmd_delete(const Request&, Reply&) noexcept;
    std::uint8_t cmd_verify_password(const Request&, Reply&) noexcept;

    // Helpers shared by handlers.
    KeySlotState* key_slot(std::uint8_t slot) noexcept;
    std::uint8_t check_zone_ac(std::uint8_t ac, const Request& req) const noexcept;
    std::uint8_t apply_ac_change(ZoneState& zone, std::uint8_t option, bool read_ac) noexcept;
    std::uint8_t consume_key_use(KeySlotState& key, std::uint8_t slot) noexcept;

    ChipState m_state;
    std::unique_ptr<NvmStore> m_store;
    OpenOptions m_options;
    Rng m_rng;
    Curves m_curves;
    std::uint64_t m_fault_state;
    ChipStats m_stats;

    // Volatile state (§11): lost on Reset, Hibernate wake-up and power cycle.
    KeySlotState m_ephemeral;
    bool m_password_verified = false;
    std::uint8_t m_address;  ///< I2C address in force since the last power-up
    std::vector<std::uint8_t> m_response;
    bool m_powered = true;
    int m_storage_errno = 0;  ///< see Chip::storage_errno
    bool m_hung = false;
    std::uint8_t m_sleep_mode = 0;  ///< non-zero after Hibernate: the wake-up mode
    bool m_asleep = false;
    std::uint32_t m_busy_since = 0;
    std::uint32_t m_busy_ms = 0;
    std::uint32_t m_nacks_left = 0;
};

}  // namespace sebind::emu
