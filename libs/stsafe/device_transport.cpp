// SPDX-License-Identifier: Apache-2.0
// Device transaction engine: protection choice, frame exchange, NACK polling, re-reads, resends
// and the host secure channel's sequence counter (§1.6, §7).
#include <cstring>

#include "sebind/core/log.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/responses.hpp"

namespace sebind::stsafe {

Device::Device(Bus& bus, Clock& clock, DeviceConfig config) noexcept
    : m_bus(bus), m_clock(clock), m_config(config) {}

Device::~Device() = default;

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

std::size_t Device::max_data_chunk(std::size_t plain, std::size_t with_mac) const noexcept {
    return m_host_keys ? with_mac : plain;
}

Status Device::write_frame(Bytes frame) noexcept {
    // The chip NACKs its address while busy (§1.6): poll within the budget.
    const std::uint32_t start = m_clock.now_ms();
    for (;;) {
        switch (m_bus.write(m_config.address, frame)) {
            case BusResult::ok: return Status::success();
            case BusResult::fault: return Status(Errc::communication_failure);
            case BusResult::nack: break;
        }
        ++m_stats.nacks;
        if (elapsed_ms(start, m_clock.now_ms()) >= m_config.busy_timeout_ms) return Status(Errc::busy);
        m_clock.delay_ms(m_config.poll_interval_ms);
    }
}

Status Device::read_frame(std::size_t first_read) noexcept {
    const std::uint32_t start = m_clock.now_ms();
    auto read_n = [&](std::size_t n) -> Status {
        m_rx.resize(n);
        for (;;) {
            switch (m_bus.read(m_config.address, MutableBytes(m_rx.data(), n))) {
                case BusResult::ok: return Status::success();
                case BusResult::fault: return Status(Errc::communication_failure);
                case BusResult::nack: break;
            }
            ++m_stats.nacks;
            if (elapsed_ms(start, m_clock.now_ms()) >= m_config.busy_timeout_ms) return Status(Errc::busy);
            m_clock.delay_ms(m_config.poll_interval_ms);
        }
    };
    first_read = first_read < 5 ? 5 : (first_read > kMaxResponseFrame ? kMaxResponseFrame : first_read);
    SEBIND_TRY(read_n(first_read));
    auto size = response_frame_size(m_rx.view());
    if (!size) return size.status();
    // Every read restarts at the status byte, so a longer frame is simply read again (§1.6).
    if (*size > first_read) SEBIND_TRY(read_n(*size));
    return Status::success();
}

Status Device::sync_counter() noexcept {
    auto payload = exchange(Command::query, std::array<std::uint8_t, 1>{static_cast<std::uint8_t>(Tag::host_key_slot)},
                            Protection{}, 4);
    if (!payload) return payload.status();
    auto info = parse_host_key_slot(*payload);
    if (!info) return info.status();
    if (!info->present) return Status(Errc::does_not_exist);
    m_counter = info->counter;
    return Status::success();
}

Result<Device::Protection> Device::protection_for(Command command, Bytes payload) noexcept {
    Protection p;
    if (!m_host_keys) return p;
    if (m_mac_policy == MacPolicy::always) p.mac = true;
    if (!m_command_table) {
        auto table = query_command_authorization();
        if (!table) return table.status();
        m_command_table = *table;
    }
    if (const CommandAuthorization* rec = m_command_table->find(command)) {
        if (rec->access == CommandAccess::host || rec->access == CommandAccess::admin_or_host) p.mac = true;
        p.encrypt_command = (rec->encryption_flags & encryption::kCommand) != 0;
        p.encrypt_response = (rec->encryption_flags & encryption::kResponse) != 0;
    }
    // Zone access conditions: 1 = host C-MAC on this command (§6.1).
    const bool zone_command = command == Command::read || command == Command::update || command == Command::decrement;
    if (zone_command && !p.mac && payload.size() >= 2) {
        if (!m_partition) {
            auto partition = query_partition();
            if (!partition) return partition.status();
            m_partition = *partition;
        }
        if (const ZoneInfo* z = m_partition->find(payload[1])) {
            const std::uint8_t ac = command == Command::read ? z->read_ac : z->update_ac;
            if (ac == static_cast<std::uint8_t>(ZoneAccess::host)) p.mac = true;
        }
    }
    // Encryption always travels with a host C-MAC (§7.5).
    if (p.encrypt_command || p.encrypt_response) p.mac = true;
    return p;
}

Result<Bytes> Device::exchange_auto(Command command, Bytes payload, std::size_t expected_payload) noexcept {
    SEBIND_TRY_ASSIGN(Protection p, protection_for(command, payload));
    return exchange(command, payload, p, expected_payload);
}

Result<Bytes> Device::transceive(Command command, Bytes payload) noexcept {
    return exchange_auto(command, payload, 0);
}

Result<Bytes> Device::exchange(Command command, Bytes payload, Protection p, std::size_t expected) noexcept {
    const auto code = static_cast<std::uint8_t>(command);
    std::array<std::uint8_t, kIoBufferSize + 16> tx_payload{};
    std::array<std::uint8_t, kIoBufferSize + 32> frame{};
    for (unsigned attempt = 0;; ++attempt) {
        std::uint8_t header_byte = code;
        Bytes sent = payload;
        Mac cmac{};
        std::uint32_t counter = 0;
        if (p.mac) {
            if (!m_counter) SEBIND_TRY(sync_counter());
            counter = *m_counter;
            // STSELib's choice for every protected command: C-MAC + R-MAC, host channel (§1.3).
            header_byte = static_cast<std::uint8_t>(code | header::kCmac | header::kRmac | header::kHostChannel);
            if (p.encrypt_command) {
                SEBIND_TRY_ASSIGN(std::size_t n, encrypt_payload(*m_host_keys, counter, Direction::command, payload, tx_payload));
                sent = Bytes(tx_payload.data(), n);
            }
            SEBIND_TRY_ASSIGN(cmac, compute_cmac(*m_host_keys, counter, header_byte, sent));
        }
        auto size = encode_command(header_byte, sent, p.mac ? Bytes(cmac) : Bytes(), frame);
        if (!size) return size.status();
        if (*size > kIoBufferSize) return Status(Errc::invalid_argument);
        SEBIND_TRY(write_frame(Bytes(frame.data(), *size)));
        if (m_config.wait_table_percent > 0)
            m_clock.delay_ms(a110_busy_time_ms(command) * m_config.wait_table_percent / 100);

        // The chip keeps its response until the next command, so a damaged read is re-read, never
        // re-sent (§1.6): Update, Decrement, Generate Key and signatures must not run twice.
        const std::size_t first_read = expected ? 3 + expected + (p.mac ? kMacSize : 0) + kCrcSize : 5;
        Result<ResponseFrame> rsp(Errc::integrity_failure);
        for (unsigned reread = 0; reread <= m_config.response_reread_attempts; ++reread) {
            if (reread) ++m_stats.response_rereads;
            Status st = read_frame(first_read);
            if (st.code() == Errc::busy || st.code() == Errc::communication_failure) return st;
            if (!st.ok()) { rsp = Result<ResponseFrame>(st); continue; }
            rsp = decode_response(m_rx.view());
            if (rsp) break;
        }
        if (!rsp) return Status(Errc::integrity_failure);

        const std::uint8_t status = rsp->status & kStatusCodeMask;
        if (p.mac && status != static_cast<std::uint8_t>(DeviceStatus::invalid_c_mac) &&
            status != static_cast<std::uint8_t>(DeviceStatus::communication_error)) {
            // The chip moved its counter as soon as it accepted our C-MAC (§7.1).
            m_counter = counter + 1;
        }
        if (status == static_cast<std::uint8_t>(DeviceStatus::communication_error) &&
            attempt < m_config.command_resend_attempts) {
            // The chip saw a damaged command and did not execute it: sending again is safe.
            ++m_stats.command_resends;
            continue;
        }
        ++m_stats.commands;
        if (status == static_cast<std::uint8_t>(DeviceStatus::invalid_c_mac)) m_counter.reset();
        if (status != 0) {
            log(LogLevel::debug, "stsafe: %s -> %s", to_string(command), to_string(static_cast<DeviceStatus>(status)));
            return status_from_device(status);
        }
        Bytes out = rsp->payload;
        if (p.mac) {
            if (rsp->rmac.empty()) return Status(Errc::integrity_failure);
            SEBIND_TRY_ASSIGN(Mac rmac, compute_rmac(*m_host_keys, counter, header_byte, sent, rsp->status, out));
            if (!constant_time_equal(rmac, rsp->rmac)) return Status(Errc::integrity_failure);
        }
        if (p.encrypt_response && !out.empty()) {
            m_plain.resize(m_plain.capacity());
            SEBIND_TRY_ASSIGN(std::size_t n, decrypt_payload(*m_host_keys, counter, Direction::response, out,
                                                             MutableBytes(m_plain.data(), m_plain.size())));
            m_plain.resize(n);
            out = m_plain.view();
        }
        return out;
    }
}

}  // namespace sebind::stsafe
