// SPDX-License-Identifier: Apache-2.0
// Device transaction engine: frame exchange, NACK polling, re-reads, resends, R-MAC checking,
// response decryption and the host secure channel's sequence counter (§1.6, §7).
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "sebind/core/log.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::stsafe {

namespace {

constexpr std::uint8_t kCommunicationError = static_cast<std::uint8_t>(DeviceStatus::communication_error);
constexpr std::uint8_t kInvalidCmac = static_cast<std::uint8_t>(DeviceStatus::invalid_c_mac);
constexpr std::uint8_t kCounterExhausted = static_cast<std::uint8_t>(DeviceStatus::c_mac_counter_maximum_reached);
constexpr std::uint8_t kEntryNotFound = static_cast<std::uint8_t>(DeviceStatus::entry_not_found);
constexpr std::uint8_t kValueOutOfRange = static_cast<std::uint8_t>(DeviceStatus::value_out_of_range);

/// Whether the chip accepted our C-MAC, and so moved its counter, given its answer (§7.1): not
/// when it rejected the C-MAC, could not read the command, or has no counter value left [I].
constexpr bool counter_consumed(std::uint8_t device_status) noexcept {
    return device_status != kInvalidCmac && device_status != kCommunicationError && device_status != kCounterExhausted;
}

/// Size of a payload once CBC-encrypted with ISO 9797-1 method 2 padding (§7.5).
constexpr std::size_t padded_size(std::size_t n) noexcept { return (n / 16 + 1) * 16; }

}  // namespace

Device::Device(Bus& bus, Clock& clock, DeviceConfig config) noexcept : m_bus(bus), m_clock(clock), m_config(config) {}

Device::~Device() {
    if (const unsigned left_out = m_recovery_log.take_suppressed())
        log(LogLevel::info, "stsafe: %u more recovery line(s) were left out (at most %u a second)", left_out,
            kRecoveryLinesPerSecond);
    wipe_buffers();
}

void Device::log_recovery(const char* format, ...) noexcept {
    if (!log_enabled(LogLevel::info)) return;
    unsigned left_out = 0;
    if (!m_recovery_log.allow(m_clock.now_ms(), left_out)) return;
    char line[200];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (left_out > 0)
        log(LogLevel::info, "stsafe: %s (%u similar line(s) left out before it: at most %u a second)", line, left_out,
            kRecoveryLinesPerSecond);
    else
        log(LogLevel::info, "stsafe: %s", line);
}

void Device::set_host_keys(const HostKeys& keys) noexcept {
    m_host_keys.emplace();
    m_host_keys->mac_key = keys.mac_key;
    m_host_keys->cipher_key = keys.cipher_key;
    m_counter.reset();
}

void Device::clear_host_keys() noexcept {
    m_host_keys.reset();
    m_counter.reset();
}

void Device::invalidate_caches() noexcept {
    m_counter.reset();
    m_command_table.reset();
    m_partition.reset();
    m_key_table.reset();
    m_ephemeral_curve.reset();
}

void Device::wipe_buffers() noexcept {
    secure_zero(m_tx_payload.data(), m_tx_payload.size());
    secure_zero(m_tx.data(), m_tx.capacity());
    secure_zero(m_rx.data(), m_rx.capacity());
    secure_zero(m_plain.data(), m_plain.capacity());
}

std::size_t Device::payload_budget(const Protection& p, Direction direction) noexcept {
    // Legacy rule (§1.7): header/status + payload + MAC + CRC within the 507-byte I/O buffer.
    std::size_t limit = kIoBufferSize - 1 - kCrcSize - (p.mac ? kMacSize : 0);
    const bool encrypted = direction == Direction::command ? p.encrypt_command : p.encrypt_response;
    // Padding adds 1..16 bytes, so the largest plaintext is one less than a whole block count.
    if (encrypted) limit = limit / 16 * 16 - 1;
    return limit;
}

// --- Bus transactions with NACK polling (§1.6) ---------------------------------------------------

