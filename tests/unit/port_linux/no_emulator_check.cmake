# SPDX-License-Identifier: Apache-2.0
# cmake -DNM=nm -DI2C_ONLY=<consumer on sebind::port_linux> -DANY_URI=<consumer on sebind::se_uri>
#       -DDEVICE=<an absent device node> -P no_emulator_check.cmake
# The i2c-only consumer opens i2c:DEVICE and names the missing node; its symbols (nm -C) contain
# nothing from sebind::emu. The consumer opening through open_se must contain some, or the symbol
# check would pass on any binary.
foreach(var NM I2C_ONLY ANY_URI DEVICE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "no_emulator_check.cmake: -D${var}= is required")
  endif()
endforeach()

execute_process(COMMAND ${I2C_ONLY} "i2c:${DEVICE}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 30)
message(STATUS "i2c-only consumer (exit ${rc}): ${out}${err}")
if(NOT rc EQUAL 1 OR NOT out MATCHES "open failed \\(does_not_exist\\): cannot open ${DEVICE}")
  message(FATAL_ERROR "the i2c-only consumer did not report the missing device node ${DEVICE}")
endif()

# Lines of `nm -C FILE` naming a symbol in sebind::emu, into OUT; COUNT their number.
function(emu_symbols file out count)
  execute_process(COMMAND ${NM} -C ${file} RESULT_VARIABLE rc OUTPUT_VARIABLE symbols ERROR_VARIABLE err TIMEOUT 60)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -C ${file} failed (${rc}): ${err}")
  endif()
  string(REGEX MATCHALL "[^\n]*sebind::emu::[^\n]*" found "${symbols}")
  list(LENGTH found n)
  set(${out} "${found}" PARENT_SCOPE)
  set(${count} ${n} PARENT_SCOPE)
endfunction()

emu_symbols(${I2C_ONLY} found n)
message(STATUS "sebind::emu:: symbols in ${I2C_ONLY}: ${n}")
if(n GREATER 0)
  list(SUBLIST found 0 10 first)
  list(JOIN first "\n" first)
  message(FATAL_ERROR "an i2c-only product carries the emulator (${n} sebind::emu:: symbols), e.g.:\n${first}")
endif()

emu_symbols(${ANY_URI} found n)
message(STATUS "sebind::emu:: symbols in ${ANY_URI}: ${n}")
if(n EQUAL 0)
  message(FATAL_ERROR "the consumer opening every URI shows no sebind::emu:: symbol: the check cannot see the emulator")
endif()
