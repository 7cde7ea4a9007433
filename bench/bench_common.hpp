// SPDX-License-Identifier: Apache-2.0
// What the TLS benchmarks share: medians and paired ratios that cancel a shared machine's slower
// stretches, and the emulated chip's bus whose allocations heap_probe counts apart from the host's.
#pragma once

#include <algorithm>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "heap_probe.hpp"
#include "sebind/emu/emulator.hpp"

namespace sebind::bench {

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

/// The median of a[i] / b[i]: each pair ran back to back, so a slower stretch of this shared
/// machine slows both and cancels out.
inline double paired_ratio(const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> r;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) r.push_back(a[i] / b[i]);
    return median(r);
}

/// This thread's CPU time, ms.
inline double thread_cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

inline double kb(long long bytes) { return static_cast<double>(bytes) / 1024.0; }

/// A new emulated chip (emu::init_chip) in `dir`, opened without persisting its state; null on
/// failure.
inline std::unique_ptr<emu::Chip> new_emulated_chip(const std::string& dir) {
    if (!emu::init_chip(dir, {}).ok()) return nullptr;
    emu::OpenOptions open;
    open.persist = false;
    auto chip = emu::Chip::open(dir, open);
    return chip ? std::move(*chip) : nullptr;
}

/// The emulated chip stands for separate hardware: what it allocates is not the host's.
class ChipBus final : public stsafe::Bus {
public:
    ChipBus(emu::Chip& chip, Clock& clock) : m_bus(chip, clock) {}
    stsafe::BusResult write(std::uint8_t address, Bytes data) noexcept override {
        ChipScope scope;
        return m_bus.write(address, data);
    }
    stsafe::BusResult read(std::uint8_t address, MutableBytes out) noexcept override {
        ChipScope scope;
        return m_bus.read(address, out);
    }

private:
    emu::EmulatedBus m_bus;
};

}  // namespace sebind::bench
