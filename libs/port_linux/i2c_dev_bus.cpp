// SPDX-License-Identifier: Apache-2.0
// Linux i2c-dev transport. A NACKed address (the STSAFE is busy, §1.6) surfaces from the adapter
// driver as ENXIO (the kernel's documented code, Documentation/i2c/fault-codes.rst) or EREMOTEIO
// (what several adapters use); everything else is a bus fault.
#include "sebind/port_linux/i2c_dev_bus.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace sebind::port_linux {

namespace {

class NodeDevice final : public I2cDevice {
public:
    explicit NodeDevice(int fd) noexcept : m_fd(fd) {}
    ~NodeDevice() override { ::close(m_fd); }
    int rdwr(i2c_rdwr_ioctl_data& data, int& error) noexcept override {
        const int rc = ::ioctl(m_fd, I2C_RDWR, &data);
        error = rc < 0 ? errno : 0;
        return rc;
    }

private:
    int m_fd;
};

}  // namespace

Result<std::unique_ptr<I2cDevice>> open_i2c_device(const std::string& path, std::string* detail) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        char buf[128];
        const std::string prefix = "cannot open " + path + ": " + ::strerror_r(e, buf, sizeof buf) + " — ";
        Errc code = Errc::communication_failure;
        std::string fix = "check the I2C bus is enabled and the chip is wired";
        if (e == ENOENT || e == ENODEV || e == ENXIO) {
            code = Errc::does_not_exist;
            fix = "enable the I2C bus (e.g. dtparam=i2c_arm=on, modprobe i2c-dev) and check the bus number";
        } else if (e == EACCES || e == EPERM) {
            code = Errc::not_permitted;
            fix = "add your user to group i2c (or run with access to the device node)";
        }
        if (detail) *detail = prefix + fix;
        return code;
    }
    return std::unique_ptr<I2cDevice>(new NodeDevice(fd));
}

stsafe::BusResult I2cDevBus::transfer(i2c_msg& msg) noexcept {
    i2c_rdwr_ioctl_data data{&msg, 1};
    int error = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const int rc = m_device->rdwr(data, error);
        if (rc == 1) {  // I2C_RDWR returns the number of messages transferred
            m_last_error = 0;
            return stsafe::BusResult::ok;
        }
        if (rc >= 0) {
            m_last_error = EIO;  // no error, yet the message did not go out
            return stsafe::BusResult::fault;
        }
        if (error != EINTR) break;
    }
    m_last_error = error;
    // EIO is deliberately a fault: it is the kernel's "something else went wrong", and polling
    // it as "busy" would hide a broken bus behind the driver's busy timeout.
    return error == ENXIO || error == EREMOTEIO ? stsafe::BusResult::nack : stsafe::BusResult::fault;
}

stsafe::BusResult I2cDevBus::write(std::uint8_t address, Bytes data) noexcept {
    if (data.empty() || data.size() > 0xFFFF || address > 0x7F) return stsafe::BusResult::fault;
    i2c_msg msg{};
    msg.addr = address;
    msg.flags = 0;
    msg.len = static_cast<std::uint16_t>(data.size());
    // The kernel only reads from the buffer of a write message.
    msg.buf = const_cast<std::uint8_t*>(data.data());
    return transfer(msg);
}

stsafe::BusResult I2cDevBus::read(std::uint8_t address, MutableBytes out) noexcept {
    if (out.empty() || out.size() > 0xFFFF || address > 0x7F) return stsafe::BusResult::fault;
    i2c_msg msg{};
    msg.addr = address;
    msg.flags = I2C_M_RD;
    msg.len = static_cast<std::uint16_t>(out.size());
    msg.buf = out.data();
    return transfer(msg);
}

}  // namespace sebind::port_linux
