// SPDX-License-Identifier: Apache-2.0
// Driver and emulator throughput: commands per second through the in-process emulator (zero
// latency) and the driver's overhead per command against raw frames fed to the emulator.
#include <array>
#include <cstdio>
#include <memory>
#include <vector>

#include "ratio_reporter.hpp"
#include "sebind/core/clock.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/frame.hpp"

namespace {

using namespace sebind;

struct Rig {
    std::unique_ptr<emu::Chip> chip;
    ManualClock clock;
    std::unique_ptr<emu::EmulatedBus> bus;
    std::unique_ptr<stsafe::Device> device;

    Rig() {
        emu::InitOptions init;
        init.seed = 7;
        emu::OpenOptions open;
        open.persist = false;
        auto created = emu::Chip::create_in_memory(init, open);
        if (!created) {
            std::fprintf(stderr, "bench: cannot create emulator: %s\n", to_string(created.status().code()));
            std::exit(1);
        }
        chip = std::move(*created);
        bus = std::make_unique<emu::EmulatedBus>(*chip, clock);
        device = std::make_unique<stsafe::Device>(*bus, clock, emu::kDriverConfig);
    }
};

// The mix: what a device does between handshakes (no signature; signatures are measured apart
// because their cost is the curve arithmetic, not the protocol).
constexpr int kMixSize = 6;

void run_driver_command(Rig& rig, int i) {
    std::array<std::uint8_t, 64> buf{};
    switch (i % kMixSize) {
        case 0: {
            auto r = rig.device->echo(std::span(buf).first(32), buf);
            benchmark::DoNotOptimize(r);
            break;
        }
        case 1: {
            auto s = rig.device->generate_random(std::span(buf).first(32));
            benchmark::DoNotOptimize(s);
            break;
        }
        case 2: {
            auto r = rig.device->query_product_data();
            benchmark::DoNotOptimize(r);
            break;
        }
        case 3: {
            auto s = rig.device->read(1, 0, buf);
            benchmark::DoNotOptimize(s);
            break;
        }
        case 4: {
            auto r = rig.device->query_partition();
            benchmark::DoNotOptimize(r);
            break;
        }
        case 5: {
            auto s = rig.device->update(1, 64, std::span(buf).first(32));
            benchmark::DoNotOptimize(s);
            break;
        }
    }
}

// The same six commands as raw frames, handed to the emulator directly: the baseline.
std::vector<std::vector<std::uint8_t>> raw_frames() {
    const std::vector<std::vector<std::uint8_t>> payloads = {
        [] {
            std::vector<std::uint8_t> p(1, 0x00);
            p.resize(33, 0);
            return p;
        }(),                                         // echo 32
        {0x02, 0x00, 0x20},                          // random 32
        {0x14, 0x11},                                // query product data
        {0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x40},  // read zone 1, 64 bytes
        {0x14, 0x12},                                // query partition
        [] {
            std::vector<std::uint8_t> p = {0x06, 0x00, 0x01, 0x00, 0x40};
            p.resize(5 + 32, 0);
            return p;
        }(),
    };
    std::vector<std::vector<std::uint8_t>> frames;
    for (const auto& p : payloads) {
        std::vector<std::uint8_t> f(p.size() + 2);
        auto n = stsafe::encode_command(p[0], std::span(p).subspan(1), {}, f);
        f.resize(*n);
        frames.push_back(f);
    }
    return frames;
}

void BM_EmulatorRawFrames(benchmark::State& state) {
    Rig rig;
    const auto frames = raw_frames();
    std::array<std::uint8_t, stsafe::kMaxResponseFrame> rsp{};
    int i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(rig.chip->process(frames[static_cast<std::size_t>(i % kMixSize)], rsp));
        ++i;
    }
    state.counters["cmd/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_DriverMixed(benchmark::State& state) {
    Rig rig;
    int i = 0;
    for (auto _ : state) run_driver_command(rig, i++);
    state.counters["cmd/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_DriverSignP256(benchmark::State& state) {
    Rig rig;
    std::array<std::uint8_t, 32> digest{};
    digest.fill(0x5A);
    for (auto _ : state) {
        auto sig = rig.device->generate_signature(stsafe::kSlotFactory, digest);
        if (!sig) state.SkipWithError("signature failed");
        benchmark::DoNotOptimize(sig);
    }
    state.counters["sig/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_EmulatorRawFrames);
BENCHMARK(BM_DriverMixed);
BENCHMARK(BM_DriverSignP256);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    sebind::bench::RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    const double raw = reporter.seconds("BM_EmulatorRawFrames");
    const double driver = reporter.seconds("BM_DriverMixed");
    const double sign = reporter.seconds("BM_DriverSignP256");
    if (raw > 0 && driver > 0) {
        std::printf("\nsummary: emulator mixed commands through the driver: %.0f cmd/s (target >= 20000: %s)\n",
                    1.0 / driver, 1.0 / driver >= 20000 ? "met" : "NOT met");
        std::printf("summary: emulator alone (raw frames, baseline):     %.0f cmd/s\n", 1.0 / raw);
        std::printf("summary: driver overhead per command: %.2f us (driver/raw time ratio %.2f)\n",
                    (driver - raw) * 1e6, driver / raw);
    }
    if (sign > 0) std::printf("summary: P-256 signatures through driver + emulator: %.0f sig/s\n", 1.0 / sign);
    benchmark::Shutdown();
    return 0;
}
