// SPDX-License-Identifier: Apache-2.0
// sebind-emud: many emulated chips behind one Unix socket (EmuDaemon, the server), and its
// clients: DaemonBus (a stsafe::Bus over the socket) and DaemonControl (power cycle, faults,
// latency, statistics). Protocol: docs/emud-protocol.md.
//
//   auto bus = port_linux::DaemonBus::connect("/tmp/se.sock", "chip1", &why);  // or "" = first chip
//   if (!bus) { fprintf(stderr, "%s\n", why.c_str()); return bus.status(); }
//   port_linux::SystemClock clock;
//   stsafe::Device se(**bus, clock, emu::kDriverConfig);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sebind/core/result.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/bus.hpp"

namespace sebind::port_linux {

/// Clients one daemon serves at once; further connections get an error reply and are closed.
inline constexpr std::size_t kMaxDaemonClients = 64;
/// Reply bytes a daemon queues for a client that does not read them before it stops reading
/// that client's requests (back-pressure instead of unbounded memory).
inline constexpr std::size_t kMaxDaemonPendingReply = 64 * 1024;
/// How long a client waits for a reply before it declares the daemon dead (bus fault). The
/// daemon answers at once (chip busy time is modelled as NACKs), so this only catches a hung
/// or stopped daemon.
inline constexpr int kDaemonReplyTimeoutMs = 10'000;

/// Parses a fault specification, comma-separated `key=value`:
///   seed=N (u64), crc=RATE, cmd=RATE, nack=RATE (0..1: response corruption, command
///   corruption, NACK-burst start, per transaction), nacklen=N (1..1000), powerloss=N (u64,
///   1-based NVM write index, 0 = never). Unnamed fields keep emu::FaultConfig's defaults.
/// Errors: invalid_argument (unknown key, bad number, value out of range, empty item).
Result<emu::FaultConfig> parse_fault_spec(std::string_view spec);

/// The daemon's serving loop, as a library class so tests can run it in a thread.
class EmuDaemon {
public:
    /// Opens every chip directory; a chip's name is its directory's base name. Errors:
    /// invalid_argument (no directory, two with the same base name, a name over 255 bytes), and
    /// as emu::Chip::open (does_not_exist, corrupted_data, storage_failure). `detail`, when
    /// given, receives a one-line explanation naming the directory and the fix.
    static Result<std::unique_ptr<EmuDaemon>> create(const std::vector<std::string>& chip_dirs,
                                                     const emu::OpenOptions& options, std::string* detail = nullptr);
    /// Closes every client and removes the socket file if it is still the one we bound.
    ~EmuDaemon();
    EmuDaemon(const EmuDaemon&) = delete;
    EmuDaemon& operator=(const EmuDaemon&) = delete;

    /// Who may connect to the socket (connect() needs write permission on the socket file).
    struct SocketAccess {
        unsigned mode = 0600;  ///< permission bits of the socket file
        long group = -1;       ///< its group (a gid), -1 = the daemon's own
    };
    /// Binds and listens on `socket_path` (mode 0600). A stale socket file (nobody listening) is
    /// replaced; a live one or a file that is not a socket is left alone. Errors:
    /// invalid_argument (empty or longer than sun_path), already_exists (another daemon serves
    /// there, or the path is not a socket), communication_failure (socket/bind/listen failed).
    Status listen(const std::string& socket_path, std::string* detail = nullptr);
    /// The same with the socket file's mode and group set before anyone can connect; a group
    /// the daemon may not give it (not one of its groups) is communication_failure too.
    Status listen(const std::string& socket_path, const SocketAccess& access, std::string* detail = nullptr);
    /// Serves until stop(): single thread, poll()-based, any number of clients up to
    /// kMaxDaemonClients. Errors: invalid_argument (not listening), communication_failure.
    Status run();
    /// Makes run() return soon. Async-signal-safe and thread-safe (writes to a pipe); a stop()
    /// before run() makes run() return at once.
    void stop() noexcept;

    std::size_t chip_count() const noexcept;
    const std::vector<std::string>& chip_names() const noexcept;

private:
    EmuDaemon() = default;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

class DaemonLink;  // one connection that said HELLO (internal)

/// A stsafe::Bus whose transactions travel to sebind-emud: one connection, one selected chip.
/// Not thread-safe (like the I2C bus it stands for: one transaction at a time).
class DaemonBus final : public stsafe::Bus {
public:
    /// Connects and selects `chip` (empty: the daemon's first chip). Errors:
    /// communication_failure (nothing listening, or the daemon closed the connection),
    /// does_not_exist (no such chip), not_supported (protocol version), invalid_argument (path
    /// too long), invalid_response. `detail`, when given, receives a one-line explanation, e.g.
    /// "cannot connect to sebind-emud at PATH: Connection refused — start it with ...".
    static Result<std::unique_ptr<DaemonBus>> connect(const std::string& socket_path, const std::string& chip,
                                                      std::string* detail = nullptr);
    ~DaemonBus() override;

    /// ok / nack (chip busy or foreign address) / fault (chip unpowered, daemon gone, reply
    /// malformed or late, more than 1023 bytes). A fault that broke the connection (the daemon
    /// was restarted, crashed or closed it) is not repaired on the spot: the transfer whose
    /// answer was lost is not repeated here (the driver decides what is safe to repeat). The
    /// next call connects again, to the same socket and chip, with HELLO, as a chip comes back
    /// after a power cycle; while that fails it is a fault too, and each later call tries again.
    stsafe::BusResult write(std::uint8_t address, Bytes data) noexcept override;
    stsafe::BusResult read(std::uint8_t address, MutableBytes out) noexcept override;

    /// The chip the daemon selected (its name, also when `chip` was empty).
    const std::string& chip() const noexcept;

private:
    DaemonBus(std::unique_ptr<DaemonLink> link, std::string socket_path) noexcept;
    /// The link, connected again first if it broke; null while that fails.
    DaemonLink* link() noexcept;
    std::unique_ptr<DaemonLink> m_link;
    std::string m_socket_path;
    std::string m_chip;
};

/// Control messages for one served chip, on a connection of its own (so a test can hold it
/// while a Device owns the DaemonBus, or control a chip another process is using).
class DaemonControl {
public:
    /// As DaemonBus::connect.
    static Result<std::unique_ptr<DaemonControl>> connect(const std::string& socket_path, const std::string& chip,
                                                          std::string* detail = nullptr);
    ~DaemonControl();

    /// Volatile state lost, NVM reloaded, power-loss fault disarmed (emu::Chip::power_cycle);
    /// returns the chip's status. Every call: communication_failure when the daemon is gone.
    Status power_cycle() noexcept;
    Status set_faults(const emu::FaultConfig& faults) noexcept;
    Status set_latency(emu::Latency latency) noexcept;
    Result<emu::ChipStats> stats() noexcept;
    const std::string& chip() const noexcept;

private:
    explicit DaemonControl(std::unique_ptr<DaemonLink> link) noexcept;
    std::unique_ptr<DaemonLink> m_link;
};

}  // namespace sebind::port_linux
