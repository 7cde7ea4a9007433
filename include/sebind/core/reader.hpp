// SPDX-License-Identifier: Apache-2.0
// ByteReader: bounds-checked cursor over untrusted bytes. Every read either succeeds completely
// or marks the reader failed; nothing is read past the end.
#pragma once

#include <cstdint>

#include "sebind/core/bytes.hpp"

namespace sebind {

class ByteReader {
public:
    explicit ByteReader(Bytes data) noexcept : m_data(data) {}

    bool u8(std::uint8_t& out) noexcept;
    bool be16(std::uint16_t& out) noexcept;
    bool be24(std::uint32_t& out) noexcept;
    bool be32(std::uint32_t& out) noexcept;
    /// Next `n` bytes as a view into the input.
    bool take(std::size_t n, Bytes& out) noexcept;
    /// A big-endian 2-byte length followed by that many bytes.
    bool len16_bytes(Bytes& out) noexcept;

    std::size_t remaining() const noexcept { return m_failed ? 0 : m_data.size() - m_pos; }
    bool at_end() const noexcept { return !m_failed && m_pos == m_data.size(); }
    bool failed() const noexcept { return m_failed; }

private:
    bool need(std::size_t n) noexcept;
    Bytes m_data;
    std::size_t m_pos = 0;
    bool m_failed = false;
};

}  // namespace sebind
