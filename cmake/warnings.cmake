# SPDX-License-Identifier: Apache-2.0
# Project-wide warning set; warnings are errors in CI presets.
option(SEBIND_WERROR "Treat warnings as errors" OFF)
function(sebind_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wnull-dereference)
  # GCC 12's optimiser-driven warnings misfire on standard containers at -O2/-O3/-Os: std::optional
  # "maybe uninitialized" (GCC bug 80635) and std::vector::insert "array bounds" (GCC bug 107852).
  # They stay on in Debug builds, and the asan preset checks real bounds at run time.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE
      $<$<NOT:$<CONFIG:Debug>>:-Wno-maybe-uninitialized -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread>)
  endif()
  if(SEBIND_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
