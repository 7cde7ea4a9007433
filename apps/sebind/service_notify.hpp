// SPDX-License-Identifier: Apache-2.0
// The service manager's notifications (sd_notify(3)) for `sebind run` under systemd's
// Type=notify: READY=1, STOPPING=1 and watchdog keep-alives. Without $NOTIFY_SOCKET (not
// started by systemd, or another Type=) every call does nothing.
#pragma once

#include <cstdint>

namespace sebind::cli {

/// "READY=1": started (configuration, chip and key pair checked), about to connect.
void notify_ready() noexcept;
/// "STOPPING=1": a stop was requested; delivering what is stored, then exit.
void notify_stopping() noexcept;
/// "WATCHDOG=1": still looping.
void notify_watchdog() noexcept;
/// How often notify_watchdog() must be called for the unit's WatchdogSec= (a third of it, so a
/// late loop turn still makes it), or 0 when no watchdog is asked for.
std::uint32_t watchdog_interval_ms() noexcept;

}  // namespace sebind::cli
