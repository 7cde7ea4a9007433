// SPDX-License-Identifier: Apache-2.0
// sd_notify(3) through libsystemd (Debian libsystemd-dev), found by pkg-config; a build without
// it (SEBIND_HAVE_LIBSYSTEMD undefined) notifies nothing, so Type=notify units need it.
#include "service_notify.hpp"

#ifdef SEBIND_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace sebind::cli {

#ifdef SEBIND_HAVE_LIBSYSTEMD
void notify_ready() noexcept { (void)sd_notify(0, "READY=1"); }
void notify_stopping() noexcept { (void)sd_notify(0, "STOPPING=1"); }
void notify_watchdog() noexcept { (void)sd_notify(0, "WATCHDOG=1"); }
std::uint32_t watchdog_interval_ms() noexcept {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return 0;
    const std::uint64_t ms = usec / 3000;
    return ms == 0 ? 1 : ms > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(ms);
}
#else
void notify_ready() noexcept {}
void notify_stopping() noexcept {}
void notify_watchdog() noexcept {}
std::uint32_t watchdog_interval_ms() noexcept { return 0; }
#endif

}  // namespace sebind::cli
