// SPDX-License-Identifier: Apache-2.0
// Secret wiping, constant-time compare and the bounds-checked reader.
#include "sebind/core/bytes.hpp"
#include "sebind/core/reader.hpp"

namespace sebind {

void secure_zero(void* p, std::size_t n) noexcept {
    // A volatile pointer keeps the compiler from dropping stores to memory about to be freed.
    volatile std::uint8_t* v = static_cast<volatile std::uint8_t*>(p);
    while (n--) *v++ = 0;
}

bool constant_time_equal(Bytes a, Bytes b) noexcept {
    if (a.size() != b.size()) return false;
    std::uint8_t diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
    return diff == 0;
}

bool ByteReader::need(std::size_t n) noexcept {
    if (m_failed || n > m_data.size() - m_pos) {
        m_failed = true;
        return false;
    }
    return true;
}

bool ByteReader::u8(std::uint8_t& out) noexcept {
    if (!need(1)) return false;
    out = m_data[m_pos++];
    return true;
}

bool ByteReader::be16(std::uint16_t& out) noexcept {
    if (!need(2)) return false;
    out = load_be16(m_data.data() + m_pos);
    m_pos += 2;
    return true;
}

bool ByteReader::be24(std::uint32_t& out) noexcept {
    if (!need(3)) return false;
    out = load_be24(m_data.data() + m_pos);
    m_pos += 3;
    return true;
}

bool ByteReader::be32(std::uint32_t& out) noexcept {
    if (!need(4)) return false;
    out = load_be32(m_data.data() + m_pos);
    m_pos += 4;
    return true;
}

bool ByteReader::take(std::size_t n, Bytes& out) noexcept {
    if (!need(n)) return false;
    out = m_data.subspan(m_pos, n);
    m_pos += n;
    return true;
}

bool ByteReader::len16_bytes(Bytes& out) noexcept {
    std::uint16_t n = 0;
    return be16(n) && take(n, out);
}

}  // namespace sebind