Status Device::write_frame(Bytes frame) noexcept {
    // A NACKed write never reached the chip (it is still busy with something): retry until the
    // budget runs out. Waiting goes through the Clock only.
    const std::uint32_t start = m_clock.now_ms();
    const std::uint32_t interval = std::max<std::uint32_t>(1, m_config.poll_interval_ms);
    for (;;) {
        switch (m_bus.write(m_config.address, frame)) {
            case BusResult::ok: return Status::success();
            case BusResult::fault: return Status(Errc::communication_failure);
            case BusResult::host_storage: return Status(Errc::storage_failure);
            case BusResult::nack: break;
        }
        ++m_stats.nacks;
        if (elapsed_ms(start, m_clock.now_ms()) >= m_config.busy_timeout_ms) return Status(Errc::busy);
        m_clock.delay_ms(interval);
    }
}

Status Device::read_bytes(std::size_t n, std::uint32_t start_ms) noexcept {
    const std::uint32_t interval = std::max<std::uint32_t>(1, m_config.poll_interval_ms);
    m_rx.resize(n);
    for (;;) {
        switch (m_bus.read(m_config.address, MutableBytes(m_rx.data(), n))) {
            case BusResult::ok: return Status::success();
            case BusResult::fault: return Status(Errc::communication_failure);
            case BusResult::host_storage: return Status(Errc::storage_failure);
            case BusResult::nack: break;
        }
        ++m_stats.nacks;
        if (elapsed_ms(start_ms, m_clock.now_ms()) >= m_config.busy_timeout_ms) return Status(Errc::busy);
        m_clock.delay_ms(interval);
    }
}

Status Device::read_response(std::size_t first_read, std::uint32_t start_ms) noexcept {
    first_read = std::clamp<std::size_t>(first_read, 5, kMaxResponseFrame);
    SEBIND_TRY(read_bytes(first_read, start_ms));
    auto size = response_frame_size(m_rx.view());
    if (!size) return size.status();
    // Every read restarts at the status byte, so a longer frame is simply read again whole (§1.6).
    if (*size > first_read) SEBIND_TRY(read_bytes(*size, start_ms));
    return Status::success();
}

// --- Secure channel --------------------------------------------------------------------------------

Status Device::sync_counter() noexcept {
    // Query 0x17 is never protected: it is how the counter is learnt (§7.1, §9 pitfall 15).
    ++m_stats.counter_syncs;
    m_counter.reset();
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(Tag::host_key_slot)};
    SEBIND_TRY_ASSIGN(Bytes payload, exchange(Command::query, cmd, Protection{}, 4));
    SEBIND_TRY_ASSIGN(HostKeySlotInfo info, parse_host_key_slot(payload));
    if (!info.present) return Status(Errc::does_not_exist);
    m_counter = info.counter;
    return Status::success();
}

Result<Bytes> Device::check_rmac(std::uint8_t status, Bytes payload, Bytes rmac, std::uint8_t header_byte, Bytes sent,
                                 std::uint32_t counter) noexcept {
    if (rmac.empty()) {
        // The legacy middleware relies on status bit 6 to find the R-MAC, STSELib does not look at
        // it (§1.5, [S]/[I]). Accept an unflagged trailing R-MAC, but only if it verifies.
        if (payload.size() < kMacSize) return Errc::integrity_failure;
        rmac = payload.last(kMacSize);
        payload = payload.first(payload.size() - kMacSize);
    }
    SEBIND_TRY_ASSIGN(Mac expected, compute_rmac(*m_host_keys, counter, header_byte, sent, status, payload));
    if (!constant_time_equal(expected, rmac)) return Errc::integrity_failure;
    return payload;
}

// --- Protection choice ---------------------------------------------------------------------------

