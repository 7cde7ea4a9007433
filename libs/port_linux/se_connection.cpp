// SPDX-License-Identifier: Apache-2.0
// SE URIs, and a secure element on a bus: the i2c: transport (no emulator here).
#include "sebind/port_linux/se_connection.hpp"

#include <charconv>

#include "sebind/core/contract.hpp"
#include "sebind/port_linux/i2c_dev_bus.hpp"

namespace sebind::port_linux {

namespace {

/// `addr=` value: hex with 0x/0X, else decimal; a 7-bit address outside the I2C specification's
/// reserved ranges (0x00..0x07, 0x78..0x7F).
bool parse_address(std::string_view value, std::uint8_t& out) {
    int base = 10;
    if (value.size() > 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
        value.remove_prefix(2);
        base = 16;
    }
    unsigned address = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), address, base);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || address < 0x08 || address > 0x77)
        return false;
    out = static_cast<std::uint8_t>(address);
    return true;
}

}  // namespace

Result<SeUri> parse_se_uri(std::string_view text) {
    SeUri uri;
    auto take_prefix = [&](std::string_view prefix) {
        if (text.substr(0, prefix.size()) != prefix) return false;
        text.remove_prefix(prefix.size());
        return true;
    };
    if (take_prefix("emu:")) {
        uri.kind = SeKind::emulator;
        uri.path = std::string(text);
    } else if (take_prefix("emud:")) {
        uri.kind = SeKind::daemon;
        const auto hash = text.find('#');
        uri.path = std::string(text.substr(0, hash));
        if (hash != std::string_view::npos) {
            uri.chip = std::string(text.substr(hash + 1));
            if (uri.chip.empty() || uri.chip.size() > kMaxSeChipName) return Errc::invalid_argument;
        }
    } else if (take_prefix("i2c:")) {
        uri.kind = SeKind::i2c;
        const auto q = text.find('?');
        uri.path = std::string(text.substr(0, q));
        if (uri.path.empty() || uri.path[0] != '/') return Errc::invalid_argument;  // a device node
        if (q != std::string_view::npos) {
            const std::string_view query = text.substr(q + 1);
            if (query.substr(0, 5) != "addr=" || !parse_address(query.substr(5), uri.address))
                return Errc::invalid_argument;
        }
    } else {
        return Errc::invalid_argument;
    }
    if (uri.path.empty()) return Errc::invalid_argument;
    return uri;
}

namespace {

/// Owns everything behind one SE on a bus, in construction order: clock, bus, driver.
class BusConnection final : public SeConnection {
public:
    BusConnection(SeKind kind, std::unique_ptr<stsafe::Bus> bus, const stsafe::DeviceConfig& config)
        : m_kind(kind), m_bus(std::move(bus)), m_device(*m_bus, m_clock, config) {}
    stsafe::Device& device() noexcept override { return m_device; }
    SeKind kind() const noexcept override { return m_kind; }

private:
    SeKind m_kind;
    SystemClock m_clock;
    std::unique_ptr<stsafe::Bus> m_bus;
    stsafe::Device m_device;
};

}  // namespace

std::unique_ptr<SeConnection> make_se_connection(SeKind kind, std::unique_ptr<stsafe::Bus> bus,
                                                 const stsafe::DeviceConfig& config) {
    SEBIND_EXPECTS(bus != nullptr);
    return std::make_unique<BusConnection>(kind, std::move(bus), config);
}

Result<std::unique_ptr<SeConnection>> open_i2c_se(const SeUri& uri, std::string* detail) {
    if (uri.kind != SeKind::i2c) {
        if (detail) *detail = "this program opens only i2c: secure elements — name the chip as i2c:/dev/i2c-N";
        return Errc::not_supported;
    }
    auto dev = open_i2c_device(uri.path, detail);
    if (!dev) return dev.status();
    stsafe::DeviceConfig config;  // a real chip: the wait table before the first read
    config.address = uri.address;
    return make_se_connection(SeKind::i2c, std::make_unique<I2cDevBus>(std::move(*dev)), config);
}

}  // namespace sebind::port_linux
