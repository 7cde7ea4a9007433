// SPDX-License-Identifier: Apache-2.0
// The exit codes users read agree with the code: README.md's table equals kExitCodes (the table
// `sebind --help` prints), every other table with an "Exit" column in README.md and docs/*.md
// names codes that exist with their class, and every "exit N" in their prose is a code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "exit_codes.hpp"
#include "process.hpp"

using sebind::cli::ExitCodeInfo;
using sebind::cli::kExitCodes;

namespace {

using sebind::test::read_text;

std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    for (std::size_t i = 1; i < line.size(); ++i) {
        if (line[i] != '|') {
            cell += line[i];
            continue;
        }
        const auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
        out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
        cell.clear();
    }
    return out;
}

std::string unquote(const std::string& s) {
    return s.size() >= 2 && s.front() == '`' && s.back() == '`' ? s.substr(1, s.size() - 2) : s;
}

/// One markdown table whose header has an "Exit" column.
struct ExitTable {
    std::string file;
    int line = 0;  ///< of the header
    std::vector<std::string> header;
    std::vector<std::pair<int, std::vector<std::string>>> rows;  ///< line number, cells
    int column(const std::string& name) const {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return static_cast<int>(i);
        return -1;
    }
};

std::vector<ExitTable> exit_tables(const std::string& file, const std::string& text) {
    std::vector<ExitTable> tables;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    ExitTable* current = nullptr;
    while (std::getline(in, line)) {
        ++n;
        if (line.rfind("|", 0) != 0) {
            current = nullptr;
            continue;
        }
        if (line.rfind("| ---", 0) == 0) continue;
        if (current) {
            current->rows.push_back({n, cells(line)});
            continue;
        }
        const auto header = cells(line);
        if (std::find(header.begin(), header.end(), "Exit") != header.end()) {
            tables.push_back({file, n, header, {}});
            current = &tables.back();
        } else {
            current = nullptr;
            // Skip the rest of a table without an Exit column.
            while (std::getline(in, line) && line.rfind("|", 0) == 0) ++n;
            ++n;
        }
    }
    return tables;
}

/// README.md and every page in docs/.
std::vector<std::string> documents() {
    std::vector<std::string> files = {SEBIND_SOURCE_DIR "/README.md"};
    for (const auto& e : std::filesystem::directory_iterator(SEBIND_SOURCE_DIR "/docs"))
        if (e.path().extension() == ".md") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

std::string row_text(const ExitCodeInfo& e) {
    return "| " + std::to_string(static_cast<int>(e.code)) + " | `" + std::string(e.name) + "` | " +
           std::string(e.meaning) + " |";
}

}  // namespace

TEST(ExitCodeDocs, ReadmeTableIsTheCodesTable) {
    const auto tables = exit_tables("README.md", read_text(SEBIND_SOURCE_DIR "/README.md"));
    const ExitTable* full = nullptr;
    for (const auto& t : tables)
        if (t.header == std::vector<std::string>{"Exit", "Class", "Meaning"}) full = &t;
    ASSERT_NE(full, nullptr) << "README.md has no | Exit | Class | Meaning | table";
    std::string expected;
    for (const auto& e : kExitCodes) expected += row_text(e) + "\n";
    std::string actual;
    for (const auto& [line, row] : full->rows) {
        actual += "|";
        for (const auto& c : row) actual += " " + c + " |";
        actual += "\n";
    }
    EXPECT_EQ(actual, expected) << "README.md line " << full->line << ": replace the table rows with the expected ones";
}

