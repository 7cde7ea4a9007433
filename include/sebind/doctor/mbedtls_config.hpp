// SPDX-License-Identifier: Apache-2.0
// A user's Mbed TLS configuration header, read the way the preprocessor would see its plain
// lines: `#define NAME [value]` turns NAME on, `//#define NAME` (the way Mbed TLS ships an option
// that is off) and `#undef NAME` leave it off, text inside /* */ comments is skipped. Conditional
// blocks (#if) are not evaluated: every #define counts. Whether it is written for Mbed TLS 2.28
// or 3.6 is told from the names it mentions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace sebind::doctor {

enum class ConfigStyle : std::uint8_t {
    mbedtls_2_28,  ///< config.h of Mbed TLS 2.x (MBEDTLS_SHA512_C covers SHA-384; no TLS 1.3)
    mbedtls_3_6,   ///< mbedtls_config.h of Mbed TLS 3.x (MBEDTLS_SHA384_C, TLS 1.3, PSA_WANT_*)
};

struct MbedtlsConfig {
    std::string source;  ///< the file, or what the build's own configuration is
    ConfigStyle style = ConfigStyle::mbedtls_2_28;
    std::set<std::string, std::less<>> defined;    ///< names turned on
    std::set<std::string, std::less<>> mentioned;  ///< every name seen on a #define, //#define or #undef line
    bool has(std::string_view name) const { return defined.find(name) != defined.end(); }
};

/// The largest configuration header read (Mbed TLS's own full config.h is about 150 KiB).
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

/// Parses the text of a configuration header; `source` names it in reports.
MbedtlsConfig parse_mbedtls_config(std::string_view text, std::string source);

/// The configuration of the mbedTLS this program was built with (its config.h, as compiled).
MbedtlsConfig build_mbedtls_config();

const char* style_name(ConfigStyle style);

}  // namespace sebind::doctor
