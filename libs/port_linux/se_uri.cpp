// SPDX-License-Identifier: Apache-2.0
// SE URIs, the system clock, and opening a secure element by URI.
#include "sebind/port_linux/se_uri.hpp"

#include <cerrno>
#include <charconv>
#include <ctime>

#include "sebind/port_linux/daemon.hpp"
#include "sebind/port_linux/daemon_protocol.hpp"
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
            if (uri.chip.empty() || uri.chip.size() > emud::kMaxChipName) return Errc::invalid_argument;
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

/// Owns everything behind one SE, in construction order: chip (emu only), clock, bus, driver.
class Connection final : public SeConnection {
public:
    Connection(SeKind kind, std::unique_ptr<emu::Chip> chip, const stsafe::DeviceConfig& config,
               std::unique_ptr<stsafe::Bus> bus = nullptr)
        : m_kind(kind),
          m_chip(std::move(chip)),
          m_bus(m_chip ? std::make_unique<emu::EmulatedBus>(*m_chip, m_clock) : std::move(bus)),
          m_device(*m_bus, m_clock, config) {}
    stsafe::Device& device() noexcept override { return m_device; }
    SeKind kind() const noexcept override { return m_kind; }
    emu::Chip* emulator() noexcept override { return m_chip.get(); }

private:
    SeKind m_kind;
    SystemClock m_clock;
    std::unique_ptr<emu::Chip> m_chip;
    std::unique_ptr<stsafe::Bus> m_bus;
    stsafe::Device m_device;
};

Status failure(Errc code, std::string* detail, std::string text) {
    if (detail) *detail = std::move(text);
    return Status(code);
}

}  // namespace

Result<std::unique_ptr<SeConnection>> open_se(const SeUri& uri, const ConnectOptions& options, std::string* detail) {
    switch (uri.kind) {
        case SeKind::emulator: {
            auto chip = emu::Chip::open(uri.path, options.emulator);
            if (!chip) {
                const Errc e = chip.status().code();
                if (e == Errc::does_not_exist)
                    return failure(e, detail, "no emulated chip in " + uri.path + " — create one with `sebind emu init " + uri.path + "`");
                if (e == Errc::corrupted_data)
                    return failure(e, detail, "the emulator state in " + uri.path + " is corrupted — recreate it with `sebind emu init`");
                return failure(e, detail, "cannot open the emulated chip in " + uri.path + " (" + to_string(e) +
                                              ") — check the directory is readable and writable");
            }
            return std::unique_ptr<SeConnection>(new Connection(SeKind::emulator, std::move(*chip), emu::kDriverConfig));
        }
        case SeKind::daemon: {
            auto bus = DaemonBus::connect(uri.path, uri.chip, detail);
            if (!bus) return bus.status();
            stsafe::DeviceConfig config = emu::kDriverConfig;
            config.address = uri.address;
            return std::unique_ptr<SeConnection>(new Connection(SeKind::daemon, nullptr, config, std::move(*bus)));
        }
        case SeKind::i2c: {
            auto dev = open_i2c_device(uri.path, detail);
            if (!dev) return dev.status();
            stsafe::DeviceConfig config;  // a real chip: the wait table before the first read
            config.address = uri.address;
            return std::unique_ptr<SeConnection>(
                new Connection(SeKind::i2c, nullptr, config, std::make_unique<I2cDevBus>(std::move(*dev))));
        }
    }
    return Errc::invalid_argument;
}

}  // namespace sebind::port_linux
