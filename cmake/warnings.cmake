# SPDX-License-Identifier: Apache-2.0
# Project-wide warning set; warnings are errors in CI presets.
option(SEBIND_WERROR "Treat warnings as errors" OFF)
function(sebind_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wnull-dereference)
  # GCC 12 reports std::optional members as "maybe uninitialized" at -O2/-Os (GCC bug 80635);
  # the warning stays on in Debug builds, where it is reliable.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-Wno-maybe-uninitialized>)
  endif()
  if(SEBIND_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
