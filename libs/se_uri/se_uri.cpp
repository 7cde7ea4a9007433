// SPDX-License-Identifier: Apache-2.0
// Opening a secure element by URI, the emulator's (emu:, emud:) included.
#include "sebind/se_uri/se_uri.hpp"

#include "sebind/emud/daemon.hpp"

namespace sebind::port_linux {

namespace {

/// Owns everything behind one in-process emulated SE, in construction order: chip, clock, bus,
/// driver.
class EmulatorConnection final : public SeConnection {
public:
    explicit EmulatorConnection(std::unique_ptr<emu::Chip> chip)
        : m_chip(std::move(chip)), m_bus(*m_chip, m_clock), m_device(m_bus, m_clock, emu::kDriverConfig) {}
    stsafe::Device& device() noexcept override { return m_device; }
    SeKind kind() const noexcept override { return SeKind::emulator; }
    emu::Chip* emulator() noexcept override { return m_chip.get(); }

private:
    std::unique_ptr<emu::Chip> m_chip;
    SystemClock m_clock;
    emu::EmulatedBus m_bus;
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
                    return failure(
                        e, detail,
                        "no emulated chip in " + uri.path + " — create one with `sebind emu init " + uri.path + "`");
                if (e == Errc::corrupted_data)
                    return failure(
                        e, detail,
                        "the emulator state in " + uri.path + " is corrupted — recreate it with `sebind emu init`");
                return failure(e, detail,
                               "cannot open the emulated chip in " + uri.path + " (" + to_string(e) +
                                   ") — check the directory is readable and writable");
            }
            return std::unique_ptr<SeConnection>(new EmulatorConnection(std::move(*chip)));
        }
        case SeKind::daemon: {
            auto bus = DaemonBus::connect(uri.path, uri.chip, detail);
            if (!bus) return bus.status();
            stsafe::DeviceConfig config = emu::kDriverConfig;
            config.address = uri.address;
            return make_se_connection(SeKind::daemon, std::move(*bus), config);
        }
        case SeKind::i2c: return open_i2c_se(uri, detail);
    }
    return Errc::invalid_argument;
}

}  // namespace sebind::port_linux