TEST(ExitCodeDocs, HelpPrintsTheCodesTable) {
    const auto r = sebind::test::run({SEBIND_BIN, "--help"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (const auto& e : kExitCodes) {
        const std::regex row("\\n +" + std::to_string(static_cast<int>(e.code)) + " +" + std::string(e.name) +
                             " +([^\\n]*)\\n");
        std::smatch m;
        ASSERT_TRUE(std::regex_search(r.output, m, row)) << "no row for exit " << static_cast<int>(e.code) << " in:\n"
                                                         << r.output;
        EXPECT_EQ(m[1].str(), e.meaning);
    }
}

TEST(ExitCodeDocs, EveryExitTableInTheDocsNamesRealCodesAndTheirClasses) {
    int tables_seen = 0, class_rows = 0;
    for (const auto& file : documents()) {
        for (const auto& t : exit_tables(file, read_text(file))) {
            ++tables_seen;
            const int exit_col = t.column("Exit"), class_col = t.column("Class");
            for (const auto& [line, row] : t.rows) {
                ASSERT_GT(static_cast<int>(row.size()), exit_col) << file << ":" << line;
                // "6", or several codes: "7, 8".
                std::smatch m;
                std::string codes = row[static_cast<std::size_t>(exit_col)];
                const std::regex number("[0-9]+");
                int found = 0;
                for (auto it = std::sregex_iterator(codes.begin(), codes.end(), number); it != std::sregex_iterator();
                     ++it, ++found) {
                    const int code = std::stoi(it->str());
                    const ExitCodeInfo* info = sebind::cli::exit_code_info(code);
                    ASSERT_NE(info, nullptr)
                        << file << ":" << line << ": exit " << code << " is no exit code (apps/sebind/exit_codes.hpp)";
                    if (class_col >= 0) {
                        EXPECT_EQ(unquote(row.at(static_cast<std::size_t>(class_col))), info->name)
                            << file << ":" << line;
                        ++class_rows;
                    }
                }
                EXPECT_GT(found, 0) << file << ":" << line << ": no exit code in the Exit column";
            }
        }
    }
    // README's full table, agent.md (`run`), emud-protocol.md (sebind-emud) and provisioning.md.
    EXPECT_GE(tables_seen, 4);
    EXPECT_GE(class_rows, static_cast<int>(std::size(kExitCodes)));
}

TEST(ExitCodeDocs, EveryExitCodeInTheProseExists) {
    // "exit 7", "exits 9", "exit code 22", "exits with code 7", "(exit 8, ...)".
    const std::regex mention("\\bexits?(?: with)?(?: code)? ([0-9]+)\\b");
    int seen = 0;
    for (const auto& file : documents()) {
        std::istringstream in(read_text(file));
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            for (auto it = std::sregex_iterator(line.begin(), line.end(), mention); it != std::sregex_iterator();
                 ++it, ++seen) {
                const int code = std::stoi((*it)[1].str());
                EXPECT_NE(sebind::cli::exit_code_info(code), nullptr)
                    << file << ":" << n << ": '" << it->str() << "' is no exit code (apps/sebind/exit_codes.hpp)";
            }
        }
    }
    EXPECT_GT(seen, 10);
}

TEST(ExitCodeDocs, TheUnitPreventsARestartForExactlyTheCodesThatNeedAPerson) {
    // systemd reads every RestartPreventExitStatus= line of [Service]; an empty one resets the list.
    const std::string unit = SEBIND_SOURCE_DIR "/examples/systemd/sebind-agent.service";
    std::istringstream in(read_text(unit));
    std::set<int> in_unit;
    int lines_seen = 0;
    for (std::string line; std::getline(in, line);) {
        const std::string key = "RestartPreventExitStatus=";
        if (line.rfind(key, 0) != 0) continue;
        ++lines_seen;
        std::istringstream values(line.substr(key.size()));
        std::string value;
        if (line.size() == key.size()) in_unit.clear();
        while (values >> value) {
            ASSERT_TRUE(std::all_of(value.begin(), value.end(), ::isdigit))
                << unit << ": '" << value << "' is not an exit status number";
            const int code = std::stoi(value);
            EXPECT_NE(sebind::cli::exit_code_info(code), nullptr) << unit << ": " << code << " is no exit code";
            in_unit.insert(code);
        }
    }
    ASSERT_GT(lines_seen, 0) << unit << " has no RestartPreventExitStatus=";
    std::set<int> needs_person;
    for (const auto code : sebind::cli::kExitNeedsPerson) needs_person.insert(static_cast<int>(code));
    for (const int code : needs_person)
        EXPECT_TRUE(in_unit.count(code)) << unit << ": exit " << code << " (" << sebind::cli::exit_code_info(code)->name
                                         << ") needs a person but is missing from RestartPreventExitStatus";
    for (const int code : in_unit)
        EXPECT_TRUE(needs_person.count(code))
            << unit << ": exit " << code << " is in RestartPreventExitStatus but kExitNeedsPerson "
            << "(apps/sebind/exit_codes.hpp) says a restart may cure it";
    // The ones the agent itself is documented to stop with for a person's sake.
    for (const int code : {6, 9, 36}) EXPECT_TRUE(needs_person.count(code)) << code;
}
