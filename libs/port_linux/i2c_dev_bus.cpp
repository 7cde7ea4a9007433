// SPDX-License-Identifier: Apache-2.0
// Linux i2c-dev transport. A NACKed address (the STSAFE is busy, §1.6) surfaces from the adapter
// driver as ENXIO or EREMOTEIO, sometimes EIO; everything else is a bus fault.
#include "sebind/port_linux/i2c_dev_bus.hpp"

#include <cerrno>

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

Result<std::unique_ptr<I2cDevice>> open_i2c_device(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return Errc::does_not_exist;
        if (errno == EACCES || errno == EPERM) return Errc::not_permitted;
        return Errc::communication_failure;
    }
    return std::unique_ptr<I2cDevice>(new NodeDevice(fd));
}

stsafe::BusResult I2cDevBus::transfer(i2c_msg& msg) noexcept {
    i2c_rdwr_ioctl_data data{&msg, 1};
    int error = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (m_device->rdwr(data, error) >= 0) {
            m_last_error = 0;
            return stsafe::BusResult::ok;
        }
        if (error != EINTR) break;
    }
    m_last_error = error;
    switch (error) {
        case ENXIO:
        case EREMOTEIO:
        case EIO:  // several adapters report an address NACK as EIO
            return stsafe::BusResult::nack;
        default: return stsafe::BusResult::fault;
    }
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
