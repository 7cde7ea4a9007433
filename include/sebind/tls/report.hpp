// SPDX-License-Identifier: Apache-2.0
// What a TLS handshake reports, whichever stack (mbedTLS, wolfSSL) made it: the negotiated
// parameters on success, and on failure a diagnosis a device engineer can act on. Part of
// sebind::tls, the stack-neutral target both TLS stacks link (libs/tls/report.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sebind::tls {

/// What failed, in terms a device engineer can act on.
enum class Failure : std::uint8_t {
    none,
    not_listening,  ///< TCP connect refused or unreachable
    unknown_host,
    timeout,
    untrusted_server,  ///< server certificate not issued by the configured CA
    hostname_mismatch,
    server_cert_expired,
    rsa_key_exchange_only,  ///< the server offers only static RSA key exchange (no ECDHE: no forward secrecy)
    no_shared_cipher,       ///< the server wants suites this client does not offer
    no_common_version,      ///< the server refused every TLS version offered (alert protocol_version)
    client_cert_rejected,   ///< the server refused our certificate (CA, or key/cert mismatch)
    chip_error,             ///< the secure element failed while signing
    protocol_error,
    not_supported,   ///< asked for something this stack or build cannot do (e.g. TLS 1.3 on mbedTLS 2.28)
    file_not_found,  ///< a file of certificates given to the client (CA, chain) does not exist
    file_invalid,    ///< ... is a directory, unreadable, too large, not PEM, or holds no usable certificate
};

constexpr const char* to_string(Failure f) noexcept {
    switch (f) {
        case Failure::none: return "none";
        case Failure::not_listening: return "not_listening";
        case Failure::unknown_host: return "unknown_host";
        case Failure::timeout: return "timeout";
        case Failure::untrusted_server: return "untrusted_server";
        case Failure::hostname_mismatch: return "hostname_mismatch";
        case Failure::server_cert_expired: return "server_cert_expired";
        case Failure::rsa_key_exchange_only: return "rsa_key_exchange_only";
        case Failure::no_shared_cipher: return "no_shared_cipher";
        case Failure::no_common_version: return "no_common_version";
        case Failure::client_cert_rejected: return "client_cert_rejected";
        case Failure::chip_error: return "chip_error";
        case Failure::protocol_error: return "protocol_error";
        case Failure::not_supported: return "not_supported";
        case Failure::file_not_found: return "file_not_found";
        case Failure::file_invalid: return "file_invalid";
    }
    return "unknown";
}

struct Diagnosis {
    Failure failure = Failure::none;
    std::string cause;               ///< one line: what happened
    std::string fix;                 ///< one line: what to change
    int stack_error = 0;             ///< the TLS library's own error code (mbedTLS or wolfSSL)
    std::uint32_t verify_flags = 0;  ///< mbedTLS certificate verification flags, when known
    std::uint8_t alert = 0;          ///< TLS alert received, if any
};

void set_diagnosis(Diagnosis& d, Failure f, std::string cause, std::string fix);

/// The name of a TLS alert (RFC 8446 §6, RFC 5246 §7.2), or "alert <n>".
std::string alert_name(std::uint8_t code);

/// The diagnoses both stacks give in the same words: `sebind connect` prints them and its
/// tests expect them whichever stack made the handshake. `where` is "host:port".
namespace diagnoses {

void refused(Diagnosis& d, const std::string& where);

/// `status` is the chip driver's error, as text.
void chip_failed_signing(Diagnosis& d, const char* status);

void server_cert_expired(Diagnosis& d, const std::string& not_after);

void server_cert_not_yet_valid(Diagnosis& d, const std::string& not_before);

/// `issuer` empty: not known, left out.
void untrusted_server(Diagnosis& d, const std::string& issuer, const std::string& ca_file);

/// `alert` empty: the server closed without one.
void client_cert_rejected(Diagnosis& d, const std::string& alert);

/// True when a server that ends the handshake after our certificate (with `alert`, 0: none, or
/// illegal_parameter) most likely refuses the curve of our key, `key_curve` ("brainpoolP256r1"):
/// OpenSSL-based brokers (mosquitto) accept client keys only on the groups they allow, which by
/// default are not the brainpool curves, and answer illegal_parameter ("wrong curve").
inline bool curve_refused(const std::string& key_curve, std::uint8_t alert) {
    return key_curve.rfind("brainpool", 0) == 0 && (alert == 0 || alert == 47);
}

/// The server refused our certificate because of its key's curve (see curve_refused).
inline void client_curve_refused(Diagnosis& d, const std::string& key_curve, const std::string& alert) {
    set_diagnosis(d, Failure::client_cert_rejected,
                  "the server does not accept our key's curve " + key_curve +
                      (alert.empty() ? std::string() : " (alert " + alert + ")") +
                      ": OpenSSL-based brokers such as mosquitto take client keys on P-256 and P-384 only",
                  "generate the device key on P-256 or P-384 (`sebind keygen --slot 1 --curve p256 --force`, then a "
                  "new CSR and certificate), or allow the curve on the broker");
}

/// The server chose `chosen`, a static RSA suite, when allowed every suite: it has no ECDHE.
void rsa_key_exchange_only(Diagnosis& d, const std::string& chosen);

/// The server ended the handshake with no_application_protocol: none of `offered` is its.
void alpn_refused(Diagnosis& d, const std::vector<std::string>& offered);

/// `chosen` null or empty: the server accepted none of ours. `fix` names what to allow.
void no_shared_cipher(Diagnosis& d, const char* chosen, std::string fix);

/// no_shared_cipher with the fix every client of this project gives: allow one of the ECDHE
/// AES-GCM suites they all offer, or TLS 1.3 when the client speaks it (`tls13_possible`).
void no_shared_ecdhe_suite(Diagnosis& d, const char* chosen, bool tls13_possible);

/// The TLS versions a client offered, for no_common_version.
enum class Offered : std::uint8_t { tls12, tls13, tls12_and_13 };

/// The server answered the ClientHello with alert protocol_version: none of the offered versions
/// is one it accepts. This client offers nothing below TLS 1.2, so a server refusing TLS 1.2 wants
/// TLS 1.3, and one refusing TLS 1.3 wants TLS 1.2.
void no_common_version(Diagnosis& d, Offered offered);

}  // namespace diagnoses

struct HandshakeInfo {
    std::string stack;    ///< "mbedtls 2.28.3", "wolfssl 5.5.4"
    std::string version;  ///< "TLSv1.2", "TLSv1.3"
    std::string ciphersuite;
    std::string group;  ///< ECDHE group, when the stack reports it
    std::string alpn;   ///< the application protocol the server selected (ALPN); empty: none
    std::string server_subject, server_issuer, server_not_after;
    bool resumed = false;
    std::uint32_t chip_signatures = 0;          ///< SE signatures during this handshake
    std::uint32_t chip_key_establishments = 0;  ///< ECDHE on the SE during this handshake (chip_ecdhe)
    std::uint32_t tcp_ms = 0, handshake_ms = 0;
};

}  // namespace sebind::tls
