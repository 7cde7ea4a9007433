// SPDX-License-Identifier: Apache-2.0
// The emulated chip's I2C face and its command pipeline (processing order of protocol doc §11).
#include <cerrno>
#include <cstring>

#include "chip_impl.hpp"
#include "sebind/stsafe/frame.hpp"
#include "sebind/stsafe/secure_channel.hpp"

namespace sebind::emu {

using stsafe::BusResult;
namespace ds = stsafe;

ChipImpl::ChipImpl(ChipState state, std::unique_ptr<NvmStore> store, const OpenOptions& options, std::uint64_t seed)
    : m_state(std::move(state)),
      m_store(std::move(store)),
      m_options(options),
      m_rng(seed),
      m_fault_state(options.faults.seed),
      m_address(static_cast<std::uint8_t>(m_state.i2c_parameters[0] >> 1)) {}

void ChipImpl::set_faults(const FaultConfig& faults) noexcept {
    m_options.faults = faults;
    m_fault_state = faults.seed;
    m_nacks_left = 0;
}

std::uint64_t ChipImpl::next_random() noexcept {
    // xorshift64*: fault decisions only, reproducible from the configured seed.
    std::uint64_t x = m_fault_state ? m_fault_state : 0x2545F4914F6CDD1Dull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m_fault_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

bool ChipImpl::chance(double rate) noexcept {
    if (rate <= 0.0) return false;
    return static_cast<double>(next_random() >> 11) * 0x1.0p-53 < rate;
}

void ChipImpl::clear_volatile() noexcept {
    if (!m_ephemeral.private_scalar.empty())
        secure_zero(m_ephemeral.private_scalar.data(), m_ephemeral.private_scalar.size());
    m_ephemeral = KeySlotState{};
    m_password_verified = false;
}

std::size_t ChipImpl::tear_point(std::size_t size) const noexcept {
    // splitmix64 of (seed, write index): the same fault configuration tears the same way.
    std::uint64_t z = m_options.faults.seed + m_stats.nvm_writes * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<std::size_t>(z % (size + 1));
}

bool ChipImpl::nvm_write(const PageWrite* page) noexcept {
    ++m_stats.nvm_writes;
    if (m_options.faults.power_loss_at_write != 0 && m_stats.nvm_writes == m_options.faults.power_loss_at_write) {
        // The write never completes, the chip goes dark. An all-or-nothing write (atomic Update,
        // keys, counters, attributes) leaves NVM as it was; a plain Update's page write is cut
        // part-way: a prefix of its bytes is programmed, the rest keeps the old bytes [I].
        if (page) {
            const std::size_t kept = tear_point(page->previous.size());
            std::memcpy(page->at + kept, page->previous.data() + kept, page->previous.size() - kept);
            if (kept < page->previous.size()) *page->ac = page->previous_ac;
            (void)m_store->commit(encode_state(m_state));
        }
        m_powered = false;
        m_response.clear();
        return false;
    }
    if (!m_store->commit(encode_state(m_state)).ok()) {
        // The host-side disk failed: behave like a chip whose NVM write failed (no answer), and
        // keep the cause so the bus can say it is the host's storage, not the wiring.
        m_storage_errno = m_store->last_errno() ? m_store->last_errno() : EIO;
        m_powered = false;
        return false;
    }
    return true;
}

Status ChipImpl::power_cycle() noexcept {
    auto data = m_store->load();
    if (!data) return data.status();
    auto state = decode_state(*data);
    if (!state) return state.status();
    m_state = std::move(*state);
    m_options.faults.power_loss_at_write = 0;
    m_powered = true;
    m_storage_errno = 0;
    m_hung = false;
    m_asleep = false;
    m_sleep_mode = 0;
    m_busy_ms = 0;
    m_nacks_left = 0;
    m_response.clear();
    clear_volatile();
    // A changed I2C address is read from NVM at power-up only [I]: a Reset or a wake-up must
    // still answer at the address the host just used.
    m_address = static_cast<std::uint8_t>(m_state.i2c_parameters[0] >> 1);
    return Status::success();
}

bool ChipImpl::transaction_allowed(std::uint8_t address, std::uint32_t now_ms, bool is_write,
                                   BusResult& result) noexcept {
    if (!m_powered) {
        result = m_storage_errno ? BusResult::host_storage : BusResult::fault;
        return false;
    }
    // A hung chip, a foreign address, and (from the next command on) a chip in hibernation that
    // only a reset wakes all leave the address unacknowledged.
    const bool deep_sleep = m_asleep && m_sleep_mode == static_cast<std::uint8_t>(ds::WakeUpMode::reset_only);
    if (address != m_address || m_hung || (is_write && deep_sleep)) {
        result = BusResult::nack;
        return false;
    }
    if (m_nacks_left == 0 && chance(m_options.faults.nack_burst_rate))
        m_nacks_left = m_options.faults.nack_burst_length;
    if (m_nacks_left > 0) {
        --m_nacks_left;
        result = BusResult::nack;
        return false;
    }
    if (m_busy_ms != 0 && elapsed_ms(m_busy_since, now_ms) < m_busy_ms) {
        result = BusResult::nack;
        return false;
    }
    m_busy_ms = 0;
    return true;
}

BusResult ChipImpl::i2c_write(std::uint8_t address, Bytes data, std::uint32_t now_ms) noexcept {
    BusResult refused = BusResult::ok;
    if (!transaction_allowed(address, now_ms, true, refused)) return refused;
    if (m_asleep) {
        // Woken by the START condition: equivalent to a reset (§1.8).
        m_asleep = false;
        m_sleep_mode = 0;
        clear_volatile();
    }
    // A write without data is an address probe (i2cdetect's "quick write"): the chip ACKs and
    // neither executes anything nor drops its pending response [I].
    if (data.empty()) return BusResult::ok;
    std::vector<std::uint8_t> frame(data.begin(), data.end());
    if (chance(m_options.faults.command_corruption_rate)) {
        const std::uint64_t bit = next_random() % (frame.size() * 8);
        frame[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    }
    m_response.assign(stsafe::kMaxResponseFrame, 0xFF);
    const std::size_t n = execute(frame, m_response);
    m_response.resize(n);
    if (m_options.latency == Latency::realistic && n > 0) {
        m_busy_since = now_ms;
        m_busy_ms = stsafe::a110_busy_time_ms(static_cast<ds::Command>(data[0] & ds::header::kCodeMask));
    }
    return BusResult::ok;
}

BusResult ChipImpl::i2c_read(std::uint8_t address, MutableBytes out, std::uint32_t now_ms) noexcept {
    BusResult refused = BusResult::ok;
    if (!transaction_allowed(address, now_ms, false, refused)) return refused;
    // Every read restarts at the first byte; past the end (or with nothing pending) the bus
    // reads 0xFF (§1.6).
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = i < m_response.size() ? m_response[i] : 0xFF;
    if (!out.empty() && !m_response.empty() && chance(m_options.faults.response_corruption_rate)) {
        const std::size_t span = std::min(out.size(), m_response.size());
        const std::uint64_t bit = next_random() % (span * 8);
        out[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    }
    return BusResult::ok;
}

std::size_t ChipImpl::process(Bytes command, MutableBytes response) noexcept {
    if (!m_powered || m_hung) return 0;
    if (m_asleep) {
        m_asleep = false;
        clear_volatile();
    }
    return execute(command, response);
}

namespace {

bool is_a110_command(std::uint8_t code) {
    switch (static_cast<ds::Command>(code)) {
        case ds::Command::echo:
        case ds::Command::reset:
        case ds::Command::generate_random:
        case ds::Command::decrement:
        case ds::Command::read:
        case ds::Command::update:
        case ds::Command::derive_lora_key:
        case ds::Command::generate_mac:
        case ds::Command::verify_mac:
        case ds::Command::delete_attribute:
        case ds::Command::hibernate:
        case ds::Command::wrap_local_envelope:
        case ds::Command::unwrap_local_envelope:
        case ds::Command::put_attribute:
        case ds::Command::generate_key:
        case ds::Command::query:
        case ds::Command::generate_signature:
        case ds::Command::verify_signature:
        case ds::Command::establish_key:
        case ds::Command::verify_password:
        case ds::Command::encrypt:
        case ds::Command::decrypt: return true;
        default: return false;
    }
}

std::size_t status_only(std::uint8_t status, MutableBytes out) {
    auto n = stsafe::encode_response(status, {}, {}, out);
    return n ? *n : 0;
}

stsafe::HostKeys host_keys_of(const ChipState& s) {
    stsafe::HostKeys k;
    k.mac_key = s.host_mac_key;
    k.cipher_key = s.host_cipher_key;
    return k;
}

}  // namespace

std::size_t ChipImpl::execute(Bytes frame, MutableBytes out) noexcept {
    ++m_stats.commands;
    if (frame.size() > stsafe::kIoBufferSize) return status_only(0x06, out);
    auto cmd = stsafe::decode_command(frame);
    if (!cmd) return status_only(0x01, out);  // bad CRC or too short: nothing executed (§2.1)
    const std::uint8_t code = cmd->header & ds::header::kCodeMask;
    if (!is_a110_command(code)) return status_only(0x04, out);

    Request req{code, cmd->payload, false};
    std::uint32_t counter = 0;
    if (cmd->header & ds::header::kCmac) {
        // Only the host secure channel is usable; the admin MAC needs ST's keys [I].
        if (!(cmd->header & ds::header::kHostChannel) || !m_state.host_keys_present) return status_only(0x16, out);
        if (m_state.sequence_counter >= stsafe::kMaxSequenceCounter) return status_only(0x09, out);
        const auto keys = host_keys_of(m_state);
        auto mac = stsafe::compute_cmac(keys, m_state.sequence_counter, cmd->header, cmd->payload);
        if (!mac || !constant_time_equal(*mac, cmd->cmac)) return status_only(0x16, out);
        counter = m_state.sequence_counter;
        // The counter moves as soon as a C-MAC is accepted, even if the command fails (§7.1).
        ++m_state.sequence_counter;
        if (!nvm_write()) return 0;
        req.host_mac = true;
    }
    if ((cmd->header & ds::header::kRmac) && !req.host_mac) return status_only(0x02, out);  // [I]

    const CommandAcState* ac = m_state.command(code);
    ByteBuffer<stsafe::kIoBufferSize> plain;
    if (ac && (ac->encryption & ds::encryption::kCommand) && req.host_mac) {
        plain.resize(plain.capacity());
        auto n = stsafe::decrypt_payload(host_keys_of(m_state), counter, stsafe::Direction::command, cmd->payload,
                                         MutableBytes(plain.data(), plain.size()));
        if (!n) return status_only(0x18, out);
        plain.resize(*n);
        req.payload = plain.view();
    }
    if (ac) {
        switch (static_cast<ds::CommandAccess>(ac->ac)) {
            case ds::CommandAccess::free: break;
            case ds::CommandAccess::host:
            case ds::CommandAccess::admin_or_host:
                if (!req.host_mac) return status_only(0x11, out);
                break;
            case ds::CommandAccess::admin_or_password:
                if (!m_password_verified) return status_only(0x11, out);
                break;
            default: return status_only(0x1E, out);  // never, or admin only
        }
    }

    Reply reply;
    const std::uint8_t status = dispatch(req, reply);
    if (status == kNoResponse) return 0;
    if (status != 0) return status_only(status, out);

    Bytes payload = reply.payload.view();
    ByteBuffer<stsafe::kIoBufferSize + 16> cipher;
    if (ac && (ac->encryption & ds::encryption::kResponse) && req.host_mac && !payload.empty()) {
        cipher.resize(cipher.capacity());
        auto n = stsafe::encrypt_payload(host_keys_of(m_state), counter, stsafe::Direction::response, payload,
                                         MutableBytes(cipher.data(), cipher.size()));
        if (!n) return status_only(0x05, out);
        cipher.resize(*n);
        payload = cipher.view();
    }
    stsafe::Mac rmac{};
    std::uint8_t status_byte = 0x00;
    if (cmd->header & ds::header::kRmac) {
        status_byte = stsafe::kStatusRmacFlag;
        auto mac = stsafe::compute_rmac(host_keys_of(m_state), counter, cmd->header, cmd->payload, status_byte,
                                        payload);
        if (!mac) return status_only(0x05, out);
        rmac = *mac;
    }
    const std::size_t rmac_size = status_byte ? stsafe::kMacSize : 0;
    if (1 + payload.size() + rmac_size + stsafe::kCrcSize > stsafe::kIoBufferSize) return status_only(0x06, out);
    auto n = stsafe::encode_response(status_byte, payload, Bytes(rmac.data(), rmac_size), out);
    return n ? *n : 0;
}

std::uint8_t ChipImpl::dispatch(const Request& req, Reply& reply) noexcept {
    switch (static_cast<ds::Command>(req.code)) {
        case ds::Command::echo: return cmd_echo(req, reply);
        case ds::Command::reset: return cmd_reset(req, reply);
        case ds::Command::generate_random: return cmd_random(req, reply);
        case ds::Command::decrement: return cmd_decrement(req, reply);
        case ds::Command::read: return cmd_read(req, reply);
        case ds::Command::update: return cmd_update(req, reply);
        case ds::Command::delete_attribute: return cmd_delete(req, reply);
        case ds::Command::hibernate: return cmd_hibernate(req, reply);
        case ds::Command::wrap_local_envelope: return cmd_wrap(req, reply);
        case ds::Command::unwrap_local_envelope: return cmd_unwrap(req, reply);
        case ds::Command::put_attribute: return cmd_put_attribute(req, reply);
        case ds::Command::generate_key: return cmd_generate_key(req, reply);
        case ds::Command::query: return cmd_query(req, reply);
        case ds::Command::generate_signature: return cmd_sign(req, reply);
        case ds::Command::verify_signature: return cmd_verify(req, reply);
        case ds::Command::establish_key: return cmd_establish_key(req, reply);
        case ds::Command::verify_password: return cmd_verify_password(req, reply);
        default: return 0x1E;  // symmetric / LoRa commands: not authorised on this profile
    }
}

}  // namespace sebind::emu
