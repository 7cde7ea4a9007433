// SPDX-License-Identifier: Apache-2.0
// sebind-emud: many emulated chips behind one Unix socket (server), and the client side: a
// stsafe::Bus over the socket plus the daemon's control messages.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "sebind/core/result.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/bus.hpp"

namespace sebind::port_linux {

class EmuDaemon {
public:
    /// Opens every chip directory. Errors: as emu::Chip::open (does_not_exist, corrupted_data).
    static Result<std::unique_ptr<EmuDaemon>> create(const std::vector<std::string>& chip_dirs,
                                                     const emu::OpenOptions& options);
    ~EmuDaemon();
    /// Binds and listens on `socket_path` (an existing socket file is replaced).
    Status listen(const std::string& socket_path);
    /// Serves until stop(); single-threaded, poll()-based; any number of clients.
    Status run();
    /// Thread- and signal-safe.
    void stop() noexcept;
    std::size_t chip_count() const noexcept;

private:
    EmuDaemon() = default;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// The client: one connection, one selected chip.
class DaemonBus final : public stsafe::Bus {
public:
    /// Connects and selects `chip` (empty: the daemon's first chip). Errors:
    /// communication_failure (nothing listening), does_not_exist (no such chip).
    static Result<std::unique_ptr<DaemonBus>> connect(const std::string& socket_path, const std::string& chip);
    ~DaemonBus() override;

    stsafe::BusResult write(std::uint8_t address, Bytes data) noexcept override;
    stsafe::BusResult read(std::uint8_t address, MutableBytes out) noexcept override;

    Status power_cycle() noexcept;
    Status set_faults(const emu::FaultConfig& faults) noexcept;
    Status set_latency(emu::Latency latency) noexcept;
    Result<emu::ChipStats> stats() noexcept;

private:
    explicit DaemonBus(int fd) noexcept : m_fd(fd) {}
    /// Sends one message and receives the reply body for `op`.
    Result<std::vector<std::uint8_t>> call(const std::vector<std::uint8_t>& message, std::uint8_t op) noexcept;
    int m_fd;
};

}  // namespace sebind::port_linux
