// SPDX-License-Identifier: Apache-2.0
// The TLS bytes `sebind doctor` writes and reads itself: a ClientHello (TLS 1.2, or TLS 1.3 with
// an empty key_share so that the server answers with a HelloRetryRequest naming its group), and a
// bounded parser of the server's plaintext first flight — ServerHello / HelloRetryRequest,
// Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone — or its alert (RFC 5246
// §7.4, RFC 8446 §4.1-4.2, RFC 8422 §5.4). No cryptography: the probe never finishes a handshake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sebind/core/bytes.hpp"

namespace sebind::doctor {

inline constexpr std::uint16_t kTls12 = 0x0303;
inline constexpr std::uint16_t kTls13 = 0x0304;

/// What a ClientHello offers.
struct HelloOffer {
    bool tls13 = false;                 ///< offer TLS 1.3 only (supported_versions), else TLS 1.2 only
    std::string server_name;            ///< SNI; none for an IP literal or an empty name
    std::vector<std::uint16_t> suites;  ///< cipher suite code points
    std::vector<std::uint16_t> groups;  ///< supported_groups
    std::vector<std::uint16_t> signature_algorithms;
};

/// The ClientHello record for `offer`; `random` is its 32 random bytes.
std::vector<std::uint8_t> client_hello(const HelloOffer& offer, const std::uint8_t (&random)[32]);

/// What the server's first flight said, as far as it is plaintext.
struct ServerFlight {
    bool server_hello = false;                            ///< a ServerHello (or HelloRetryRequest) was read
    bool hello_retry = false;                             ///< it was a HelloRetryRequest (TLS 1.3)
    std::uint16_t version = 0;                            ///< negotiated: supported_versions, else legacy_version
    std::uint16_t suite = 0;                              ///< the chosen cipher suite
    std::uint16_t group = 0;                              ///< ECDHE group: key_share (1.3) or ServerKeyExchange (1.2)
    std::vector<std::vector<std::uint8_t>> certificates;  ///< the server's chain, leaf first (DER; TLS 1.2)
    std::uint16_t server_signature = 0;                   ///< the ServerKeyExchange's signature algorithm (TLS 1.2)
    bool certificate_request = false;                     ///< the server asks for a client certificate
    std::vector<std::uint8_t> certificate_types;
    std::vector<std::uint16_t> client_signature_algorithms;  ///< CertificateRequest's list
    std::vector<std::vector<std::uint8_t>> ca_names;         ///< CertificateRequest's DER names
    bool done = false;                                       ///< ServerHelloDone (TLS 1.2): the flight is complete
    bool encrypted = false;                                  ///< TLS 1.3 ServerHello: the rest is encrypted
    std::optional<std::uint8_t> alert;                       ///< the alert description, when the server sent one
};

enum class ParseState : std::uint8_t {
    need_more,  ///< the bytes so far are a valid beginning; read more
    complete,   ///< the flight (or an alert) is whole: nothing more to read
    malformed,  ///< not a TLS server's answer, or a length that lies
};

struct ParseResult {
    ParseState state = ParseState::need_more;
    std::string error;  ///< what was malformed
};

/// The most bytes of a server flight the parser accepts (records of up to 16 KiB plus expansion;
/// a certificate chain of a few certificates fits many times over).
inline constexpr std::size_t kMaxFlightBytes = 128 * 1024;
/// The most certificates, and CA names, kept from one message.
inline constexpr std::size_t kMaxListEntries = 32;

/// Parses everything the server sent so far (from its first byte) into `flight`. Bounded: reads
/// nothing outside `bytes`, and input over kMaxFlightBytes is malformed.
ParseResult parse_server_flight(Bytes bytes, ServerFlight& flight);

enum class KeyExchange : std::uint8_t { ecdhe_ecdsa, ecdhe_rsa, tls13 };
enum class Cipher : std::uint8_t { aes_gcm, aes_ccm, aes_ccm8, chachapoly, aes_cbc };
enum class Hash : std::uint8_t { sha1, sha256, sha384 };

/// A cipher suite a device could offer: ECDHE only (no static RSA: no forward secrecy).
struct SuiteInfo {
    std::uint16_t id;
    const char* name;  ///< OpenSSL's name
    KeyExchange kx;
    Cipher cipher;
    Hash hash;  ///< the PRF / transcript hash (and the HMAC of CBC suites, SHA-1 for the *-SHA ones)
};
/// Every suite the probe offers, TLS 1.2 ones (tls13 false) or TLS 1.3 ones.
std::vector<SuiteInfo> device_suites(bool tls13);
const SuiteInfo* suite_info(std::uint16_t id);

/// A named group a device could offer, and in which TLS versions it has this code point.
struct GroupInfo {
    std::uint16_t id;
    const char* name;
    bool tls12;
    bool tls13;
};
std::vector<GroupInfo> device_groups(bool tls13);
/// The signature algorithms the probe offers (ECDSA and RSA, SHA-256/384/512).
std::vector<std::uint16_t> device_signature_algorithms();

/// Names for reports: "ECDHE-ECDSA-AES256-GCM-SHA384" (OpenSSL's names), "P-384",
/// "ecdsa_secp384r1_sha384"; "0x..." for a code point without a name here.
std::string suite_name(std::uint16_t suite);
std::string group_name(std::uint16_t group);
std::string signature_name(std::uint16_t scheme);
std::string version_name(std::uint16_t version);

}  // namespace sebind::doctor
