// SPDX-License-Identifier: Apache-2.0
// Host file utilities shared by every program and library that touches the host file system:
// complete writes, atomic replacement (file and directory made durable), bounded reads.
// Every function reports the errno of the step that failed (0 = success), so callers can name
// the cause ("No space left on device") next to the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sebind::host {

/// Writes all `size` bytes to `fd`, continuing after short writes and EINTR. 0 or errno.
int write_all(int fd, const void* data, std::size_t size) noexcept;

/// Replaces a file atomically, in two steps so a caller can find out that the file cannot be
/// written before it does something that cannot be undone:
///   open():   creates PATH.tmp-XXXXXX next to the file with `mode` (the directory is writable);
///   commit(): writes the content, fsyncs it, renames it over PATH and fsyncs the directory.
/// Until commit() succeeds the old file is untouched; a failed or abandoned replacement removes
/// its temporary file. A PATH that exists and is not a regular file (a device such as
/// /dev/stdout, a FIFO) is written in place instead: it cannot be renamed over.
class FileReplacement {
public:
    FileReplacement() = default;
    ~FileReplacement();
    FileReplacement(const FileReplacement&) = delete;
    FileReplacement& operator=(const FileReplacement&) = delete;

    int open(const std::string& path, unsigned mode = 0644) noexcept;
    int commit(const void* data, std::size_t size) noexcept;
    int commit(const std::string& text) noexcept { return commit(text.data(), text.size()); }

private:
    void abandon() noexcept;
    std::string m_path;
    std::string m_tmp;  ///< empty when writing in place
    int m_fd = -1;
};

/// open() + commit() in one call. 0 or errno (errno is left set to it too, for callers that pass
/// only a Status on); on failure the old file is intact.
int replace_file(const std::string& path, const void* data, std::size_t size, unsigned mode = 0644) noexcept;
inline int replace_file(const std::string& path, const std::string& text, unsigned mode = 0644) noexcept {
    return replace_file(path, text.data(), text.size(), mode);
}

/// Reads a whole file of at most `limit` bytes into `out`. Returns 0 or errno; EFBIG when the
/// file holds more than `limit` bytes (reading stops at limit + 1, so /dev/zero ends quickly),
/// EISDIR for a directory, EAGAIN when the file has nothing to read without waiting (a FIFO or
/// device: the file is opened non-blocking, so a read never hangs the caller).
int read_file(const std::string& path, std::size_t limit, std::string& out);
int read_file(const std::string& path, std::size_t limit, std::vector<std::uint8_t>& out);

/// The most each kind of input file may hold (docs/provisioning.md, docs/agent.md list them).
/// A file over its limit is refused without being read into memory.
namespace limits {
inline constexpr std::size_t certificate = 256 * 1024;  ///< a certificate, chain, CSR, CA bundle or key (PEM or DER)
inline constexpr std::size_t agent_config = 64 * 1024;  ///< device.toml
inline constexpr std::size_t sensor_value = 4 * 1024;   ///< one sensor file (sysfs value, /proc/loadavg, a label)
}  // namespace limits

/// The fix for a failed write, by errno: free space, raise the file-size limit, make the
/// directory writable, create the directory...
const char* write_fix(int err) noexcept;

/// "256 KiB", "64 KiB", "4096 bytes": a limit as messages show it.
std::string size_text(std::size_t bytes);

}  // namespace sebind::host
