// SPDX-License-Identifier: Apache-2.0
// The device side of the mbedtls3 tests: an emulated chip whose slot-1 key is attached to PSA,
// its CSR (through the opaque key), a development CA made with openssl that certifies it, and the
// client options with that identity.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "emulated_chip.hpp"
#include "process.hpp"
#include "sebind/psa_stsafe/driver.hpp"
#include "sebind/tls_mbedtls3/client.hpp"
#include "sebind/tls_mbedtls3/csr.hpp"

namespace sebind::test {

class ChipIdentity3 {
public:
    explicit ChipIdentity3(const TempDir& dir) : rig(dir.file("se")), m_dir(dir) {
        mbedtls_x509_crt_init(&chain);
        mbedtls_pk_init(&key);
    }
    ~ChipIdentity3() {
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&chain);
        psa_stsafe::detach(stsafe::kSlotUser);
    }
    ChipIdentity3(const ChipIdentity3&) = delete;
    ChipIdentity3& operator=(const ChipIdentity3&) = delete;

    /// A new slot-1 key on `curve` allowing `usage_limit` signatures, attached to PSA.
    void keygen(stsafe::Curve curve, std::uint16_t usage_limit = 0xFFFF) {
        auto pub = rig.device->generate_key_pair(stsafe::kSlotUser, curve, usage_limit);
        ASSERT_TRUE(pub);
        public_key = *pub;
        ASSERT_TRUE(psa_stsafe::attach(*rig.device, stsafe::kSlotUser, public_key).ok());
    }

    /// The chip's CSR for `subject`, also written to dev.csr; empty on failure.
    std::string csr(const std::string& subject) {
        auto pem = tls_mbedtls3::chip_csr_pem(stsafe::kSlotUser, subject);
        EXPECT_TRUE(pem) << (pem ? "" : to_string(pem.status().code()));
        if (!pem) return {};
        write_file(m_dir.file("dev.csr"), *pem);
        return *pem;
    }

    /// A P-256 development CA (ca.pem, ca.key).
    void make_ca() {
        auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", m_dir.file("ca.key"), "-out", m_dir.file("ca.pem"), "-subj", "/CN=sebind test CA",
                      "-days", "30"});
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }

    /// `name`.pem from `name`.csr, issued by the CA with a digitalSignature key usage and `extensions`.
    void issue(const std::string& name, const std::string& extensions) {
        auto r = openssl_issue(m_dir.file(name + ".csr"), m_dir.file("ca.pem"), m_dir.file("ca.key"),
                               "keyUsage=critical,digitalSignature\n" + extensions, m_dir.file(name + ".pem"));
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }

    /// The device certificate from the chip's CSR for `subject` (dev.pem), parsed as `chain`, and
    /// the opaque key as `key`.
    void certify(const std::string& subject) {
        ASSERT_FALSE(csr(subject).empty());
        issue("dev", "extendedKeyUsage=clientAuth\n");
        const std::string dev = read_text(m_dir.file("dev.pem"));  // no file I/O in the device config
        ASSERT_EQ(mbedtls_x509_crt_parse(&chain, reinterpret_cast<const unsigned char*>(dev.c_str()), dev.size() + 1),
                  0);
        ASSERT_TRUE(tls_mbedtls3::setup_chip_key(key, stsafe::kSlotUser).ok());
    }

    tls_mbedtls3::ClientOptions options(int port, const std::string& ca_file, tls_mbedtls3::TlsVersions versions) {
        tls_mbedtls3::ClientOptions o;
        o.host = "localhost";
        o.port = static_cast<std::uint16_t>(port);
        o.ca_file = ca_file;
        o.own_chain = &chain;
        o.own_key = &key;
        o.chip_slot = stsafe::kSlotUser;
        o.versions = versions;
        o.timeout_ms = 5000;
        return o;
    }

    EmulatedChip rig;
    stsafe::PublicKey public_key;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;

private:
    const TempDir& m_dir;
};

}  // namespace sebind::test
