// SPDX-License-Identifier: Apache-2.0
// DeviceIdentity: the agent's TLS identity, checked once at start: the certificate read from its
// zone, the pairing with the chip's slot key proven by a chip signature, and the key bound to
// mbedTLS for every later handshake.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "sebind/core/result.hpp"
#include "sebind/stsafe/device.hpp"

namespace sebind::agent {

class DeviceIdentity {
public:
    /// Reads the certificate in `zone`, checks that `slot`'s key pairs with it (identity::verify_pair)
    /// and binds the key. `device` must outlive the identity. `detail` gets one line with the
    /// cause and the fix. Errors: does_not_exist (no certificate / empty slot), corrupted_data
    /// (the certificate does not parse), invalid_argument (no CN, or the certificate is on
    /// another curve than the slot), invalid_signature (the key is not the certificate's),
    /// device errors.
    static Result<std::unique_ptr<DeviceIdentity>> load(stsafe::Device& device, std::uint8_t slot, std::uint8_t zone,
                                                        std::string* detail);
    ~DeviceIdentity();
    DeviceIdentity(const DeviceIdentity&) = delete;
    DeviceIdentity& operator=(const DeviceIdentity&) = delete;

    const std::string& common_name() const noexcept { return m_cn; }
    const std::string& subject() const noexcept { return m_subject; }
    const std::string& issuer() const noexcept { return m_issuer; }
    const std::string& not_after() const noexcept { return m_not_after; }
    /// True when the certificate is outside its validity period by this machine's clock.
    bool outside_validity() const noexcept { return m_outside_validity; }
    /// Appends the intermediate CA(s) of the PEM file `path` to the chain (tls_mbedtls::append_chain_file).
    /// Errors: does_not_exist (no such file), invalid_argument (unusable); `detail` gets the line.
    Status add_chain_file(const std::string& path, std::string* detail);
    /// The device certificate, then the intermediates of add_chain_file.
    const mbedtls_x509_crt* chain() const noexcept { return &m_chain; }
    mbedtls_pk_context* key() noexcept { return &m_key; }

private:
    DeviceIdentity();
    mbedtls_x509_crt m_chain;
    mbedtls_pk_context m_key;
    std::string m_cn, m_subject, m_issuer, m_not_after;
    bool m_outside_validity = false;
};

}  // namespace sebind::agent
