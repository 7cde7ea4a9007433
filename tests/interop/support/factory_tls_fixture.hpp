// SPDX-License-Identifier: Apache-2.0
// The fixture of the mbedTLS client suites: an emulated chip whose factory identity (slot 0 and
// its zone-0 certificate) is the client's, and `openssl s_server` demanding a client certificate
// from the chip's factory CA. Header-only: the tests that use it link identity and tls_mbedtls.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "emulated_chip.hpp"
#include "peer.hpp"
#include "process.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/tls_mbedtls/client.hpp"

namespace sebind::test {

class FactoryTlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto cert = identity::read_certificate(*se, 0);
        ASSERT_TRUE(cert);
        ASSERT_EQ(mbedtls_x509_crt_parse_der(&chain, cert->der.data(), cert->der.size()), 0);
        ASSERT_TRUE(
            mbedtls_util::setup_se_key(key, *se, stsafe::kSlotFactory, *mbedtls_util::public_key_of(chain.pk)).ok());
    }
    void TearDown() override {
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&chain);
    }

    /// Self-signed server certificate srv.pem/srv.key for localhost (CN and SAN); `key_spec` as
    /// for `openssl req -newkey` ("ec" is P-256, or e.g. "rsa:2048").
    void server_cert(const std::string& key_spec, const std::string& extra = "") {
        std::vector<std::string> args = {"openssl", "req",
                                         "-x509",   "-newkey",
                                         key_spec,  "-nodes",
                                         "-keyout", dir.file("srv.key"),
                                         "-out",    dir.file("srv.pem"),
                                         "-subj",   "/CN=localhost",
                                         "-addext", "subjectAltName=DNS:localhost",
                                         "-days",   "30"};
        if (key_spec == "ec") args.insert(args.begin() + 5, {"-pkeyopt", "ec_paramgen_curve:P-256"});
        if (!extra.empty()) args.push_back(extra);
        auto r = run(args);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }

    /// TLS 1.2 s_server on a free port for `naccept` connections, ready at its ACCEPT line.
    std::unique_ptr<Peer> s_server(const std::vector<std::string>& extra, int& port, int naccept = 1) {
        port = free_port();
        return s_server_on(extra, port, naccept);
    }

    /// The same on a given port, e.g. the port of a server just stopped.
    std::unique_ptr<Peer> s_server_on(const std::vector<std::string>& extra, int port, int naccept = 1) {
        std::vector<std::string> args = {"openssl",
                                         "s_server",
                                         "-accept",
                                         std::to_string(port),
                                         "-naccept",
                                         std::to_string(naccept),
                                         "-cert",
                                         dir.file("srv.pem"),
                                         "-key",
                                         dir.file("srv.key"),
                                         "-CAfile",
                                         dir.file("se/factory-ca.pem"),
                                         "-Verify",
                                         "1",
                                         "-verify_return_error",
                                         "-no_tls1_3"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto p = std::make_unique<Peer>(args);
        EXPECT_TRUE(p->wait_for("ACCEPT")) << p->output();
        return p;
    }

    /// How many of its handshakes s_server resumed, by its own account: it prints "Reused
    /// session-id" for each (id and ticket alike). Waits for it to exit after its -naccept
    /// connections, so that every line is in.
    static std::size_t server_resumptions(Peer& server) {
        EXPECT_EQ(server.wait_exit(), 0) << server.output();
        return server.count_lines("Reused session-id");
    }

    /// Client options with the factory identity, trusting `ca`.
    tls_mbedtls::ClientOptions options(int port, const std::string& ca) {
        tls_mbedtls::ClientOptions o;
        o.host = "localhost";
        o.port = static_cast<std::uint16_t>(port);
        o.ca_file = ca;
        o.own_chain = &chain;
        o.own_key = &key;
        o.timeout_ms = 5000;
        return o;
    }

    TempDir dir;
    EmulatedChip rig{dir.file("se")};
    emu::Chip* chip = rig.chip.get();
    stsafe::Device* se = rig.device.get();
    mbedtls_x509_crt chain = [] {
        mbedtls_x509_crt c;
        mbedtls_x509_crt_init(&c);
        return c;
    }();
    mbedtls_pk_context key = [] {
        mbedtls_pk_context k;
        mbedtls_pk_init(&k);
        return k;
    }();
};

}  // namespace sebind::test
