// SPDX-License-Identifier: Apache-2.0
// Device: the STSAFE-A110 host driver. Every command of the protocol doc's A110 column, typed
// results, no heap, no sleeping of its own (waits go through Clock).
//
//   ManualClock clock;            // or port_linux's SystemClock
//   stsafe::Device se(bus, clock);
//   auto sig = se.generate_signature(stsafe::kSlotFactory, digest);  // size read from the chip
//   if (!sig) return sig.status();
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "sebind/core/bytes.hpp"
#include "sebind/core/clock.hpp"
#include "sebind/core/log.hpp"
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
    /// Interval between NACK polls (0 is treated as 1), and the polling budget: for a write from
    /// its first attempt, for a response from the end of the command write (fixed wait included).
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
    /// As the chip requires: the command-AC table (Query 0x24), the zone ACs (Query 0x12) and
    /// slot 1's generate-key AC (Query 0x14) decide; encryption as the table's flags say. The
    /// tables are queried once (unprotected) and cached. Default.
    as_required,
    /// C-MAC + R-MAC on every command but the Query 0x17 that learns the counter (encryption
    /// still as the table says).
    always,
};

/// Counters useful to tests, benchmarks and the TLS layer ("chip operations used").
struct DeviceStats {
    std::uint32_t commands = 0;          ///< command transactions that got a response
    std::uint32_t signatures = 0;        ///< successful Generate Signature
    std::uint32_t nacks = 0;             ///< NACKed bus transactions
    std::uint32_t response_rereads = 0;  ///< responses read again after a CRC/R-MAC failure
    std::uint32_t command_resends = 0;   ///< commands sent again after COMMUNICATION_ERROR
    std::uint32_t counter_syncs = 0;     ///< Query 0x17 used to (re)learn the C-MAC counter
};

/// The STSAFE-A110 host driver: one object per chip, not thread-safe (one command at a time).
///
/// Errors common to every command (not repeated below):
///   communication_failure  bus fault, or COMMUNICATION_ERROR (0x01) after every resend
///   busy                   the chip NACKed past DeviceConfig::busy_timeout_ms
///   integrity_failure      response CRC or R-MAC still wrong after every re-read; INVALID_C_MAC
///                          (0x16, the counter is then re-synchronised); undecryptable response
///   invalid_response       a response whose layout or size is not the command's
///   any category of status_from_device(), with the chip's raw code in Status::device_status()
/// Results that are views (transceive) stay valid until the next call.
/// Lines a second the driver logs about faults it recovers from (NACKs, re-reads, re-sends).
inline constexpr unsigned kRecoveryLinesPerSecond = 10;

class Device {
public:
    /// `bus` and `clock` must outlive the Device. Nothing is sent until the first command.
    Device(Bus& bus, Clock& clock, DeviceConfig config = {}) noexcept;
    /// Wipes the frame buffers.
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    // --- Host secure channel (§7) -------------------------------------------------------------
    /// Gives the driver the host keys (already provisioned in the chip; the driver keeps a copy,
    /// wiped on clear/destruction). The sequence counter is learnt from Query 0x17 before the
    /// first protected command and again after INVALID_C_MAC. Without host keys nothing is
    /// protected and commands that need protection fail with the chip's status.
    void set_host_keys(const HostKeys& keys) noexcept;
    void clear_host_keys() noexcept;
    bool has_host_keys() const noexcept { return m_host_keys.has_value(); }
    void set_mac_policy(MacPolicy policy) noexcept { m_mac_policy = policy; }

    // --- General (§4.2-§4.4, §4.10) -----------------------------------------------------------
    /// Echo: `data` (1..504 bytes, 1..500 when MAC'd) must come back unchanged; the copy is
    /// written into `out`. invalid_argument (size), buffer_too_small (`out`), integrity_failure
    /// (a different echo).
    Result<std::size_t> echo(Bytes data, MutableBytes out) noexcept;
    /// Resets the chip's volatile state (the ephemeral key among it).
    Status reset() noexcept;
    /// Fills `out` (1..255 bytes, else invalid_argument) with chip randomness.
    Status generate_random(MutableBytes out) noexcept;
    /// The chip answers, then sleeps; the next transaction (i2c_start_or_reset) or only a reset
    /// wakes it, with its volatile state lost.
    Status hibernate(WakeUpMode mode) noexcept;

    // --- Query (§4.14); each parses the chip's answer strictly (invalid_response otherwise) ----
    Result<ProductData> query_product_data() noexcept;
    /// Also refreshes the cached zone ACs used by MacPolicy::as_required.
    Result<PartitionInfo> query_partition() noexcept;
    /// Also refreshes the cached key table used for slot curves.
    Result<KeyTable> query_key_table() noexcept;
    /// Never protected; with host keys set, also resynchronises the driver's counter copy.
    Result<HostKeySlotInfo> query_host_key_slot() noexcept;
    Result<LifeCycle> query_life_cycle() noexcept;
    Result<I2cParameters> query_i2c_parameters() noexcept;
    /// Also refreshes the cached table used by the MAC policy.
    Result<CommandAuthorizationTable> query_command_authorization() noexcept;
    Result<EnvelopeKeyTable> query_local_envelope_keys() noexcept;
    /// The curve of a key slot, from the chip's key table (cached until a key is generated).
    /// Slot 0xFF: the curve of the ephemeral key this driver generated, until it is used, else
    /// asked afresh. does_not_exist (empty slot), not_supported (curve unknown to sebind).
    Result<Curve> slot_curve(std::uint8_t slot) noexcept;

