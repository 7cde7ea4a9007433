// SPDX-License-Identifier: Apache-2.0
// What a TLS handshake reports, whichever stack (mbedTLS, wolfSSL) made it: the negotiated
// parameters on success, and on failure a diagnosis a device engineer can act on.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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

inline void set_diagnosis(Diagnosis& d, Failure f, std::string cause, std::string fix) {
    d.failure = f;
    d.cause = std::move(cause);
    d.fix = std::move(fix);
}

/// The name of a TLS alert (RFC 8446 §6, RFC 5246 §7.2), or "alert <n>".
inline std::string alert_name(std::uint8_t code) {
    switch (code) {
        case 0: return "close_notify";
        case 10: return "unexpected_message";
        case 20: return "bad_record_mac";
        case 40: return "handshake_failure";
        case 42: return "bad_certificate";
        case 43: return "unsupported_certificate";
        case 44: return "certificate_revoked";
        case 45: return "certificate_expired";
        case 46: return "certificate_unknown";
        case 47: return "illegal_parameter";
        case 48: return "unknown_ca";
        case 49: return "access_denied";
        case 50: return "decode_error";
        case 51: return "decrypt_error";
        case 70: return "protocol_version";
        case 71: return "insufficient_security";
        case 80: return "internal_error";
        case 86: return "inappropriate_fallback";
        case 90: return "user_canceled";
        case 109: return "missing_extension";
        case 110: return "unsupported_extension";
        case 112: return "unrecognized_name";
        case 116: return "certificate_required";
        case 120: return "no_application_protocol";
        default: return "alert " + std::to_string(code);
    }
}

/// The diagnoses both stacks give in the same words: `sebind connect` prints them and its
/// tests expect them whichever stack made the handshake. `where` is "host:port".
namespace diagnoses {

inline void refused(Diagnosis& d, const std::string& where) {
    set_diagnosis(d, Failure::not_listening, "nothing accepts connections on " + where,
                  "start the broker, or check --host and --port");
}

/// `status` is the chip driver's error, as text.
inline void chip_failed_signing(Diagnosis& d, const char* status) {
    set_diagnosis(d, Failure::chip_error, std::string("the secure element failed while signing (") + status + ")",
                  "check the chip with `sebind info`; a busy chip needs a longer timeout, a faulty one a power cycle");
}

inline void server_cert_expired(Diagnosis& d, const std::string& not_after) {
    set_diagnosis(d, Failure::server_cert_expired,
                  "the server's certificate is outside its validity (until " + not_after + ")",
                  "renew the broker's certificate (or check the device clock)");
}

inline void server_cert_not_yet_valid(Diagnosis& d, const std::string& not_before) {
    set_diagnosis(d, Failure::server_cert_expired, "the server's certificate is not valid before " + not_before,
                  "check the device clock (or the broker's certificate)");
}

/// `issuer` empty: not known, left out.
inline void untrusted_server(Diagnosis& d, const std::string& issuer, const std::string& ca_file) {
    set_diagnosis(d, Failure::untrusted_server,
                  "the server's certificate" + (issuer.empty() ? std::string() : " (issuer " + issuer + ")") +
                      " is not signed by the CA in " + ca_file,
                  "pass the CA that issued the broker's certificate with --ca");
}

/// `alert` empty: the server closed without one.
inline void client_cert_rejected(Diagnosis& d, const std::string& alert) {
    set_diagnosis(d, Failure::client_cert_rejected,
                  "the server rejected our certificate" + (alert.empty() ? std::string() : " (alert " + alert + ")"),
                  "run `sebind verify-pair`, and check the broker trusts the CA that issued the device certificate "
                  "(one issued by an intermediate needs its chain: --chain, or chain_file in device.toml)");
}

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
inline void rsa_key_exchange_only(Diagnosis& d, const std::string& chosen) {
    set_diagnosis(d, Failure::rsa_key_exchange_only,
                  "the server offers only RSA key exchange without forward secrecy (it chose " + chosen + ")",
                  "allow an ECDHE suite on the broker (e.g. ECDHE-RSA-AES128-GCM-SHA256 with its RSA certificate)");
}

/// The server ended the handshake with no_application_protocol: none of `offered` is its.
inline void alpn_refused(Diagnosis& d, const std::vector<std::string>& offered) {
    std::string list;
    for (const auto& p : offered) list += (list.empty() ? "" : ", ") + p;
    set_diagnosis(d, Failure::protocol_error, "the server accepts none of the offered ALPN protocols (" + list + ")",
                  "offer the protocol the broker expects with --alpn (device.toml: alpn), e.g. x-amzn-mqtt-ca for AWS "
                  "IoT on port 443");
}

/// `chosen` null or empty: the server accepted none of ours. `fix` names what to allow.
inline void no_shared_cipher(Diagnosis& d, const char* chosen, std::string fix) {
    const bool named = chosen != nullptr && *chosen != '\0';
    set_diagnosis(d, Failure::no_shared_cipher,
                  std::string("no cipher suite in common: the server ") +
                      (named ? std::string("chose ") + chosen : "accepted none of ours"),
                  std::move(fix));
}

/// The TLS versions a client offered, for no_common_version.
enum class Offered : std::uint8_t { tls12, tls13, tls12_and_13 };

/// The server answered the ClientHello with alert protocol_version: none of the offered versions
/// is one it accepts. This client offers nothing below TLS 1.2, so a server refusing TLS 1.2 wants
/// TLS 1.3, and one refusing TLS 1.3 wants TLS 1.2.
inline void no_common_version(Diagnosis& d, Offered offered) {
    switch (offered) {
        case Offered::tls12:
            set_diagnosis(
                d, Failure::no_common_version,
                "the server accepts only TLS 1.3; this client offered TLS 1.2 (alert protocol_version)",
                "use --stack wolfssl --tls 1.3 (mbedTLS 2.28 speaks TLS 1.2 only), or allow TLS 1.2 on the broker");
            return;
        case Offered::tls13:
            set_diagnosis(
                d, Failure::no_common_version,
                "the server does not accept TLS 1.3; this client offered only TLS 1.3 (alert protocol_version)",
                "leave out --tls 1.3 (or use --tls 1.2), or allow TLS 1.3 on the broker");
            return;
        case Offered::tls12_and_13:
            set_diagnosis(d, Failure::no_common_version,
                          "the server accepts neither TLS 1.2 nor TLS 1.3 (alert protocol_version)",
                          "allow TLS 1.2 or 1.3 on the broker");
            return;
    }
}

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
