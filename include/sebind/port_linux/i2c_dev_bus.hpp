// SPDX-License-Identifier: Apache-2.0
// The real chip through Linux i2c-dev: one I2C_RDWR message per transaction. Untested on real
// hardware in this project (no chip in CI); the framing is unit-tested against a fake node.
#pragma once

#include <memory>
#include <string>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "sebind/core/result.hpp"
#include "sebind/stsafe/bus.hpp"

namespace sebind::port_linux {

/// The one system call the bus needs, so tests can stand in for /dev/i2c-N.
class I2cDevice {
public:
    virtual ~I2cDevice() = default;
    /// ioctl(fd, I2C_RDWR, &data): >= 0 on success; -1 with `error` set to the errno value.
    virtual int rdwr(i2c_rdwr_ioctl_data& data, int& error) noexcept = 0;
};

/// Opens a device node (O_RDWR | O_CLOEXEC). Errors: does_not_exist (ENOENT, ENODEV, ENXIO),
/// not_permitted (EACCES, EPERM), communication_failure (others). `detail`, when given,
/// receives "cannot open PATH: <strerror> — <fix>".
Result<std::unique_ptr<I2cDevice>> open_i2c_device(const std::string& path, std::string* detail = nullptr);

/// stsafe::Bus over i2c-dev. Each call is one I2C_RDWR ioctl with one message, so the chip sees
/// START, address, bytes, STOP and no register-address phase (§1.6).
///   ENXIO, EREMOTEIO (the address was not acknowledged: the chip is busy) -> BusResult::nack
///   EINTR                                                                  -> retried (3 times)
///   anything else (EIO, ETIMEDOUT, EAGAIN = arbitration lost, ...)         -> BusResult::fault
class I2cDevBus final : public stsafe::Bus {
public:
    explicit I2cDevBus(std::unique_ptr<I2cDevice> device) noexcept : m_device(std::move(device)) {}
    /// `data` must be 1..65535 bytes and `address` 7-bit, else fault without touching the bus.
    stsafe::BusResult write(std::uint8_t address, Bytes data) noexcept override;
    /// `out` must be 1..65535 bytes and `address` 7-bit, else fault without touching the bus.
    stsafe::BusResult read(std::uint8_t address, MutableBytes out) noexcept override;
    /// errno of the last failed transaction (0 after a success), for diagnostics.
    int last_error() const noexcept { return m_last_error; }

private:
    stsafe::BusResult transfer(i2c_msg& msg) noexcept;
    std::unique_ptr<I2cDevice> m_device;
    int m_last_error = 0;
};

}  // namespace sebind::port_linux