    // --- Data partition (§4.6-§4.8, §6) ------------------------------------------------------
    /// Reads `out.size()` bytes of a zone from `offset`, in commands of at most 500 bytes (496
    /// with R-MAC). On a counter zone the counter is dropped (see read_counter_zone).
    /// out_of_range (offset + size beyond 0xFFFF, or the chip's BOUNDARY_EXCEEDED).
    Status read(std::uint8_t zone, std::uint16_t offset, MutableBytes out) noexcept;
    /// Reads a counter zone: returns its counter and fills `out` (≤ 500 bytes, 496 with R-MAC)
    /// with its data. invalid_argument when the zone answers without a counter (a data zone).
    Result<std::uint32_t> read_counter_zone(std::uint8_t zone, std::uint16_t offset, MutableBytes out) noexcept;
    /// Changes a zone's read AC with a zero-length read (only stricter, only with change right:
    /// otherwise not_permitted with device status 0x11).
    Status change_read_ac(std::uint8_t zone, AcChange change) noexcept;
    /// Writes `data` from `offset`. Non-atomic writes are split into commands of at most 500
    /// bytes (496 with C-MAC), an AC change riding on the last one; a failure part-way leaves
    /// the earlier chunks written. An atomic write must fit the 64-byte atomicity buffer (else
    /// invalid_argument) and is all-or-nothing on the chip. invalid_argument when there is
    /// neither data nor AC change.
    Status update(std::uint8_t zone, std::uint16_t offset, Bytes data, bool atomic = false,
                  std::optional<AcChange> ac_change = std::nullopt) noexcept;
    /// Decrements a counter zone by `amount`, optionally writing `data` (≤ 496 bytes, 492 with
    /// C-MAC) at `offset` atomically with it; returns the new counter. Never re-sent on a damaged
    /// answer. out_of_range (would go below zero: device status 0x13).
    Result<std::uint32_t> decrement(std::uint8_t zone, std::uint16_t offset, std::uint32_t amount, Bytes data = {},
                                    std::optional<AcChange> ac_change = std::nullopt) noexcept;

    // --- Keys (§4.13, §4.15-§4.17) -------------------------------------------------------------
    /// Generates a key pair in slot 1 or the ephemeral slot 0xFF (whose usage limit is forced to
    /// 1) and returns its public key. Slot 0 is refused by the chip (not_permitted, 0x11).
    Result<PublicKey> generate_key_pair(std::uint8_t slot, Curve curve, std::uint16_t usage_limit = 0xFFFF,
                                        std::uint16_t mode_of_operation = mode::kDefault) noexcept;
    /// Generates local-envelope key `slot` (0 or 1); write-once (not_permitted, 0x11, after).
    Status generate_local_envelope_key(std::uint8_t slot, EnvelopeKeyType type) noexcept;
    /// Signs a digest with a slot's key; R and S come back left-padded to the slot's curve size,
    /// which is read from the chip. The digest (non-empty) is fitted to the curve (leftmost bytes
    /// kept when longer, left-padded with zeros when shorter, as ECDSA does). invalid_argument:
    /// empty or all-zero digest (it hangs A100/A110, §9 pitfall 8; refused before the chip).
    /// Slot 0xFF is sent to the chip, which refuses it (not_permitted, 0x1B).
    Result<Signature> generate_signature(std::uint8_t slot, Bytes digest) noexcept;
    /// Asks the chip to verify a signature over a digest (fitted as in generate_signature);
    /// true = valid. invalid_argument when key and signature sizes do not match the key's curve.
    Result<bool> verify_signature(const PublicKey& key, const Signature& signature, Bytes digest) noexcept;
    /// ECDH with a slot's key and the peer's public key; returns the x-coordinate of the shared
    /// point. invalid_argument when the peer is on another curve than the slot.
    Result<SharedSecret> establish_key(std::uint8_t slot, const PublicKey& peer) noexcept;

    // --- Local envelopes (§4.11) ---------------------------------------------------------------
    /// AES key wrap by the chip: `plaintext` 8..480 bytes in 8-byte steps (else
    /// invalid_argument), `envelope` ≥ plaintext + 8 (else buffer_too_small). Returns its size.
    Result<std::size_t> wrap(std::uint8_t slot, Bytes plaintext, MutableBytes envelope) noexcept;
    /// Inverse of wrap: `envelope` 16..488 bytes in 8-byte steps. Returns the plaintext size.
    Result<std::size_t> unwrap(std::uint8_t slot, Bytes envelope, MutableBytes plaintext) noexcept;

