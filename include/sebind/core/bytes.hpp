// SPDX-License-Identifier: Apache-2.0
// Byte spans, fixed-capacity byte buffers and big-endian helpers (no heap).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "sebind/core/contract.hpp"

namespace sebind {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

/// A byte array with a run-time length no larger than N; lives on the stack or in a member.
template <std::size_t N>
class ByteBuffer {
public:
    constexpr ByteBuffer() = default;
    explicit ByteBuffer(Bytes data) { assign(data); }

    static constexpr std::size_t capacity() noexcept { return N; }
    std::size_t size() const noexcept { return m_size; }
    bool empty() const noexcept { return m_size == 0; }
    std::uint8_t* data() noexcept { return m_data.data(); }
    const std::uint8_t* data() const noexcept { return m_data.data(); }
    std::uint8_t& operator[](std::size_t i) {
        SEBIND_EXPECTS(i < m_size);
        return m_data[i];
    }
    const std::uint8_t& operator[](std::size_t i) const {
        SEBIND_EXPECTS(i < m_size);
        return m_data[i];
    }
    Bytes view() const noexcept { return {m_data.data(), m_size}; }
    operator Bytes() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)
    const std::uint8_t* begin() const noexcept { return m_data.data(); }
    const std::uint8_t* end() const noexcept { return m_data.data() + m_size; }

    void clear() noexcept { m_size = 0; }
    void resize(std::size_t n) {
        SEBIND_EXPECTS(n <= N);
        m_size = n;
    }
    void assign(Bytes data) {
        SEBIND_EXPECTS(data.size() <= N);
        if (!data.empty()) std::memcpy(m_data.data(), data.data(), data.size());
        m_size = data.size();
    }
    /// Appends; returns false (and changes nothing) when it would overflow.
    [[nodiscard]] bool append(Bytes data) noexcept {
        if (data.size() > N - m_size) return false;
        if (!data.empty()) std::memcpy(m_data.data() + m_size, data.data(), data.size());
        m_size += data.size();
        return true;
    }
    [[nodiscard]] bool push_back(std::uint8_t b) noexcept {
        if (m_size == N) return false;
        m_data[m_size++] = b;
        return true;
    }
    friend bool operator==(const ByteBuffer& a, const ByteBuffer& b) noexcept {
        return a.m_size == b.m_size && std::memcmp(a.m_data.data(), b.m_data.data(), a.m_size) == 0;
    }

private:
    std::array<std::uint8_t, N> m_data{};
    std::size_t m_size = 0;
};

inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be24(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}
inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be24(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 16);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p[2] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

/// Overwrites secrets in a way the optimiser keeps.
void secure_zero(void* p, std::size_t n) noexcept;

/// Constant-time comparison of two equal-length spans (false when the lengths differ).
bool constant_time_equal(Bytes a, Bytes b) noexcept;

}  // namespace sebind
