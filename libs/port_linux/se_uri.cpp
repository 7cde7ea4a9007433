// SPDX-License-Identifier: Apache-2.0
// SE URIs, the system clock, and opening a secure element by URI.
#include "sebind/port_linux/se_uri.hpp"

#include <cerrno>
#include <charconv>
#include <ctime>

#include "sebind/port_linux/daemon.hpp"
#include "sebind/port_linux/i2c_dev_bus.hpp"

namespace sebind::port_linux {

Result<SeUri> parse_se_uri(std::string_view text) {
    SeUri uri;
    auto starts = [&](std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; };
    if (starts("emu:")) {
        uri.kind = SeKind::emulator;
        uri.path = std::string(text.substr(4));
    } else if (starts("emud:")) {
        uri.kind = SeKind::daemon;
        std::string_view rest = text.substr(5);
        const auto hash = rest.find('#');
        uri.path = std::string(rest.substr(0, hash));
        if (hash != std::string_view::npos) {
            uri.chip = std::string(rest.substr(hash + 1));
            if (uri.chip.empty()) return Errc::invalid_argument;
        }
    } else if (starts("i2c:")) {
        uri.kind = SeKind::i2c;
        std::string_view rest = text.substr(4);
        const auto q = rest.find('?');
        uri.path = std::string(rest.substr(0, q));
        if (q != std::string_view::npos) {
            std::string_view query = rest.substr(q + 1);
            if (query.substr(0, 5) != "addr=") return Errc::invalid_argument;
            std::string_view value = query.substr(5);
            int base = 10;
            if (value.substr(0, 2) == "0x" || value.substr(0, 2) == "0X") {
                value = value.substr(2);
                base = 16;
            }
            unsigned address = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), address, base);
            // 7-bit addresses outside the reserved ranges (I2C specification).
            if (ec != std::errc() || end != value.data() + value.size() || value.empty() || address < 0x08 || address > 0x77)
                return Errc::invalid_argument;
            uri.address = static_cast<std::uint8_t>(address);
        }
    } else {
        return Errc::invalid_argument;
    }
    if (uri.path.empty()) return Errc::invalid_argument;
    return uri;
}

std::uint32_t SystemClock::now_ms() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(ts.tv_sec) * 1000u +
                                      static_cast<std::uint64_t>(ts.tv_nsec) / 1000000u);
}

void SystemClock::delay_ms(std::uint32_t ms) noexcept {
    timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

namespace {

class Connection final : public SeConnection {
public:
    Connection(SeKind kind, std::unique_ptr<emu::Chip> chip, std::unique_ptr<stsafe::Bus> bus,
               const stsafe::DeviceConfig& config)
        : m_kind(kind), m_chip(std::move(chip)), m_bus(std::move(bus)), m_device(*m_bus, m_clock, config) {}
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

}  // namespace

Result<std::unique_ptr<SeConnection>> open_se(const SeUri& uri, const ConnectOptions& options) {
    switch (uri.kind) {
        case SeKind::emulator: {
            auto chip = emu::Chip::open(uri.path, options.emulator);
            if (!chip) return chip.status();
            // The bus refers to the chip, which the connection owns and keeps alive.
            struct ChipBus final : stsafe::Bus {
                emu::Chip& chip;
                SystemClock clock;
                explicit ChipBus(emu::Chip& c) : chip(c) {}
                stsafe::BusResult write(std::uint8_t a, Bytes d) noexcept override { return chip.i2c_write(a, d, clock.now_ms()); }
                stsafe::BusResult read(std::uint8_t a, MutableBytes o) noexcept override { return chip.i2c_read(a, o, clock.now_ms()); }
            };
            auto bus = std::make_unique<ChipBus>(**chip);
            return std::unique_ptr<SeConnection>(
                new Connection(SeKind::emulator, std::move(*chip), std::move(bus), emu::kDriverConfig));
        }
        case SeKind::daemon: {
            auto bus = DaemonBus::connect(uri.path, uri.chip);
            if (!bus) return bus.status();
            stsafe::DeviceConfig config = emu::kDriverConfig;
            config.address = uri.address;
            return std::unique_ptr<SeConnection>(new Connection(SeKind::daemon, nullptr, std::move(*bus), config));
        }
        case SeKind::i2c: {
            auto dev = open_i2c_device(uri.path);
            if (!dev) return dev.status();
            stsafe::DeviceConfig config;
            config.address = uri.address;
            return std::unique_ptr<SeConnection>(
                new Connection(SeKind::i2c, nullptr, std::make_unique<I2cDevBus>(std::move(*dev)), config));
        }
    }
    return Errc::invalid_argument;
}

}  // namespace sebind::port_linux
