// SPDX-License-Identifier: Apache-2.0
// Host secure channel (§7): subject blocks, C-MAC / R-MAC (AES-CMAC truncated to 4 bytes) and
// AES-CBC payload encryption with the IV derived from the sequence counter. mbedTLS does the AES.
#include "sebind/stsafe/secure_channel.hpp"

#include <cstring>

#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

#include "sebind/stsafe/protocol.hpp"

namespace sebind::stsafe {

HostKeys::~HostKeys() {
    secure_zero(mac_key.data(), mac_key.size());
    secure_zero(cipher_key.data(), cipher_key.size());
}

std::array<std::uint8_t, 16> subject_block(std::uint32_t n, Subject subject) noexcept {
    std::array<std::uint8_t, 16> block{};
    store_be24(block.data(), n);
    block[3] = static_cast<std::uint8_t>(subject);
    block[4] = 0x80;
    return block;
}

namespace {

/// AES-CMAC over the concatenation of `parts`, truncated to the leading 4 bytes (§7.3).
class Cmac {
public:
    explicit Cmac(const std::array<std::uint8_t, 16>& key) noexcept {
        mbedtls_cipher_init(&m_ctx);
        m_ok = mbedtls_cipher_setup(&m_ctx, mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB)) == 0 &&
               mbedtls_cipher_cmac_starts(&m_ctx, key.data(), 128) == 0;
    }
    ~Cmac() { mbedtls_cipher_free(&m_ctx); }
    Cmac(const Cmac&) = delete;
    Cmac& operator=(const Cmac&) = delete;

    void add(Bytes data) noexcept {
        if (m_ok && !data.empty()) m_ok = mbedtls_cipher_cmac_update(&m_ctx, data.data(), data.size()) == 0;
    }
    void add(std::uint8_t byte) noexcept { add(Bytes(&byte, 1)); }
    void add_len16(std::size_t n) noexcept {
        std::uint8_t len[2];
        store_be16(len, static_cast<std::uint16_t>(n));
        add(len);
    }
    Result<Mac> finish() noexcept {
        std::uint8_t full[16];
        if (!m_ok || mbedtls_cipher_cmac_finish(&m_ctx, full) != 0) return Errc::hardware_failure;
        Mac mac;
        std::memcpy(mac.data(), full, mac.size());
        return mac;
    }

private:
    mbedtls_cipher_context_t m_ctx;
    bool m_ok = false;
};

Status check_counter(std::uint32_t counter) noexcept {
    // R-MAC and encryption use C + 1, which must still fit the 24-bit counter.
    return counter >= kMaxSequenceCounter ? Status(Errc::out_of_range) : Status::success();
}

/// IV = AES-ECB(KC, subject block with C + 1) (§7.5).
Status derive_iv(mbedtls_aes_context& aes, std::uint32_t counter, Direction direction,
                 std::array<std::uint8_t, 16>& iv) noexcept {
    const auto block = subject_block(
        counter + 1, direction == Direction::command ? Subject::command_encryption : Subject::response_encryption);
    if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, block.data(), iv.data()) != 0)
        return Status(Errc::hardware_failure);
    return Status::success();
}

}  // namespace

Result<Mac> compute_cmac(const HostKeys& keys, std::uint32_t counter, std::uint8_t header_byte,
                         Bytes payload) noexcept {
    if (counter > kMaxSequenceCounter) return Errc::out_of_range;
    Cmac cmac(keys.mac_key);
    cmac.add(subject_block(counter, Subject::c_mac));
    cmac.add(std::uint8_t{0x00});
    cmac.add(header_byte);
    cmac.add_len16(payload.size());
    cmac.add(payload);
    return cmac.finish();
}

Result<Mac> compute_rmac(const HostKeys& keys, std::uint32_t counter, std::uint8_t header_byte, Bytes command_payload,
                         std::uint8_t status, Bytes response_payload) noexcept {
    SEBIND_TRY(check_counter(counter));
    Cmac cmac(keys.mac_key);
    cmac.add(subject_block(counter + 1, Subject::r_mac));
    cmac.add(std::uint8_t{0x80});
    cmac.add(header_byte);
    cmac.add_len16(command_payload.size());
    cmac.add(command_payload);
    cmac.add(status);
    cmac.add_len16(response_payload.size());
    cmac.add(response_payload);
    return cmac.finish();
}

Result<std::size_t> encrypt_payload(const HostKeys& keys, std::uint32_t counter, Direction direction, Bytes plaintext,
                                    MutableBytes out) noexcept {
    SEBIND_TRY(check_counter(counter));
    // ISO/IEC 9797-1 method 2: 0x80 then zeros to the next block boundary (always at least 1).
    const std::size_t padded = (plaintext.size() / 16 + 1) * 16;
    if (out.size() < padded) return Errc::buffer_too_small;
    if (!plaintext.empty()) std::memmove(out.data(), plaintext.data(), plaintext.size());
    out[plaintext.size()] = 0x80;
    std::memset(out.data() + plaintext.size() + 1, 0, padded - plaintext.size() - 1);

    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    std::array<std::uint8_t, 16> iv{};
    Status st = mbedtls_aes_setkey_enc(&aes, keys.cipher_key.data(), 128) == 0 ? derive_iv(aes, counter, direction, iv)
                                                                               : Status(Errc::hardware_failure);
    if (st.ok() && mbedtls_aes_crypt_cbc(&aes, MBEDTLS_AES_ENCRYPT, padded, iv.data(), out.data(), out.data()) != 0)
        st = Status(Errc::hardware_failure);
    mbedtls_aes_free(&aes);
    if (!st.ok()) return st;
    return padded;
}

Result<std::size_t> decrypt_payload(const HostKeys& keys, std::uint32_t counter, Direction direction, Bytes ciphertext,
                                    MutableBytes out) noexcept {
    SEBIND_TRY(check_counter(counter));
    if (ciphertext.empty() || ciphertext.size() % 16 != 0) return Errc::invalid_argument;
    if (out.size() < ciphertext.size()) return Errc::buffer_too_small;

    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    std::array<std::uint8_t, 16> iv{};
    Status st = mbedtls_aes_setkey_enc(&aes, keys.cipher_key.data(), 128) == 0 ? derive_iv(aes, counter, direction, iv)
                                                                               : Status(Errc::hardware_failure);
    if (st.ok() && mbedtls_aes_setkey_dec(&aes, keys.cipher_key.data(), 128) != 0) st = Status(Errc::hardware_failure);
    if (st.ok() && mbedtls_aes_crypt_cbc(&aes, MBEDTLS_AES_DECRYPT, ciphertext.size(), iv.data(), ciphertext.data(),
                                         out.data()) != 0)
        st = Status(Errc::hardware_failure);
    mbedtls_aes_free(&aes);
    if (!st.ok()) return st;

    // Strip trailing zeros, then exactly one 0x80. Up to 31 padding bytes are accepted because
    // the legacy middleware pads 15-mod-16 plaintexts with an extra zero block (§7.5).
    std::size_t n = ciphertext.size();
    std::size_t stripped = 0;
    while (n > 0 && out[n - 1] == 0x00 && stripped < 31) {
        --n;
        ++stripped;
    }
    if (n == 0 || out[n - 1] != 0x80) return Errc::integrity_failure;
    return n - 1;
}

}  // namespace sebind::stsafe
