// SPDX-License-Identifier: Apache-2.0
// Device identity on the chip: on-chip keys, CSRs signed by the chip, certificates in data zones,
// and the pairing check. Curve and size always come from the chip, never from the caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sebind/core/result.hpp"
#include "sebind/identity/zone_record.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::identity {

/// The zone that holds a slot's certificate by default: zone 0 (factory, read-only) for slot 0,
/// zone 4 (the largest user zone) for slot 1.
std::uint8_t default_zone(std::uint8_t slot) noexcept;

struct KeygenOptions {
    std::uint8_t slot = stsafe::kSlotUser;
    stsafe::Curve curve = stsafe::Curve::p256;
    std::uint16_t usage_limit = 0xFFFF;
    std::uint8_t zone = 4;  ///< where the public key is recorded
    bool force = false;     ///< replace an existing key (its certificate is dropped)
};
/// Generates the key on the chip, reads its curve back (Query), records its public key in the
/// zone (the power-safe record of zone_record.hpp, without certificate: the A110 has no command
/// to read a public key later) and returns the public key. Errors: already_exists (slot has a key
/// and !force; with force the old key and the zone's certificate are replaced), not_permitted
/// (the zone's update AC is not passable by this host — checked before Generate Key),
/// does_not_exist / invalid_argument (no such zone / a counter zone), device errors.
Result<stsafe::PublicKey> keygen(stsafe::Device& device, const KeygenOptions& options);

/// The public key of a slot: from its identity record (or, for the factory layout, from the
/// certificate in the zone). Errors: does_not_exist (nothing recorded), corrupted_data.
Result<stsafe::PublicKey> slot_public_key(stsafe::Device& device, std::uint8_t slot, std::uint8_t zone);

/// PKCS#10 request in PEM, signed by the chip through mbedtls_util::setup_se_key (SHA-256 for 256-bit
/// curves, SHA-384 for 384-bit ones). `subject` is an X.509 name string ("CN=device-001,O=Acme",
/// or OpenSSL's "/CN=device-001/O=Acme"); `alt_names` become a subjectAltName extension: "DNS:name"
/// (dNSName; a bare name too) or "IP:192.0.2.7" / "IP:2001:db8::7" (iPAddress), prefixes in either
/// case. The public key is the slot's record in `zone`.
/// Errors: does_not_exist (no key recorded for the slot), invalid_argument (subject, a DNS name
/// or an IP address malformed, or a subject `check_subject` refuses), buffer_too_small (the
/// request would be larger than kMaxCsrPemSize, e.g. hundreds of names), invalid_signature (the chip's signature does not verify with the recorded public
/// key: the slot's key changed after the record was written, e.g. an interrupted keygen — run
/// keygen again), device errors (the chip refused or failed to sign).
inline constexpr std::size_t kMaxCsrPemSize = 4096;  ///< the largest request make_csr writes (PEM, bytes)
Result<std::string> make_csr(stsafe::Device& device, std::uint8_t slot, std::uint8_t zone, const std::string& subject,
                             const std::vector<std::string>& alt_names);

/// OpenSSL's "/CN=x/O=y" subject form (`openssl req -subj`) as the "CN=x,O=y" form the other
/// functions take: RDNs in the same order, "\\/" a literal slash, a ',' in a value escaped. Any
/// other text is returned unchanged.
std::string x509_name_text(const std::string& subject);

/// The subject rules `make_csr` and `sign_csr` share: exactly one non-empty CN (the broker's MQTT
/// username and the devices/<CN>/ topic level) without '/', '+' or '#', and no control character
/// in any value. Errors: invalid_argument (not a name such as "CN=device-001,O=Acme"),
/// not_supported (a rule above); `detail` gets a one-line cause.
Status check_subject(const std::string& subject, std::string* detail = nullptr);

/// Pairing check: a chip-generated random challenge signed by the chip and verified with the
/// certificate's public key. ok = the key pairs; invalid_signature = mismatch; invalid_argument
/// = the certificate's key cannot be the slot's: another curve, or not an EC key at all (RSA;
/// certificate_key_name says which); other errors = the chip failed.
Status verify_pair(stsafe::Device& device, std::uint8_t slot, Bytes certificate_der);

/// A certificate's public key as messages name it: "an EC P-256 key", "an RSA-2048 key", "an
/// Ed25519 key"..., or "an unreadable key".
std::string certificate_key_name(Bytes certificate_der);

struct StoreOptions {
    std::uint8_t zone = 4;
    std::uint8_t slot = stsafe::kSlotUser;
    bool force = false;  ///< store an expired / not yet valid certificate
};
struct StoreReport {
    std::string subject;
    std::size_t chain_rest = 0;  ///< certificates after the leaf in the input (not stored)
    bool outside_validity = false;
    std::uint32_t generation = 0;
};
/// Stores the leaf of `input` (PEM or DER, a chain allowed) for `slot` in `zone`, power-safely.
/// Nothing is written unless the input parses (invalid_argument), the slot has a key
/// (does_not_exist), the curves agree (invalid_argument), the key pairs (invalid_signature), the
/// certificate is valid now or force (expired), it fits the zone's copy area (out_of_range) and
/// the zone's update AC is passable by this host (not_permitted, no device status). The record
/// is written in chunks within the frame limit, read back and compared (integrity_failure), then
/// committed with one atomic header Update. `error_detail` gets a one-line cause for the user.
Result<StoreReport> store_certificate(stsafe::Device& device, Bytes input, const StoreOptions& options,
                                      std::string* error_detail = nullptr);

/// The certificate (DER) in a zone: an identity record, or the factory layout (plain DER at
/// offset 0, §6.3). Errors: does_not_exist (no certificate), corrupted_data, device errors.
struct StoredCertificate {
    std::vector<std::uint8_t> der;
    bool factory_layout = false;
    std::uint32_t generation = 0;
};
Result<StoredCertificate> read_certificate(stsafe::Device& device, std::uint8_t zone);

}  // namespace sebind::identity
