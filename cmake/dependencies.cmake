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

if(NOT SEBIND_NO_EXCEPTIONS)
  find_package(CLI11 CONFIG QUIET)
  find_package(nlohmann_json 3 QUIET)
  if(SEBIND_BUILD_TESTS)
    find_package(GTest REQUIRED)
  endif()
  if(SEBIND_BUILD_BENCH)
    find_package(benchmark QUIET)
  endif()
endif()
