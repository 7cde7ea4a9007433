// SPDX-License-Identifier: Apache-2.0
// Device: the STSAFE-A110 host driver. Every command of the protocol doc's A110 column, typed
// results, no heap, no sleeping of its own (waits go through Clock).
//
//   ManualClock clock;            // or port_linux's SystemClock
//   stsafe::Device se(bus, clock);
//   auto sig = se.generate_signature(stsafe::kSlotFactory, digest);  // size read from the chip
//   if (!sig) return sig.status();
#pragma once

#include <cstdint>
#include <optional>

#include "sebind/core/bytes.hpp"
#include "sebind/core/clock.hpp"
#include "sebind/core/result.hpp"
#include "sebind/stsafe/bus.hpp"
#include "sebind/stsafe/protocol.hpp"
#include "sebind/stsafe/secure_channel.hpp"
#include "sebind/stsafe/types.hpp"

namespace sebind::stsafe {

struct DeviceConfig {
    std::uint8_t address = kDefaultI2cAddress;
    /// Fraction (in percent) of the per-command wait table (§8.1) to wait before the first
    /// response read. 100 for a real chip; 0 for the emulator, which NACKs while busy anyway.
    std::uint32_t wait_table_percent = 100;
    /// Interval between NACK polls, and the total polling budget per transaction.
    std::uint32_t poll_interval_ms = 2;
    std::uint32_t busy_timeout_ms = 1500;
    /// Re-reads of a response whose CRC (or R-MAC) fails; the chip keeps its response until the
    /// next command, so re-reading never repeats the command.
    std::uint8_t response_reread_attempts = 4;
    /// Re-sends of a command the chip rejected with COMMUNICATION_ERROR (it did not execute it,
    /// so re-sending is safe for every command).
    std::uint8_t command_resend_attempts = 3;
};

/// When the driver protects a command with the host secure channel.
enum class MacPolicy : std::uint8_t {
    /// As the chip requires: the command-AC table (Query 0x24) and zone ACs decide; encryption as
    /// the table's flags say. Default.
    as_required,
    /// C-MAC + R-MAC on every command (encryption still as the table says).
    always,
};

/// Counters useful to tests, benchmarks and the TLS layer ("chip operations used").
struct DeviceStats {
    std::uint32_t commands = 0;          ///< command transactions that got a response
    std::uint32_t signatures = 0;        ///< successful Generate Signature
    std::uint32_t nacks = 0;             ///< NACKed bus transactions
    std::uint32_t response_rereads = 0;  ///< responses read again after a CRC/R-MAC failure
    std::uint32_t command_resends = 0;   ///< commands sent again after COMMUNICATION_ERROR
};

class Device {
public:
    Device(Bus& bus, Clock& clock, DeviceConfig config = {}) noexcept;
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    // --- Host secure channel (§7) -------------------------------------------------------------
    /// Gives the driver the host keys (already provisioned in the chip). The sequence counter is
    /// synchronised from Query 0x17 before the first protected command and after INVALID_C_MAC.
    void set_host_keys(const HostKeys& keys) noexcept;
    void clear_host_keys() noexcept;
    bool has_host_keys() const noexcept { return m_host_keys.has_value(); }
    void set_mac_policy(MacPolicy policy) noexcept { m_mac_policy = policy; }

    // --- General ------------------------------------------------------------------------------
    /// Echo: `data` (1..504 bytes) must come back unchanged; the copy is written into `out`.
    Result<std::size_t> echo(Bytes data, MutableBytes out) noexcept;
    Status reset() noexcept;
    /// Fills `out` (1..255 bytes) with chip randomness.
    Status generate_random(MutableBytes out) noexcept;
    Status hibernate(WakeUpMode mode) noexcept;

    // --- Query ---------------------------------------------------------------------------------
    Result<ProductData> query_product_data() noexcept;
    Result<PartitionInfo> query_partition() noexcept;
    Result<KeyTable> query_key_table() noexcept;
    Result<HostKeySlotInfo> query_host_key_slot() noexcept;
    Result<LifeCycle> query_life_cycle() noexcept;
    Result<I2cParameters> query_i2c_parameters() noexcept;
    Result<CommandAuthorizationTable> query_command_authorization() noexcept;
    Result<EnvelopeKeyTable> query_local_envelope_keys() noexcept;
    /// The curve of a key slot, from the chip (cached until the slot is regenerated).
    Result<Curve> slot_curve(std::uint8_t slot) noexcept;

