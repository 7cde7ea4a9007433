// SPDX-License-Identifier: Apache-2.0
// PEM/DER helpers on mbedTLS for the interop tests.
#include "pem.hpp"

#include <stdexcept>

#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>

#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/mbedtls_util/curves.hpp"

namespace sebind::test {

std::string certificate_pem(const std::vector<unsigned char>& der) {
    std::string pem;
    if (mbedtls_util::certificate_pem(der, pem) != 0) throw std::runtime_error("PEM encoding failed");
    return pem;
}

std::string public_key_pem(const stsafe::PublicKey& key) {
    std::string pem;
    if (mbedtls_util::public_key_pem(key, pem) != 0) throw std::runtime_error("public key PEM encoding failed");
    return pem;
}

std::vector<unsigned char> signature_der(const stsafe::Signature& sig) {
    unsigned char buf[MBEDTLS_ECDSA_MAX_LEN];
    std::size_t len = 0;
    if (mbedtls_util::write_der_signature(sig.r.view(), sig.s.view(), buf, &len) != 0)
        throw std::runtime_error("signature DER encoding failed");
    return {buf, buf + len};
}

std::vector<unsigned char> hash(const std::string& algorithm, const std::string& message) {
    const mbedtls_md_info_t* md = mbedtls_md_info_from_string(algorithm.c_str());
    if (!md) throw std::runtime_error("unknown hash " + algorithm);
    std::vector<unsigned char> out(mbedtls_md_get_size(md));
    mbedtls_md(md, reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data());
    return out;
}

}  // namespace sebind::test
