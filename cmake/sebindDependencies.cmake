# SPDX-License-Identifier: Apache-2.0
# The external C libraries the sebind libraries link, as imported targets: mbedtls::crypto,
# mbedtls::x509, mbedtls::tls and (when installed) wolfssl::wolfssl. The build includes this file,
# and so does an installed sebindConfig.cmake, so a consumer finds them the same way.
if(NOT TARGET mbedtls::crypto AND SEBIND_MBEDTLS3_ROOT)
  # Mbed TLS 3.6 built by scripts/deps-mbedtls3 (static, the project's config and opaque-driver
  # patch): the mbedtls3 configuration (docs/tls-mbedtls3.md). Its symbols have the names of
  # Debian's 2.28, so nothing of the system's mbedTLS may be found alongside.
  foreach(lib IN ITEMS crypto x509 tls)
    set(name mbed${lib})
    if(lib STREQUAL "tls")
      set(name mbedtls)
    endif()
    find_library(SEBIND_MBEDTLS3_${lib} ${name} PATHS ${SEBIND_MBEDTLS3_ROOT}/lib NO_DEFAULT_PATH NO_CACHE)
    if(NOT SEBIND_MBEDTLS3_${lib} OR NOT EXISTS ${SEBIND_MBEDTLS3_ROOT}/include/psa/crypto_driver_stsafe.h)
      message(FATAL_ERROR "sebind: SEBIND_MBEDTLS3_ROOT=${SEBIND_MBEDTLS3_ROOT} holds no Mbed TLS 3.6 built by "
                          "scripts/deps-mbedtls3 — run scripts/deps-mbedtls3 BUILD_DIR and pass its last line")
    endif()
    add_library(mbedtls::${lib} STATIC IMPORTED)
    set_target_properties(mbedtls::${lib} PROPERTIES IMPORTED_LOCATION ${SEBIND_MBEDTLS3_${lib}}
      INTERFACE_INCLUDE_DIRECTORIES ${SEBIND_MBEDTLS3_ROOT}/include)
  endforeach()
  set_property(TARGET mbedtls::x509 PROPERTY INTERFACE_LINK_LIBRARIES mbedtls::crypto)
  set_property(TARGET mbedtls::tls PROPERTY INTERFACE_LINK_LIBRARIES mbedtls::x509)
endif()

if(NOT TARGET mbedtls::crypto)
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
endif()

# wolfSSL 5.5 (Debian libwolfssl-dev) ships a .pc file; its options.h records the build's
# features (PK callbacks, TLS 1.3, session tickets) and must be included before any wolfSSL header.
if(NOT TARGET wolfssl::wolfssl)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(WOLFSSL QUIET IMPORTED_TARGET wolfssl>=5.5)
  endif()
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
endif()
