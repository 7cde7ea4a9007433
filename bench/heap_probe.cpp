// SPDX-License-Identifier: Apache-2.0
// The malloc interposer behind heap_probe.hpp (glibc: wraps __libc_malloc and friends).
#include "heap_probe.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <dlfcn.h>
#include <execinfo.h>
#include <malloc.h>

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void __libc_free(void*);

namespace sebind::bench {

namespace {

std::atomic<long long> g_live{0}, g_peak{0}, g_chip_live{0}, g_chip_peak{0};
thread_local int t_chip_depth = 0;
thread_local bool t_in_hook = false;

// The trace: a fixed log (no allocation while logging). A full handshake makes ~26k allocations.
constexpr std::size_t kFrames = 8;  // ours (1-3, by inlining) + the caller's
struct Event {
    void* ptr;
    long long size;  // > 0 allocation, < 0 free
    void* frames[kFrames];
};
constexpr std::size_t kMaxEvents = 1u << 18;
Event g_events[kMaxEvents];
std::atomic<std::size_t> g_event_count{0};
std::atomic<bool> g_tracing{false};

void raise(std::atomic<long long>& live, std::atomic<long long>& peak, long long delta) {
    const long long now = live.fetch_add(delta) + delta;
    long long p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {}
}

__attribute__((noinline)) void log_event(void* ptr, long long size) {
    if (!g_tracing.load(std::memory_order_relaxed) || t_in_hook) return;
    const std::size_t i = g_event_count.fetch_add(1);
    if (i >= kMaxEvents) return;
    Event& e = g_events[i];
    e.ptr = ptr;
    e.size = size;
    std::memset(e.frames, 0, sizeof e.frames);
    if (size > 0) {
        t_in_hook = true;  // backtrace() may allocate the first time
        // Our own frames (log_event, account, malloc...) are skipped when reporting: how many
        // there are depends on inlining and tail calls.
        const int n = ::backtrace(e.frames, static_cast<int>(kFrames));
        (void)n;
        t_in_hook = false;
    }
}

__attribute__((noinline)) void account(void* p, long long delta) {
    if (t_chip_depth > 0) {
        raise(g_chip_live, g_chip_peak, delta);
        return;
    }
    raise(g_live, g_peak, delta);
    log_event(p, delta);
}

std::string symbol(void* pc) {
    Dl_info info{};
    if (pc && ::dladdr(pc, &info) && info.dli_sname) return info.dli_sname;
    if (pc && info.dli_fname) {
        const char* base = std::strrchr(info.dli_fname, '/');
        return std::string(base ? base + 1 : info.dli_fname) + "+?";
    }
    return "?";
}

}  // namespace

long long heap_live() noexcept { return g_live.load(); }
long long heap_peak() noexcept { return g_peak.load(); }
void reset_peak() noexcept { g_peak.store(g_live.load()); }
long long chip_heap_peak() noexcept { return g_chip_peak.load(); }
void reset_chip_peak() noexcept { g_chip_peak.store(g_chip_live.load()); }
ChipScope::ChipScope() noexcept { ++t_chip_depth; }
ChipScope::~ChipScope() { --t_chip_depth; }

void start_trace() noexcept {
    void* warm[2];
    ::backtrace(warm, 2);  // loads the unwinder now, not inside a hook
    g_event_count.store(0);
    g_tracing.store(true);
}

void stop_trace() noexcept { g_tracing.store(false); }

void report_trace(std::FILE* out, std::size_t top, bool at_end) {
    const std::size_t n = std::min(g_event_count.load(), kMaxEvents);
    // Pass 1: when is the live total (relative to the window's start) highest?
    long long live = 0, peak = 0;
    std::size_t peak_at = 0;
    for (std::size_t i = 0; i < n; ++i) {
        live += g_events[i].size;
        if (live > peak) {
            peak = live;
            peak_at = i + 1;
        }
    }
    if (at_end) {
        peak = live;
        peak_at = n;
    }
    // Pass 2: the blocks allocated in the window and still live at that moment.
    std::unordered_map<void*, std::size_t> live_blocks;
    for (std::size_t i = 0; i < peak_at; ++i) {
        if (g_events[i].size > 0)
            live_blocks[g_events[i].ptr] = i;
        else
            live_blocks.erase(g_events[i].ptr);
    }
    std::map<std::string, std::pair<long long, int>> sites;
    for (const auto& [ptr, i] : live_blocks) {
        std::size_t first = 0;  // the frame after our malloc/calloc/realloc
        for (std::size_t k = 0; k < kFrames && g_events[i].frames[k]; ++k) {
            const std::string name = symbol(g_events[i].frames[k]);
            if (name == "malloc" || name == "calloc" || name == "realloc") first = k + 1;
        }
        std::string site;
        for (std::size_t k = first; k < first + 3 && k < kFrames; ++k) {
            if (!g_events[i].frames[k]) break;
            site += (k > first ? " < " : "") + symbol(g_events[i].frames[k]);
        }
        auto& s = sites[site];
        s.first += g_events[i].size;
        s.second += 1;
    }
    std::vector<std::pair<std::string, std::pair<long long, int>>> sorted(sites.begin(), sites.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
    std::fprintf(out, "  %s %.1f KB after %zu of %zu heap events; live blocks by call site:\n",
                 at_end ? "kept" : "peak", static_cast<double>(peak) / 1024.0, peak_at, n);
    for (std::size_t k = 0; k < sorted.size() && k < top; ++k)
        std::fprintf(out, "  %8.1f KB %5d x  %s\n", static_cast<double>(sorted[k].second.first) / 1024.0,
                     sorted[k].second.second, sorted[k].first.c_str());
}

}  // namespace sebind::bench

using sebind::bench::account;

extern "C" __attribute__((noinline)) void* malloc(std::size_t n) {
    void* p = __libc_malloc(n);
    if (p) account(p, static_cast<long long>(malloc_usable_size(p)));
    return p;
}
extern "C" __attribute__((noinline)) void* calloc(std::size_t a, std::size_t b) {
    void* p = __libc_calloc(a, b);
    if (p) account(p, static_cast<long long>(malloc_usable_size(p)));
    return p;
}
extern "C" __attribute__((noinline)) void* realloc(void* old, std::size_t n) {
    if (!old) {
        void* p = __libc_malloc(n);
        if (p) account(p, static_cast<long long>(malloc_usable_size(p)));
        return p;
    }
    const long long before = static_cast<long long>(malloc_usable_size(old));
    account(old, -before);
    void* p = __libc_realloc(old, n);
    if (p)
        account(p, static_cast<long long>(malloc_usable_size(p)));
    else if (n != 0)
        account(old, before);  // failed: the old block is still there
    return p;
}
extern "C" void free(void* p) {
    if (p) account(p, -static_cast<long long>(malloc_usable_size(p)));
    __libc_free(p);
}