Result<Device::Protection> Device::protection_for(Command command, Bytes payload) noexcept {
    Protection p;
    if (!m_host_keys) return p;
    const bool always = m_mac_policy == MacPolicy::always;
    if (command == Command::query && payload.size() == 1) {
        if (payload[0] == static_cast<std::uint8_t>(Tag::host_key_slot)) return p;
        // The table that decides protection cannot be looked up in itself.
        if (payload[0] == static_cast<std::uint8_t>(Tag::command_authorization)) {
            p.mac = always;
            return p;
        }
    }
    if (!m_command_table) {
        auto table = query_command_authorization();
        // A chip that does not know the tag (an A100 has no such table) is taken as "all free",
        // the default STSELib applies to unlisted commands [I]. Anything else still fails.
        const std::uint8_t refusal = table ? 0 : table.status().device_status();
        if (refusal == kEntryNotFound || refusal == kValueOutOfRange)
            m_command_table.emplace();
        else if (!table)
            return table.status();
    }
    if (const CommandAuthorization* rec = m_command_table->find(command)) {
        p.mac = rec->access == CommandAccess::host || rec->access == CommandAccess::admin_or_host;
        p.encrypt_command = (rec->encryption_flags & encryption::kCommand) != 0;
        p.encrypt_response = (rec->encryption_flags & encryption::kResponse) != 0;
    }
    if (!p.mac && !always) {
        const bool zone_command = command == Command::read || command == Command::update ||
                                  command == Command::decrement;
        if (zone_command && payload.size() >= 2) {
            // Zone AC 1 = host C-MAC on this command (§6.1). Decrement is governed by the update AC.
            if (!m_partition) SEBIND_TRY(query_partition().status());
            if (const ZoneInfo* z = m_partition->find(payload[1])) {
                const std::uint8_t ac = command == Command::read ? z->read_ac : z->update_ac;
                p.mac = ac == static_cast<std::uint8_t>(ZoneAccess::host);
            }
        }
        if (command == Command::generate_key && payload.size() >= 2 &&
            payload[0] == static_cast<std::uint8_t>(Tag::private_key_slot) && payload[1] == kSlotUser) {
            // Regenerating slot 1 needs host C-MAC when its mode's generate-key AC (bits 5..4) is
            // non-zero (§5.3 [S]).
            SEBIND_TRY_ASSIGN(const KeyTable* table, key_table());
            const KeySlotInfo* s = table->find(kSlotUser);
            p.mac = s != nullptr && s->present && (s->mode & 0x0030) != 0;
        }
    }
    // Encryption always travels with a host C-MAC (§7.5).
    p.mac = p.mac || always || p.encrypt_command || p.encrypt_response;
    return p;
}

Result<Device::Protection> Device::zone_protection(Command command, std::uint8_t zone) noexcept {
    const std::uint8_t probe[] = {0x00, zone};
    return protection_for(command, probe);
}

Result<Bytes> Device::exchange_auto(Command command, Bytes payload, std::size_t expected_payload) noexcept {
    SEBIND_TRY_ASSIGN(Protection p, protection_for(command, payload));
    return exchange(command, payload, p, expected_payload);
}

Result<Bytes> Device::transceive(Command command, Bytes payload) noexcept { return exchange_auto(command, payload, 0); }

// --- One command -----------------------------------------------------------------------------------

