// SPDX-License-Identifier: Apache-2.0
// sebind_mbedtls_open_uri: the C API's Linux convenience, a chip opened from an SE URI through
// sebind::port_linux (emulator in process, sebind-emud, or i2c-dev).
#include <cstdio>
#include <memory>
#include <string>

#include "handle.hpp"
#include "sebind/se_uri/se_uri.hpp"

namespace {

using namespace sebind;

/// A handle that owns a port_linux connection (bus, clock and driver).
class UriSe final : public sebind_mbedtls_se {
public:
    explicit UriSe(std::unique_ptr<port_linux::SeConnection> connection) noexcept
        : m_connection(std::move(connection)) {}
    stsafe::Device& device() noexcept override { return m_connection->device(); }

private:
    std::unique_ptr<port_linux::SeConnection> m_connection;
};

void explain(char* why, std::size_t why_size, const std::string& text) {
    if (why && why_size > 0) std::snprintf(why, why_size, "%s", text.c_str());
}

}  // namespace

extern "C" int sebind_mbedtls_open_uri(const char* uri, sebind_mbedtls_se** se, char* why, size_t why_size) {
    return tls_mbedtls::c_api::guarded(nullptr, [&] {
        if (se) *se = nullptr;
        explain(why, why_size, "");
        if (!uri || !se) {
            explain(why, why_size, "no URI or no place for the handle");
            return SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT;
        }
        auto parsed = port_linux::parse_se_uri(uri);
        if (!parsed) {
            explain(why, why_size,
                    std::string("'") + uri +
                        "' is not an SE URI — use emu:DIR, emud:SOCKET[#CHIP] or i2c:/dev/i2c-N[?addr=0x20]");
            return tls_mbedtls::c_api::to_code(parsed.status().code());
        }
        std::string detail;
        auto connection = port_linux::open_se(*parsed, {}, &detail);
        if (!connection) {
            explain(why, why_size, detail.empty() ? std::string("cannot open ") + uri : detail);
            return tls_mbedtls::c_api::to_code(connection.status().code());
        }
        *se = new UriSe(std::move(*connection));
        return SEBIND_MBEDTLS_OK;
    });
}
