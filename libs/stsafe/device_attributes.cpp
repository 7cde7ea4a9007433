// SPDX-License-Identifier: Apache-2.0
// Put Attribute, Delete and Verify Password (§4.9, §4.12, §4.18).
#include <cstring>

#include "sebind/stsafe/device.hpp"

namespace sebind::stsafe {

Status Device::put_host_keys(const HostKeys& keys) noexcept {
    std::array<std::uint8_t, 33> cmd{};
    cmd[0] = static_cast<std::uint8_t>(Tag::host_key_slot);
    std::memcpy(&cmd[1], keys.mac_key.data(), 16);
    std::memcpy(&cmd[17], keys.cipher_key.data(), 16);
    // Plaintext by necessity: the chip has no host keys yet (§7.1). Never logged.
    auto rsp = exchange(Command::put_attribute, cmd, Protection{}, 0);
    secure_zero(cmd.data(), cmd.size());
    wipe_buffers();
    if (!rsp) {
        // Host keys are write-once: a second write is refused with 0x11 (§9 pitfall 4).
        if (rsp.status().device_status() == static_cast<std::uint8_t>(DeviceStatus::access_condition_not_satisfied))
            return Status(Errc::already_exists, rsp.status().device_status());
        return rsp.status();
    }
    set_host_keys(keys);
    return Status::success();
}

Status Device::put_i2c_parameters(const I2cParameters& params) noexcept {
    // Only "none" (0) and "standby" (2) are authorised low-power modes; idle-time bits stay 0 on
    // A110 (§4.14 tag 0x0A). The new address applies once the chip restarts [I]: the caller then
    // opens a Device with it.
    if (params.address > 0x7F || (params.low_power_mode != 0 && params.low_power_mode != 2))
        return Status(Errc::invalid_argument);
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(Tag::i2c_parameters),
                                static_cast<std::uint8_t>(params.address << 1),
                                static_cast<std::uint8_t>((params.low_power_mode << 1) | (params.locked ? 1 : 0))};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::put_attribute, cmd, 0));
    return rsp.empty() ? Status::success() : Status(Errc::invalid_response);
}

Status Device::put_life_cycle(LifeCycle state) noexcept {
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(Tag::life_cycle), static_cast<std::uint8_t>(state)};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::put_attribute, cmd, 0));
    return rsp.empty() ? Status::success() : Status(Errc::invalid_response);
}

Status Device::delete_password() noexcept {
    const std::uint8_t cmd[] = {static_cast<std::uint8_t>(Tag::password)};
    SEBIND_TRY_ASSIGN(Bytes rsp, exchange_auto(Command::delete_attribute, cmd, 0));
    return rsp.empty() ? Status::success() : Status(Errc::invalid_response);
}

Result<PasswordResult> Device::verify_password(Bytes password16) noexcept {
    if (password16.size() != 16) return Errc::invalid_argument;
    auto rsp = exchange_auto(Command::verify_password, password16, 2);
    Result<PasswordResult> out = Errc::invalid_response;
    if (!rsp) {
        out = rsp.status();
    } else if (rsp->size() == 2) {
        out = PasswordResult{(*rsp)[0] != 0, (*rsp)[1]};
    }
    wipe_buffers();  // the password was in the command frame
    return out;
}

}  // namespace sebind::stsafe