Result<Bytes> Device::exchange(Command command, Bytes payload, Protection p, std::size_t expected) noexcept {
    const auto code = static_cast<std::uint8_t>(command);
    // STSELib's choice for every protected command: C-MAC + R-MAC on the host channel (§1.3).
    const std::uint8_t header_byte = p.mac ? static_cast<std::uint8_t>((code & header::kCodeMask) | header::kCmac |
                                                                       header::kRmac | header::kHostChannel)
                                           : code;
    if (p.mac && !m_host_keys) return Errc::invalid_argument;
    std::size_t expected_wire = expected;
    if (p.encrypt_response && expected > 0) expected_wire = padded_size(expected);
    const std::size_t first_read = expected > 0 ? 3 + expected_wire + (p.mac ? kMacSize : 0) + kCrcSize : 5;

    for (unsigned attempt = 0;; ++attempt) {
        const std::uint64_t nacks_before = m_stats.nacks;
        Bytes sent = payload;
        Mac cmac{};
        std::uint32_t counter = 0;
        if (p.mac) {
            if (!m_counter) SEBIND_TRY(sync_counter());
            // At the 24-bit limit the chip answers C_MAC_COUNTER_MAXIMUM_REACHED (§7.1); it is
            // asked rather than second-guessed, so the caller sees the chip's own status.
            counter = *m_counter;
            if (p.encrypt_command) {
                SEBIND_TRY_ASSIGN(std::size_t n,
                                  encrypt_payload(*m_host_keys, counter, Direction::command, payload, m_tx_payload));
                sent = Bytes(m_tx_payload.data(), n);
            }
            SEBIND_TRY_ASSIGN(cmac, compute_cmac(*m_host_keys, counter, header_byte, sent));
        }
        m_tx.resize(m_tx.capacity());
        auto size = encode_command(header_byte, sent, p.mac ? Bytes(cmac) : Bytes(),
                                   MutableBytes(m_tx.data(), m_tx.size()));
        // A frame beyond the 507-byte I/O buffer is refused here rather than by the chip (§1.7).
        if (!size)
            return size.status().code() == Errc::buffer_too_small ? Status(Errc::invalid_argument) : size.status();
        m_tx.resize(*size);

        if (Status st = write_frame(m_tx.view()); !st.ok()) {
            // A write NACKed to the end never reached the chip; a bus fault may or may not have.
            if (p.mac && st.code() != Errc::busy) m_counter.reset();
            return st;
        }
        const std::uint32_t start = m_clock.now_ms();
        if (m_config.wait_table_percent > 0)
            m_clock.delay_ms(a110_busy_time_ms(command) * m_config.wait_table_percent / 100);

        // The chip keeps its response until the next command, so a damaged read is re-read, never
        // re-sent (§1.6): Update, Decrement, Generate Key and signatures must not run twice.
        Status failure(Errc::integrity_failure);
        std::optional<std::uint8_t> device_status;  // from the last frame whose CRC was right
        std::optional<Bytes> accepted;              // response payload, R-MAC checked
        for (unsigned read_no = 0; read_no <= m_config.response_reread_attempts; ++read_no) {
            if (read_no > 0) {
                ++m_stats.response_rereads;
                log_recovery("%s: response damaged (%s), reading it again (%u of %u)", to_string(command),
                             to_string(failure.code()), read_no,
                             static_cast<unsigned>(m_config.response_reread_attempts));
            }
            if (Status st = read_response(first_read, start); !st.ok()) {
                failure = st;
                if (st.code() == Errc::busy || st.code() == Errc::communication_failure) break;
                continue;  // impossible length field: a damaged read like any other
            }
            auto frame = decode_response(m_rx.view());
            if (!frame) {
                failure = frame.status();
                continue;
            }
            device_status = frame->status & kStatusCodeMask;
            if (*device_status != 0 || !p.mac) {
                // Error responses carry neither payload nor R-MAC (§1.4).
                accepted = frame->payload;
                break;
            }
            auto checked = check_rmac(frame->status, frame->payload, frame->rmac, header_byte, sent, counter);
            if (checked) {
                accepted = *checked;
                break;
            }
            failure = checked.status();
        }

        if (p.mac) {
            // The chip moves its counter whenever it accepts a C-MAC, even if the command then
            // fails (§7.1). Without any readable answer we cannot know, so the counter is learnt
            // again before the next protected command.
            if (!device_status)
                m_counter.reset();
            else if (counter_consumed(*device_status))
                m_counter = counter + 1;
        }
        if (device_status) ++m_stats.commands;
        if (!accepted) {
            log(LogLevel::debug, "stsafe: %s: no valid response (%s)", to_string(command), to_string(failure.code()));
            return failure;
        }
        if (m_stats.nacks > nacks_before)
            log_recovery("%s: chip busy, %llu NACK(s) before it answered", to_string(command),
                         static_cast<unsigned long long>(m_stats.nacks - nacks_before));
        if (*device_status == kCommunicationError && attempt < m_config.command_resend_attempts) {
            // The chip saw a damaged command and did not execute it: sending it again is safe.
            ++m_stats.command_resends;
            log_recovery("%s: the chip received a damaged command (COMMUNICATION_ERROR), sending it again (%u of %u)",
                         to_string(command), attempt + 1, static_cast<unsigned>(m_config.command_resend_attempts));
            continue;
        }
        if (*device_status != 0) {
            log(LogLevel::debug, "stsafe: %s -> %s", to_string(command),
                to_string(static_cast<DeviceStatus>(*device_status)));
            if (*device_status == kInvalidCmac && p.mac) {
                // Our counter copy drifted (another host, a lost answer): learn it again now so the
                // next protected command works (§9 pitfall 15). This one still fails.
                (void)sync_counter();
            }
            return status_from_device(*device_status);
        }
        Bytes out = *accepted;
        if (p.encrypt_response && !out.empty()) {
            m_plain.resize(m_plain.capacity());
            auto n = decrypt_payload(*m_host_keys, counter, Direction::response, out,
                                     MutableBytes(m_plain.data(), m_plain.size()));
            // The R-MAC verified, so a ciphertext that does not decrypt is the chip's doing.
            if (!n) return Status(Errc::integrity_failure);
            m_plain.resize(*n);
            out = m_plain.view();
        }
        return out;
    }
}

}  // namespace sebind::stsafe
