// SPDX-License-Identifier: Apache-2.0
// sebind::host: complete writes, atomic replacement (no temporary left, old content kept on
// failure, mode applied), bounded non-blocking reads.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sebind/host/files.hpp"
#include "sebind/host/journal.hpp"

namespace host = sebind::host;

namespace {

class HostFiles : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sebind-host-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::string file(const std::string& name) const { return dir + "/" + name; }
    static std::string slurp(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    std::size_t entries() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
        return n;
    }
    std::string dir;
};

}  // namespace

TEST_F(HostFiles, ReplaceWritesTheWholeFileWithItsModeAndNoTemporary) {
    ASSERT_EQ(host::replace_file(file("a"), std::string("old\n")), 0);
    const std::string text(100000, 'x');
    ASSERT_EQ(host::replace_file(file("a"), text, 0600), 0);
    EXPECT_EQ(slurp(file("a")), text);
    struct stat st {};
    ASSERT_EQ(::stat(file("a").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(entries(), 1u);
}

TEST_F(HostFiles, ReplaceThroughASymlinkReplacesItsTarget) {
    ASSERT_EQ(host::replace_file(file("target"), std::string("old")), 0);
    ASSERT_EQ(::symlink(file("target").c_str(), file("link").c_str()), 0);
    ASSERT_EQ(host::replace_file(file("link"), std::string("new")), 0);
    EXPECT_TRUE(std::filesystem::is_symlink(file("link")));
    EXPECT_EQ(slurp(file("target")), "new");
}

TEST_F(HostFiles, AFullDeviceIsWrittenInPlaceAndReportsNoSpace) {
    EXPECT_EQ(host::replace_file("/dev/full", std::string("data")), ENOSPC);
    EXPECT_EQ(host::replace_file(file("missing/x"), std::string("data")), ENOENT);
    EXPECT_EQ(host::replace_file(dir, std::string("data")), EISDIR);
}

TEST_F(HostFiles, AFileSizeLimitIsEfbigAndKeepsTheOldFile) {
    ASSERT_EQ(host::replace_file(file("state"), std::string("previous")), 0);
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 1024;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    const int err = host::replace_file(file("state"), std::string(4096, 'n'));
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
    std::signal(SIGXFSZ, previous_handler);
    EXPECT_EQ(err, EFBIG);
    EXPECT_EQ(slurp(file("state")), "previous");
    EXPECT_EQ(entries(), 1u) << "the temporary file is removed";
}

TEST_F(HostFiles, AnAbandonedReplacementLeavesNothing) {
    ASSERT_EQ(host::replace_file(file("out"), std::string("kept")), 0);
    {
        host::FileReplacement r;
        ASSERT_EQ(r.open(file("out")), 0);
        EXPECT_EQ(entries(), 2u);  // the temporary, next to the file
    }
    EXPECT_EQ(entries(), 1u);
    EXPECT_EQ(slurp(file("out")), "kept");
}

TEST_F(HostFiles, ReadIsBoundedAndNeverBlocks) {
    std::string out;
    EXPECT_EQ(host::read_file("/dev/zero", 4096, out), EFBIG);
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(host::replace_file(file("exact"), std::string(4096, 'e')), 0);
    EXPECT_EQ(host::read_file(file("exact"), 4096, out), 0);
    EXPECT_EQ(out.size(), 4096u);
    EXPECT_EQ(host::read_file(file("exact"), 4095, out), EFBIG);
    EXPECT_EQ(host::read_file(dir, 4096, out), EISDIR);
    EXPECT_EQ(host::read_file(file("absent"), 4096, out), ENOENT);

    ASSERT_EQ(::mkfifo(file("fifo").c_str(), 0600), 0);
    const int writer = ::open(file("fifo").c_str(), O_RDWR | O_CLOEXEC);  // a writer with nothing to say
    ASSERT_GE(writer, 0);
    EXPECT_EQ(host::read_file(file("fifo"), 4096, out), EAGAIN);
    ::close(writer);
}

TEST(HostText, LimitsAndFixesAsMessagesShowThem) {
    EXPECT_EQ(host::size_text(256 * 1024), "256 KiB");
    EXPECT_EQ(host::size_text(1024 * 1024), "1 MiB");
    EXPECT_EQ(host::size_text(1000), "1000 bytes");
    EXPECT_NE(std::string(host::write_fix(ENOSPC)).find("free space"), std::string::npos);
    EXPECT_NE(std::string(host::write_fix(EFBIG)).find("ulimit -f"), std::string::npos);
    EXPECT_NE(std::string(host::write_fix(EROFS)).find("writable"), std::string::npos);
}

TEST(Journal, AStreamIsTheJournalOnlyWhenJournalStreamNamesItsDeviceAndInode) {
    char path[] = "/tmp/sebind-journal-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::unlink(path);
    struct stat st {};
    ASSERT_EQ(::fstat(fd, &st), 0);
    const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    ::unsetenv("JOURNAL_STREAM");
    EXPECT_FALSE(host::is_journal_stream(fd));
    ASSERT_EQ(::setenv("JOURNAL_STREAM", mine.c_str(), 1), 0);
    EXPECT_TRUE(host::is_journal_stream(fd));
    // Another inode, trailing text, a missing part, garbage: not systemd's value for this stream.
    for (const std::string& other :
         {std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1), mine + "x", mine + ":1",
          std::to_string(st.st_dev), ":" + std::to_string(st.st_ino), std::string("journal")}) {
        ASSERT_EQ(::setenv("JOURNAL_STREAM", other.c_str(), 1), 0);
        EXPECT_FALSE(host::is_journal_stream(fd)) << other;
    }
    ASSERT_EQ(::setenv("JOURNAL_STREAM", mine.c_str(), 1), 0);
    EXPECT_FALSE(host::is_journal_stream(-1));
    ::unsetenv("JOURNAL_STREAM");
    ::close(fd);
    EXPECT_STREQ(host::journal_prefix(sebind::LogLevel::error), "<3>");
    EXPECT_STREQ(host::journal_prefix(sebind::LogLevel::warning), "<4>");
    EXPECT_STREQ(host::journal_prefix(sebind::LogLevel::info), "<6>");
    EXPECT_STREQ(host::journal_prefix(sebind::LogLevel::debug), "<7>");
}
