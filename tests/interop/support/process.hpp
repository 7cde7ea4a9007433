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

/// Signs `csr` with a CA (`ca_pem`, `ca_key`) through `openssl ca`, which, unlike `x509 -req`,
/// takes any validity period, the past included: `start`/`end` as YYYYMMDDHHMMSSZ. Extensions
/// of the request (subjectAltName) are copied. The CA's database goes to `db_dir` (created).
RunResult openssl_ca_sign(const std::string& db_dir, const std::string& ca_pem, const std::string& ca_key,
                          const std::string& csr, const std::string& out, const std::string& start,
                          const std::string& end);

/// `openssl x509 -req`: a certificate for `csr` from the CA `ca_pem`/`ca_key`, valid 30 days, with
/// the extension lines `extensions` (written to `out` + ".ext").
RunResult openssl_issue(const std::string& csr, const std::string& ca_pem, const std::string& ca_key,
                        const std::string& extensions, const std::string& out);

/// A P-256 root CA and an intermediate CA it issued (pathlen 0) in `dir`: root.pem/.key,
/// int.pem/.key, named "<name> root CA" and "<name> intermediate CA". The first failure, or exit 0.
RunResult openssl_root_and_intermediate(const std::string& dir, const std::string& name);

}  // namespace sebind::test
