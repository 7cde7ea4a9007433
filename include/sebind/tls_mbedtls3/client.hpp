// SPDX-License-Identifier: Apache-2.0
// A TLS 1.2 and 1.3 client on Mbed TLS 3.6 (the mbedtls3 configuration, docs/tls-mbedtls3.md)
// whose client key is the chip's, through PSA: mbedtls_pk_setup_opaque over the chip's built-in
// key (psa_stsafe). Hostname check always on (the rule of tls/host_name.hpp) with SNI for names,
// an explicit AEAD suite and group list, one deadline for TCP and the handshake, session
// resumption (TLS 1.2 tickets or ids, TLS 1.3 tickets) without a chip operation, and a diagnosis
// of the failures in the words of the other stacks (tls/report.hpp).
//
//   psa_stsafe::attach(device, stsafe::kSlotUser, public_key);
//   mbedtls_pk_context key;  mbedtls_pk_init(&key);
//   tls_mbedtls3::setup_chip_key(key, stsafe::kSlotUser);
//   tls_mbedtls3::ClientOptions o;  o.own_chain = &chain;  o.own_key = &key;  o.chip_slot = stsafe::kSlotUser; ...
//   tls_mbedtls3::Client client;
//   auto info = client.connect(o, &cache);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sebind/core/bytes.hpp"
#include "sebind/core/result.hpp"
#include "sebind/tls/report.hpp"
#include "sebind/tls/stream.hpp"

namespace sebind::tls_mbedtls3 {

/// Sets up `pk` (initialised, empty) as the opaque key of the chip's `slot`, attached before with
/// psa_stsafe::attach (starts PSA if needed). Errors: does_not_exist (slot not attached),
/// not_supported (PSA could not start or refuses the key).
Status setup_chip_key(mbedtls_pk_context& pk, std::uint8_t slot) noexcept;

enum class TlsVersions : std::uint8_t { tls12_and_13, tls12, tls13 };

struct ClientOptions {
    std::string host;             ///< DNS name or IP literal: connected to, sent as SNI (names), checked
    std::string connect_address;  ///< when set, TCP goes here while `host` stays what is checked
    std::uint16_t port = 8883;
    std::string ca_file;                          ///< PEM file of trusted CAs (tls::read_pem_certificates)
    const mbedtls_x509_crt* own_chain = nullptr;  ///< client certificate chain, leaf first
    mbedtls_pk_context* own_key = nullptr;        ///< e.g. from setup_chip_key
    /// The chip slot behind own_key: its chip signatures are counted in HandshakeInfo and its
    /// failures diagnosed as the chip's.
    std::optional<std::uint8_t> chip_slot;
    std::vector<std::string> alpn;
    std::uint32_t timeout_ms = 10000;  ///< TCP and handshake together, and each read
    TlsVersions versions = TlsVersions::tls12_and_13;
    bool session_tickets = true;  ///< TLS 1.2 tickets (else session ids); TLS 1.3 always uses tickets
};

/// A session to resume on the next connection. A TLS 1.3 server sends its ticket after the
/// handshake: the client stores it when a read meets it (Client::read), so read once before
/// closing a connection whose successor should resume.
class SessionCache {
public:
    SessionCache();
    ~SessionCache();
    SessionCache(const SessionCache&) = delete;
    SessionCache& operator=(const SessionCache&) = delete;
    bool valid() const noexcept { return m_valid; }
    void clear() noexcept;

private:
    friend class Client;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    bool m_valid = false;
};

class Client final : public tls::Stream {
public:
    Client();
    ~Client() override;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Connects and completes the handshake, offering the session of `cache` when valid and
    /// storing the new one (kept by the client for tickets that arrive later). On failure
    /// diagnosis() says why; errors: invalid_argument (CA file, TLS set-up), communication_failure
    /// (no TCP connection), timeout, not_permitted (the handshake failed).
    Result<tls::HandshakeInfo> connect(const ClientOptions& options, SessionCache* cache = nullptr);
    const tls::Diagnosis& diagnosis() const noexcept { return m_diagnosis; }

    Status write(Bytes data) override;
    Result<std::size_t> read(MutableBytes out, std::uint32_t wait_ms) override;
    void close() noexcept override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    tls::Diagnosis m_diagnosis;
};

}  // namespace sebind::tls_mbedtls3