    // --- Attributes (§4.9, §4.12, §4.18) ----------------------------------------------------------
    /// Provisions the host keys (plaintext, one time only: a second write fails with
    /// already_exists and device status 0x11) and starts using them (set_host_keys).
    Status put_host_keys(const HostKeys& keys) noexcept;
    /// invalid_argument: address > 0x7F or low-power mode other than 0 / 2. The new address
    /// takes effect when the chip restarts [I]; open a new Device with it.
    Status put_i2c_parameters(const I2cParameters& params) noexcept;
    Status put_life_cycle(LifeCycle state) noexcept;
    Status delete_password() noexcept;
    /// `password16` must be 16 bytes (else invalid_argument).
    Result<PasswordResult> verify_password(Bytes password16) noexcept;

    /// Forgets every cached chip fact (command-AC table, zone ACs, key table, C-MAC counter).
    /// Call it when something else may have changed the chip (another host, a power cycle).
    void invalidate_caches() noexcept;

    const DeviceStats& stats() const noexcept { return m_stats; }
    void reset_stats() noexcept { m_stats = {}; }
    const DeviceConfig& config() const noexcept { return m_config; }

    /// Low-level exchange, public for tests and tools: sends `payload` for `command` (the code
    /// byte is sent as given when unprotected) with the protection the policy selects and returns
    /// the (decrypted) response payload as a view into the driver's buffer, valid until the next
    /// call. No size is known in advance, so the first read is 5 bytes.
    Result<Bytes> transceive(Command command, Bytes payload) noexcept;

private:
    struct Protection {
        bool mac = false;  ///< C-MAC + R-MAC with the host keys
        bool encrypt_command = false;
        bool encrypt_response = false;
    };
    Result<Protection> protection_for(Command command, Bytes payload) noexcept;
    /// Largest plaintext payload a single frame can carry in one direction (§1.7).
    static std::size_t payload_budget(const Protection& p, Direction direction) noexcept;
    /// The protection a zone command would get, for chunk sizing.
    Result<Protection> zone_protection(Command command, std::uint8_t zone) noexcept;
    /// One command with resends and re-reads; `expected_payload` (plaintext) sizes the first read
    /// (0 = unknown).
    Result<Bytes> exchange(Command command, Bytes payload, Protection protection,
                           std::size_t expected_payload) noexcept;
    Result<Bytes> exchange_auto(Command command, Bytes payload, std::size_t expected_payload) noexcept;
    Status write_frame(Bytes frame) noexcept;
    Status read_bytes(std::size_t n, std::uint32_t start_ms) noexcept;
    Status read_response(std::size_t first_read, std::uint32_t start_ms) noexcept;
    /// The response payload without its R-MAC when the R-MAC verifies (§7.4).
    Result<Bytes> check_rmac(std::uint8_t status, Bytes payload, Bytes rmac, std::uint8_t header_byte, Bytes sent,
                             std::uint32_t counter) noexcept;
    Status sync_counter() noexcept;
    Result<Bytes> query(Tag tag, std::size_t expected_payload) noexcept;
    Result<const KeyTable*> key_table() noexcept;
    /// Overwrites the frame buffers (they may hold keys, passwords, secrets or plaintext).
    void wipe_buffers() noexcept;
    /// One "stsafe: ..." line about a fault the driver works around (NACKs, a re-read, a
    /// re-send), at most kRecoveryLinesPerSecond a second; the lines left out are counted in the
    /// next one and when the Device closes.
    void log_recovery(const char* format, ...) noexcept __attribute__((format(printf, 2, 3)));

    Bus& m_bus;
    Clock& m_clock;
    DeviceConfig m_config;
    std::optional<HostKeys> m_host_keys;
    MacPolicy m_mac_policy = MacPolicy::as_required;
    DeviceStats m_stats;
    LogRateLimit m_recovery_log{kRecoveryLinesPerSecond};
    // Caches of chip facts (invalidated when the chip may have changed them).
    std::optional<std::uint32_t> m_counter;  ///< next C-MAC counter, when known
    std::optional<CommandAuthorizationTable> m_command_table;
    std::optional<PartitionInfo> m_partition;
    std::optional<KeyTable> m_key_table;     ///< persistent slots; slot 0xFF is never cached here
    std::optional<Curve> m_ephemeral_curve;  ///< curve of the ephemeral key we generated, until used
    std::array<std::uint8_t, kIoBufferSize + 16> m_tx_payload{};  ///< encrypted command payload
    ByteBuffer<kIoBufferSize> m_tx;                               ///< command frame
    ByteBuffer<kMaxResponseFrame> m_rx;                           ///< raw response frame
    ByteBuffer<kIoBufferSize> m_plain;                            ///< decrypted response payload
};

}  // namespace sebind::stsafe
