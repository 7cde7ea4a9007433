// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or a Status, for functions that produce something (expected-style).
#pragma once

#include <optional>
#include <utility>

#include "sebind/core/contract.hpp"
#include "sebind/core/status.hpp"

namespace sebind {

template <class T>
class [[nodiscard]] Result {
public:
    // NOLINTBEGIN(google-explicit-constructor): implicit on purpose, like std::expected.
    Result(T value) : m_value(std::move(value)) {}
    Result(Status status) : m_status(status) { SEBIND_EXPECTS(!status.ok()); }
    Result(Errc code) : m_status(code) { SEBIND_EXPECTS(code != Errc::ok); }
    // NOLINTEND(google-explicit-constructor)

    bool ok() const noexcept { return m_value.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    Status status() const noexcept { return m_status; }

    T& value() & {
        SEBIND_EXPECTS(ok());
        return *m_value;
    }
    const T& value() const& {
        SEBIND_EXPECTS(ok());
        return *m_value;
    }
    T&& value() && {
        SEBIND_EXPECTS(ok());
        return std::move(*m_value);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::optional<T> m_value;
    Status m_status;
};

}  // namespace sebind

/// `SEBIND_TRY_ASSIGN(auto x, f());` declares x from a Result or returns its Status.
#define SEBIND_CONCAT_INNER_(a, b) a##b
#define SEBIND_CONCAT_(a, b) SEBIND_CONCAT_INNER_(a, b)
#define SEBIND_TRY_ASSIGN(decl, expr) SEBIND_TRY_ASSIGN_IMPL_(SEBIND_CONCAT_(sebind_r_, __LINE__), decl, expr)
#define SEBIND_TRY_ASSIGN_IMPL_(tmp, decl, expr) \
    auto tmp = (expr);                           \
    if (!tmp.ok()) return tmp.status();          \
    decl = std::move(tmp).value()
