# SPDX-License-Identifier: Apache-2.0
# Every dependency is a Debian 12 package (scripts/deps lists them).
find_package(PkgConfig REQUIRED)

# mbedTLS 2.28 ships no CMake package or .pc file on Debian 12: import the libraries directly.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/version.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)
find_library(MBEDX509_LIBRARY mbedx509 REQUIRED)
find_library(MBEDTLS_LIBRARY mbedtls REQUIRED)
foreach(lib IN ITEMS crypto x509 tls)
  string(TOUPPER ${lib} LIBU)
  if(lib STREQUAL "tls")
    set(path ${MBEDTLS_LIBRARY})
  else()
    set(path ${MBED${LIBU}_LIBRARY})
  endif()
  add_library(mbedtls::${lib} UNKNOWN IMPORTED)
  set_target_properties(mbedtls::${lib} PROPERTIES IMPORTED_LOCATION ${path}
    INTERFACE_INCLUDE_DIRECTORIES ${MBEDTLS_INCLUDE_DIR})
endforeach()
set_property(TARGET mbedtls::x509 PROPERTY INTERFACE_LINK_LIBRARIES mbedtls::crypto)
set_property(TARGET mbedtls::tls PROPERTY INTERFACE_LINK_LIBRARIES mbedtls::x509)

# The agent (host side, built in every preset) reads device.toml with toml++ and writes JSON.
find_package(nlohmann_json 3 QUIET)
find_package(tomlplusplus QUIET)

# wolfSSL 5.5 (Debian libwolfssl-dev) ships a .pc file; its options.h records the build's
# features (PK callbacks, TLS 1.3, session tickets) and must be included before any wolfSSL header.
pkg_check_modules(WOLFSSL QUIET IMPORTED_TARGET wolfssl>=5.5)
if(WOLFSSL_FOUND)
  add_library(wolfssl::wolfssl ALIAS PkgConfig::WOLFSSL)
else()
  find_path(WOLFSSL_INCLUDE_DIR wolfssl/options.h)
  find_library(WOLFSSL_LIBRARY wolfssl)
  if(WOLFSSL_INCLUDE_DIR AND WOLFSSL_LIBRARY)
    add_library(wolfssl::wolfssl UNKNOWN IMPORTED)
    set_target_properties(wolfssl::wolfssl PROPERTIES IMPORTED_LOCATION ${WOLFSSL_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${WOLFSSL_INCLUDE_DIR})
  endif()
endif()

if(NOT SEBIND_NO_EXCEPTIONS)
  find_package(CLI11 CONFIG QUIET)
  if(SEBIND_BUILD_TESTS)
    find_package(GTest REQUIRED)
  endif()
  if(SEBIND_BUILD_BENCH)
    find_package(benchmark QUIET)
  endif()
endif()
