// SPDX-License-Identifier: Apache-2.0
#include "sebind/tls/pem_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sebind::tls {

namespace {

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/// Base64 (RFC 4648) with line breaks; false on any other character or a bad length.
bool base64_decode(const std::string& text, std::vector<std::uint8_t>& out) {
    std::uint32_t acc = 0;
    int bits = 0, pad = 0, count = 0;
    for (const char c : text) {
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
        if (c == '=') {
            ++pad;
            ++count;
            continue;
        }
        const int v = base64_value(c);
        if (v < 0 || pad > 0) return false;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        ++count;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
        }
    }
    return count % 4 == 0 && pad <= 2 && !out.empty();
}

PemCertificates fail(Failure f, std::string reason, std::string fix) {
    PemCertificates r;
    r.failure = f;
    r.reason = std::move(reason);
    r.fix = std::move(fix);
    return r;
}

}  // namespace

PemCertificates read_pem_certificates(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return fail(Failure::file_not_found, "no such file", "check the path");
        if (errno == EACCES) return fail(Failure::file_invalid, "permission denied", "make it readable by this user");
        return fail(Failure::file_invalid, std::strerror(errno), "check the path");
    }
    struct stat st {};
    std::string text;
    std::string error;
    if (::fstat(fd, &st) != 0) {
        error = std::strerror(errno);
    } else if (S_ISDIR(st.st_mode)) {
        error = "it is a directory";
    } else if (!S_ISREG(st.st_mode)) {
        error = "it is not a regular file";
    } else {
        char buf[8192];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                error = std::strerror(errno);
                break;
            }
            if (n == 0) break;
            if (text.size() + static_cast<std::size_t>(n) > kMaxPemFileBytes) {
                ::close(fd);
                return fail(Failure::file_invalid, "larger than " + std::to_string(kMaxPemFileBytes >> 20) + " MiB",
                            "keep only the certificates this connection needs in it");
            }
            text.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    if (error == "it is a directory") return fail(Failure::file_invalid, error, "name the PEM file inside it");
    if (!error.empty()) return fail(Failure::file_invalid, error, "check the file");
    if (text.find("-----BEGIN ") == std::string::npos)
        return fail(Failure::file_invalid, "not PEM (no -----BEGIN line)",
                    "convert it (`openssl x509 -inform DER -in FILE -out FILE.pem`) or pass the PEM file");
    PemCertificates out;
    static const std::string kBegin = "-----BEGIN CERTIFICATE-----", kEnd = "-----END CERTIFICATE-----";
    for (std::size_t at = text.find(kBegin); at != std::string::npos; at = text.find(kBegin, at)) {
        const std::size_t body = at + kBegin.size();
        const std::size_t end = text.find(kEnd, body);
        std::vector<std::uint8_t> der;
        if (end == std::string::npos || !base64_decode(text.substr(body, end - body), der))
            return fail(
                Failure::file_invalid,
                "certificate " + std::to_string(out.der.size() + 1) + " in it is damaged (bad base64 or no END line)",
                "export the certificate again");
        out.der.push_back(std::move(der));
        at = end + kEnd.size();
    }
    if (out.der.empty())
        return fail(Failure::file_invalid, "no certificate in it (no BEGIN CERTIFICATE block)",
                    "pass the certificate's PEM file, not a key or a request");
    return out;
}

namespace diagnoses {

void bad_certificate_file(Diagnosis& d, const std::string& what, const std::string& path, Failure f,
                          const std::string& reason, const std::string& fix) {
    set_diagnosis(d, f, "cannot read " + what + " " + path + ": " + reason, fix);
}

}  // namespace diagnoses

}  // namespace sebind::tls
