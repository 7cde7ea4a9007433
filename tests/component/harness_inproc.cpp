// SPDX-License-Identifier: Apache-2.0
// In-process transport of the component harness, and the transport switch.
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace sebind::test {

#ifdef SEBIND_HAVE_EMUD
std::unique_ptr<TestChip> make_emud_test_chip(const TestChipOptions& options);
#endif

namespace {

std::string make_temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sebind-chip-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

class InprocChip final : public TestChip {
public:
    explicit InprocChip(const TestChipOptions& options) {
        if (options.on_disk) {
            m_dir = make_temp_dir();
            const std::string chip_dir = m_dir + "/chip";
            if (!emu::init_chip(chip_dir, options.init).ok()) throw std::runtime_error("init_chip failed");
            auto chip = emu::Chip::open(chip_dir, options.open);
            if (!chip) throw std::runtime_error("Chip::open failed");
            m_chip = std::move(*chip);
        } else {
            auto chip = emu::Chip::create_in_memory(options.init, options.open);
            if (!chip) throw std::runtime_error("create_in_memory failed");
            m_chip = std::move(*chip);
        }
        m_bus = std::make_unique<emu::EmulatedBus>(*m_chip, m_clock);
        m_device = std::make_unique<stsafe::Device>(*m_bus, m_clock, emu::kDriverConfig);
    }
    ~InprocChip() override {
        m_device.reset();
        m_bus.reset();
        m_chip.reset();
        if (!m_dir.empty()) std::filesystem::remove_all(m_dir);
    }
    stsafe::Device& device() override { return *m_device; }
    emu::Chip* chip() override { return m_chip.get(); }
    void set_faults(const emu::FaultConfig& faults) override { m_chip->set_faults(faults); }
    void set_latency(emu::Latency latency) override { m_chip->set_latency(latency); }
    Status power_cycle() override { return m_chip->power_cycle(); }
    emu::ChipStats stats() override { return m_chip->stats(); }
    std::string state_dir() const override { return m_dir.empty() ? std::string() : m_dir + "/chip"; }
    const char* transport() const override { return "inproc"; }
    Clock& clock() override { return m_clock; }

private:
    std::string m_dir;
    ManualClock m_clock;
    std::unique_ptr<emu::Chip> m_chip;
    std::unique_ptr<emu::EmulatedBus> m_bus;
    std::unique_ptr<stsafe::Device> m_device;
};

}  // namespace

std::string test_transport() {
    const char* t = std::getenv("SEBIND_TEST_TRANSPORT");
    return t && *t ? t : "inproc";
}

std::unique_ptr<TestChip> make_test_chip(const TestChipOptions& options) {
    if (test_transport() == "emud") {
#ifdef SEBIND_HAVE_EMUD
        return make_emud_test_chip(options);
#else
        throw std::runtime_error("SEBIND_TEST_TRANSPORT=emud but this build has no sebind-emud");
#endif
    }
    return std::make_unique<InprocChip>(options);
}

}  // namespace sebind::test
