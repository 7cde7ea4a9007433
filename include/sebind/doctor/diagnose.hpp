// SPDX-License-Identifier: Apache-2.0
// `sebind doctor`'s verdict: what the server offers and demands (probe.hpp), what the chip's slot
// holds, and what an Mbed TLS configuration enables (mbedtls_config.hpp), set side by side. Each
// gap that blocks a handshake is one line naming its cause and the macro or option that closes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sebind/doctor/mbedtls_config.hpp"
#include "sebind/doctor/probe.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::doctor {

/// The server's certificate chain as the TLS 1.2 probe received it.
struct ServerCertificate {
    bool present = false;  ///< the server sent a chain (TLS 1.2; TLS 1.3 encrypts it)
    std::string subject;   ///< the leaf's subject and issuer, as mbedTLS prints them
    std::string issuer;
    std::string key;              ///< "EC P-256", "RSA-2048", ...
    std::uint16_t key_group = 0;  ///< the leaf's curve as a TLS group code point, 0 for RSA
    bool rsa = false;
    bool signed_sha384 = false;  ///< a certificate of the chain is signed with SHA-384
    bool verifies = false;       ///< the chain verifies against the CA file
    std::string verify_error;    ///< why not (mbedTLS's words)
    bool names_host = false;     ///< certificate_names_host(leaf, host)
};

/// Reads and verifies the chain against the CAs of `ca_file` and `host` (the one host-name rule,
/// include/sebind/tls/host_name.hpp). false: `diagnosis` says why the CA file is unusable.
bool inspect_server_certificate(const std::vector<std::vector<std::uint8_t>>& chain, const std::string& ca_file,
                                const std::string& host, ServerCertificate& out, tls::Diagnosis& diagnosis);

/// What a key slot of the chip holds.
struct ChipSlot {
    bool inspected = false;  ///< a chip was given (--se)
    std::uint8_t slot = 1;
    std::uint8_t zone = 4;
    std::optional<stsafe::Curve> curve;  ///< the key's curve; nullopt for an empty slot
    bool has_certificate = false;
    std::string subject;  ///< the certificate's subject and issuer
    std::string issuer;
    std::vector<std::uint8_t> issuer_der;  ///< the issuer name as DER, compared with CA names
    bool pairs = false;                    ///< the chip proved the key and certificate pair
    std::string problem;                   ///< why the slot cannot be used, when it cannot
};

/// Reads slot `slot`'s curve (the chip's key table), the certificate in `zone` and proves the
/// pair with a chip signature. Failures of the chip itself come back as a Status.
Status inspect_chip(stsafe::Device& device, std::uint8_t slot, std::uint8_t zone, ChipSlot& out);

struct Finding {
    enum class Level : std::uint8_t { gap, warning };
    Level level = Level::gap;
    std::string code;  ///< stable short name for --json ("suite", "group", "tls_version", "slot_curve", ...)
    std::string text;  ///< one line: the cause and what closes it
};

/// The gaps and warnings. A server that does not ask for a client certificate is a warning: the
/// handshake succeeds, but the device's identity is not proven in TLS.
std::vector<Finding> diagnose(const ServerProbe& server, const ServerCertificate& certificate, const ChipSlot& chip,
                              const MbedtlsConfig& config, const std::string& ca_file, const std::string& host);

/// A DER distinguished name as text ("CN=x, O=y"); "" when it does not parse.
std::string dn_text(const std::vector<std::uint8_t>& der);

/// The configuration's name for a curve of the chip ("MBEDTLS_ECP_DP_SECP384R1_ENABLED").
const char* curve_macro(stsafe::Curve curve);

}  // namespace sebind::doctor
