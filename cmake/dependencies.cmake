# SPDX-License-Identifier: Apache-2.0
# Every dependency is a Debian 12 package (scripts/deps lists them).
find_package(PkgConfig REQUIRED)

# mbedTLS and wolfSSL: the same file an installed sebindConfig.cmake uses.
include(${CMAKE_CURRENT_LIST_DIR}/sebindDependencies.cmake)

# The agent (host side, built in every preset) reads device.toml with toml++ and writes JSON.
find_package(nlohmann_json 3 QUIET)
find_package(tomlplusplus QUIET)

if(NOT SEBIND_NO_EXCEPTIONS)
  find_package(CLI11 CONFIG QUIET)
  if(SEBIND_BUILD_TESTS)
    find_package(GTest REQUIRED)
  endif()
  if(SEBIND_BUILD_BENCH)
    find_package(benchmark QUIET)
  endif()
endif()
