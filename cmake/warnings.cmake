# SPDX-License-Identifier: Apache-2.0
# Project-wide warning set; warnings are errors in CI presets.
option(SEBIND_WERROR "Treat warnings as errors" OFF)
function(sebind_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wnull-dereference)
  if(SEBIND_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
