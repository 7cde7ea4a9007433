// SPDX-License-Identifier: Apache-2.0
// A Google Benchmark reporter that also remembers each run's time so a benchmark program can
// print ratios against a baseline measured in the same run.
#pragma once

#include <map>
#include <string>

#include <benchmark/benchmark.h>

namespace sebind::bench {

class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
            m_seconds_per_iteration[run.benchmark_name()] = run.cpu_accumulated_time /
                                                            static_cast<double>(run.iterations);
        }
    }
    /// CPU seconds per iteration of a benchmark by name (steadier than wall time on a shared
    /// machine), or 0 when it did not run.
    double seconds(const std::string& name) const {
        auto it = m_seconds_per_iteration.find(name);
        return it == m_seconds_per_iteration.end() ? 0.0 : it->second;
    }

private:
    std::map<std::string, double> m_seconds_per_iteration;
};

}  // namespace sebind::bench
