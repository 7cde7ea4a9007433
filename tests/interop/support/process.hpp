// SPDX-License-Identifier: Apache-2.0
// Running third-party tools from tests, and scratch directories.
#pragma once

#include <string>
#include <vector>

namespace sebind::test {

struct RunResult {
    int exit_code = -1;  ///< the tool's exit status (-1 when it could not run or died of a signal)
    std::string output;  ///< stdout and stderr
};

/// Runs `argv` (no shell) and waits for it.
RunResult run(const std::vector<std::string>& argv);

/// A fresh directory under $TMPDIR, removed with its content on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

void write_file(const std::string& path, const std::string& data);
void write_file(const std::string& path, const std::vector<unsigned char>& data);
std::string read_text(const std::string& path);

}  // namespace sebind::test
