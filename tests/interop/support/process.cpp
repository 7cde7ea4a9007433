// SPDX-License-Identifier: Apache-2.0
// posix_spawn-based runner for third-party tools.
#include "process.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sebind::test {

RunResult run(const std::vector<std::string>& argv) {
    RunResult result;
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return result;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    std::vector<char*> args;
    std::vector<std::string> copy = argv;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipefd[1]);
    if (rc == 0) {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) result.output.append(buf, static_cast<std::size_t>(n));
        int status = 0;
        ::waitpid(pid, &status, 0);
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    } else {
        result.output = "cannot start " + argv[0];
    }
    ::close(pipefd[0]);
    return result;
}

TempDir::TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sebind-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    m_path = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out) throw std::runtime_error("cannot write " + path);
}

void write_file(const std::string& path, const std::vector<unsigned char>& data) {
    write_file(path, std::string(data.begin(), data.end()));
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

RunResult openssl_ca_sign(const std::string& db_dir, const std::string& ca_pem, const std::string& ca_key,
                          const std::string& csr, const std::string& out, const std::string& start,
                          const std::string& end) {
    std::filesystem::create_directories(db_dir + "/new");
    write_file(db_dir + "/index.txt", std::string());
    write_file(db_dir + "/serial", std::string("1000\n"));
    write_file(db_dir + "/ca.cnf",
               "[ca]\ndefault_ca = test\n[test]\ndatabase = " + db_dir + "/index.txt\nnew_certs_dir = " + db_dir +
                   "/new\nserial = " + db_dir +
                   "/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n"
                   "copy_extensions = copy\n[any]\ncommonName = supplied\norganizationName = optional\n");
    return run({"openssl", "ca", "-batch", "-notext", "-config", db_dir + "/ca.cnf", "-cert", ca_pem, "-keyfile",
                ca_key, "-in", csr, "-out", out, "-startdate", start, "-enddate", end});
}

RunResult openssl_issue(const std::string& csr, const std::string& ca_pem, const std::string& ca_key,
                        const std::string& extensions, const std::string& out) {
    write_file(out + ".ext", extensions);
    return run({"openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-days",
                "30", "-extfile", out + ".ext", "-out", out});
}

RunResult openssl_root_and_intermediate(const std::string& dir, const std::string& name) {
    RunResult r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                       "-keyout", dir + "/root.key", "-out", dir + "/root.pem", "-subj", "/CN=" + name + " root CA",
                       "-days", "30"});
    if (r.exit_code == 0)
        r = run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                 dir + "/int.key", "-out", dir + "/int.csr", "-subj", "/CN=" + name + " intermediate CA"});
    if (r.exit_code == 0)
        r = openssl_issue(dir + "/int.csr", dir + "/root.pem", dir + "/root.key",
                          "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
                          dir + "/int.pem");
    return r;
}

}  // namespace sebind::test