    // --- Data partition (§6) -------------------------------------------------------------------
    /// Reads `out.size()` bytes of a data zone from `offset`, in as many commands as needed.
    Status read(std::uint8_t zone, std::uint16_t offset, MutableBytes out) noexcept;
    /// Reads a counter zone: its counter and `out.size()` bytes of its data.
    Result<std::uint32_t> read_counter_zone(std::uint8_t zone, std::uint16_t offset, MutableBytes out) noexcept;
    /// Changes a zone's read AC with a zero-length read (only stricter, only with change right).
    Status change_read_ac(std::uint8_t zone, AcChange change) noexcept;
    /// Writes `data` from `offset`. Non-atomic writes are split into chunks; an atomic write must
    /// fit the atomicity buffer (64 bytes) and is all-or-nothing on the chip.
    Status update(std::uint8_t zone, std::uint16_t offset, Bytes data, bool atomic = false,
                  std::optional<AcChange> ac_change = std::nullopt) noexcept;
    /// Decrements a counter zone by `amount`, optionally writing `data` at `offset` atomically
    /// with it; returns the new counter.
    Result<std::uint32_t> decrement(std::uint8_t zone, std::uint16_t offset, std::uint32_t amount,
                                    Bytes data = {}, std::optional<AcChange> ac_change = std::nullopt) noexcept;

    // --- Keys (§4.13, §4.15-§4.17) -------------------------------------------------------------
    /// Generates a key pair in slot 1 or the ephemeral slot 0xFF (whose usage limit is forced to 1).
    Result<PublicKey> generate_key_pair(std::uint8_t slot, Curve curve, std::uint16_t usage_limit = 0xFFFF,
                                        std::uint16_t mode_of_operation = mode::kDefault) noexcept;
    Status generate_local_envelope_key(std::uint8_t slot, EnvelopeKeyType type) noexcept;
    /// Signs a digest with a slot's key. The digest is fitted to the slot's curve (leftmost bytes
    /// kept when longer, left-padded with zeros when shorter, as ECDSA does); an all-zero
    /// digest is refused (it hangs A100/A110, §9 pitfall 8).
    Result<Signature> generate_signature(std::uint8_t slot, Bytes digest) noexcept;
    /// Asks the chip to verify a signature; true = valid.
    Result<bool> verify_signature(const PublicKey& key, const Signature& signature, Bytes digest) noexcept;
    /// ECDH with a slot's key and the peer's public key.
    Result<SharedSecret> establish_key(std::uint8_t slot, const PublicKey& peer) noexcept;

    // --- Local envelopes (§4.11) ---------------------------------------------------------------
    Result<std::size_t> wrap(std::uint8_t slot, Bytes plaintext, MutableBytes envelope) noexcept;
    Result<std::size_t> unwrap(std::uint8_t slot, Bytes envelope, MutableBytes plaintext) noexcept;

    // --- Attributes (§4.12) --------------------------------------------------------------------
    /// Provisions the host keys (one time only: a second write fails with already_exists) and
    /// starts using them.
    Status put_host_keys(const HostKeys& keys) noexcept;
    Status put_i2c_parameters(const I2cParameters& params) noexcept;
    Status put_life_cycle(LifeCycle state) noexcept;
    Status delete_password() noexcept;
    Result<PasswordResult> verify_password(Bytes password16) noexcept;

    const DeviceStats& stats() const noexcept { return m_stats; }
    void reset_stats() noexcept { m_stats = {}; }
    const DeviceConfig& config() const noexcept { return m_config; }

    /// Low-level exchange, public for tests and tools: sends `payload` for `command` with the
    /// protection the policy selects and returns the (decrypted) response payload as a view
    /// into the driver's buffer, valid until the next call.
    Result<Bytes> transceive(Command command, Bytes payload) noexcept;

private:
    struct Protection {
        bool mac = false;              ///< C-MAC + R-MAC with the host keys
        bool encrypt_command = false;
        bool encrypt_response = false;
    };
    Result<Protection> protection_for(Command command, Bytes payload) noexcept;
    /// One command with retries; `expected_payload` sizes the first read (0 = unknown).
    Result<Bytes> exchange(Command command, Bytes payload, Protection protection,
                           std::size_t expected_payload) noexcept;
    Result<Bytes> exchange_auto(Command command, Bytes payload, std::size_t expected_payload) noexcept;
    Status write_frame(Bytes frame) noexcept;
    Status read_frame(std::size_t first_read) noexcept;
    Status sync_counter() noexcept;
    Result<Bytes> query(Tag tag, std::size_t expected_payload) noexcept;
    std::size_t max_data_chunk(std::size_t plain, std::size_t with_mac) const noexcept;

    Bus& m_bus;
    Clock& m_clock;
    DeviceConfig m_config;
    std::optional<HostKeys> m_host_keys;
    MacPolicy m_mac_policy = MacPolicy::as_required;
    DeviceStats m_stats;
    // Caches of chip facts (invalidated when the chip may have changed them).
    std::optional<std::uint32_t> m_counter;  ///< next C-MAC counter, when known
    std::optional<CommandAuthorizationTable> m_command_table;
    std::optional<PartitionInfo> m_partition;
    std::array<std::optional<Curve>, 2> m_slot_curves{};  ///< slots 0 and 1
    ByteBuffer<kMaxResponseFrame> m_rx;                    ///< raw response frame
    ByteBuffer<kIoBufferSize> m_plain;                     ///< decrypted response payload
};

}  // namespace sebind::stsafe
