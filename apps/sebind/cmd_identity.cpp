// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the identity subcommands (cmd_keygen, cmd_csr, cmd_cert, cmd_verify_pair).
#include "identity_cli.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <mbedtls/x509_crt.h>

#include "sebind/mbedtls_util/cert_text.hpp"

namespace sebind::cli {

namespace st = stsafe;
using nlohmann::json;

std::string read_file_or_fail(const std::string& path, const char* kind, std::size_t limit, const char* formats) {
    std::string text;
    const int err = host::read_file(path, limit, text);
    switch (err) {
        case 0: return text;
        case EFBIG:
            throw Failure(Exit::too_large, path + " is larger than " + host::size_text(limit) + ", the limit for " +
                                               kind + " — pass " + kind + " file" +
                                               (formats != nullptr ? std::string(" (") + formats + ")" : ""));
        case EISDIR: throw Failure(Exit::invalid_input, path + " is a directory — pass " + kind + " file");
        case EAGAIN:
            throw Failure(Exit::invalid_input,
                          path + " has nothing to read without waiting — pass " + kind + " file, not a FIFO or device");
        default:
            throw Failure(Exit::not_found, "cannot read " + path + " (" + std::strerror(err) + ") — check the path");
    }
}

OutputFile::OutputFile(std::string path) : m_path(std::move(path)) {
    if (is_stdout()) return;
    if (const int err = m_file.open(m_path)) fail_write(m_path, err);
}

int OutputFile::write(const std::string& text) {
    if (!is_stdout()) return m_file.commit(text);
    errno = 0;
    if (std::fputs(text.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
        const int err = errno ? errno : EIO;
        std::clearerr(stdout);
        return err;
    }
    return 0;
}

void OutputFile::write_or_fail(const std::string& text) {
    if (const int err = write(text)) fail_write(name(), err);
}

std::string public_key_pem(const st::PublicKey& key) {
    std::string pem;
    if (mbedtls_util::public_key_pem(key, pem) != 0) throw Failure(Exit::internal, "cannot encode the public key");
    return pem;
}

std::string certificate_pem(const std::vector<std::uint8_t>& der) {
    std::string pem;
    if (mbedtls_util::certificate_pem(der, pem) != 0) throw Failure(Exit::internal, "cannot encode the certificate");
    return pem;
}

json certificate_json(const std::vector<std::uint8_t>& der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    json j = json::object();
    if (mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) == 0) {
        char subject[512], issuer[512];
        mbedtls_x509_dn_gets(subject, sizeof subject, &crt.subject);
        mbedtls_x509_dn_gets(issuer, sizeof issuer, &crt.issuer);
        j = {{"subject", subject},
             {"issuer", issuer},
             {"not_before", mbedtls_util::iso_time(crt.valid_from)},
             {"not_after", mbedtls_util::iso_time(crt.valid_to)},
             {"expired", mbedtls_x509_time_is_past(&crt.valid_to) != 0},
             {"not_yet_valid", mbedtls_x509_time_is_future(&crt.valid_from) != 0},
             {"size", der.size()}};
    }
    mbedtls_x509_crt_free(&crt);
    return j;
}

st::Curve parse_curve(const std::string& name) {
    auto c = st::curve_from_name(name.c_str());
    if (!c) throw Failure(Exit::usage, "unknown curve '" + name + "' — use p256, p384, bp256 or bp384");
    return *c;
}

std::vector<std::uint8_t> load_certificate_file(const std::string& path) {
    const std::string text = read_file_or_fail(path);
    std::vector<unsigned char> buf(text.begin(), text.end());
    buf.push_back(0);  // PEM parsing wants the terminating NUL counted
    const bool pem = text.find("-----BEGIN") != std::string::npos;
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    const int rc = pem ? mbedtls_x509_crt_parse(&crt, buf.data(), buf.size())
                       : mbedtls_x509_crt_parse_der(&crt, buf.data(), text.size());
    std::vector<std::uint8_t> der;
    if (rc == 0 && crt.raw.len) der.assign(crt.raw.p, crt.raw.p + crt.raw.len);
    mbedtls_x509_crt_free(&crt);
    if (der.empty())
        throw Failure(Exit::invalid_input, path + " is not a certificate (PEM or DER) — pass the file the CA issued");
    return der;
}

}  // namespace sebind::cli
