# SPDX-License-Identifier: Apache-2.0
# `cmake --install`: the programs (apps/*), the public headers, every library under libs/ (static,
# or shared with -DBUILD_SHARED_LIBS=ON), a CMake package and one pkg-config file per library:
#
#   find_package(sebind 0.1 CONFIG REQUIRED COMPONENTS tls_mbedtls_c_linux)  # -> sebind::<component>
#   cc app.c $(pkg-config --cflags --libs sebind-tls-mbedtls-c-linux)       # <prefix>/lib/pkgconfig
#
# A component is a library target sebind_<name> (sebind::<name> in this tree too); the set is
# collected from libs/, so a new library is installed without being listed here.
include(CMakePackageConfigHelpers)
set(SEBIND_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/sebind)

# The library targets defined under libs/.
function(sebind_collect_libraries dir out)
  set(found ${${out}})
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(t MATCHES "^sebind_" AND type MATCHES "^(STATIC|SHARED|OBJECT|INTERFACE)_LIBRARY$")
      list(APPEND found ${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    sebind_collect_libraries(${sub} found)
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()
set(SEBIND_LIBRARIES)
get_property(subdirs DIRECTORY ${PROJECT_SOURCE_DIR} PROPERTY SUBDIRECTORIES)
foreach(sub IN LISTS subdirs)
  if(sub MATCHES "^${PROJECT_SOURCE_DIR}/libs/")
    sebind_collect_libraries(${sub} SEBIND_LIBRARIES)
  endif()
endforeach()

# What a library links, as pkg-config fields. A static archive carries none of its dependencies,
# so for a static build they are all in Requires/Libs (a plain `pkg-config --libs` links them);
# for a shared build those the headers do not expose go in Requires.private/Libs.private.
# mbedTLS has no .pc file on Debian 12 (-l flags instead); wolfSSL has one; toml++ and
# nlohmann-json are header-only and used only inside the agent's sources.
function(sebind_pc_fields target)
  get_target_property(all ${target} LINK_LIBRARIES)
  get_target_property(public ${target} INTERFACE_LINK_LIBRARIES)
  get_target_property(type ${target} TYPE)
  set(requires)
  set(requires_private)
  set(libs)
  set(libs_private)
  if(target STREQUAL "sebind_core")
    list(APPEND libs_private -lstdc++ -lm)  # the libraries are C++; a C program links them with cc
  endif()
  foreach(item IN LISTS all)
    set(req)
    set(lib)
    if(item MATCHES "^sebind::(.+)$")
      string(REPLACE "_" "-" req "sebind-${CMAKE_MATCH_1}")
    elseif(item STREQUAL "mbedtls::tls")
      set(lib -lmbedtls -lmbedx509 -lmbedcrypto)
    elseif(item STREQUAL "mbedtls::x509")
      set(lib -lmbedx509 -lmbedcrypto)
    elseif(item STREQUAL "mbedtls::crypto")
      set(lib -lmbedcrypto)
    elseif(item STREQUAL "wolfssl::wolfssl")
      set(req wolfssl)
    endif()
    if(type STREQUAL "STATIC_LIBRARY" OR item IN_LIST public)
      list(APPEND requires ${req})
      list(APPEND libs ${lib})
    else()
      list(APPEND requires_private ${req})
      list(APPEND libs_private ${lib})
    endif()
  endforeach()
  get_target_property(defines ${target} INTERFACE_COMPILE_DEFINITIONS)
  set(cflags)
  foreach(d IN LISTS defines)
    if(d)
      list(APPEND cflags -D${d})
    endif()
  endforeach()
  string(REPLACE ";" " " cflags "${cflags}")
  set(SEBIND_PC_CFLAGS "${cflags}" PARENT_SCOPE)
  if(type STREQUAL "STATIC_LIBRARY")
    list(APPEND libs ${libs_private})
    set(libs_private)
  endif()
  foreach(field requires requires_private libs libs_private)
    list(REMOVE_DUPLICATES ${field})
  endforeach()
  list(JOIN requires ", " requires)
  list(JOIN requires_private ", " requires_private)
  list(JOIN libs " " libs)
  list(JOIN libs_private " " libs_private)
  set(SEBIND_PC_REQUIRES "${requires}" PARENT_SCOPE)
  set(SEBIND_PC_REQUIRES_PRIVATE "${requires_private}" PARENT_SCOPE)
  set(SEBIND_PC_LIBS "${libs}" PARENT_SCOPE)
  set(SEBIND_PC_LIBS_PRIVATE "${libs_private}" PARENT_SCOPE)
endfunction()

# The CMake packages a component needs beyond mbedTLS/wolfSSL (sebindDependencies.cmake), through
# the sebind libraries it links: nlohmann_json, tomlplusplus (the agent).
function(sebind_package_deps target out)
  set(seen ${ARGN})
  set(deps)
  get_target_property(all ${target} LINK_LIBRARIES)
  foreach(item IN LISTS all)
    if(item MATCHES "^sebind::(.+)$" AND NOT CMAKE_MATCH_1 IN_LIST seen)
      list(APPEND seen ${CMAKE_MATCH_1})
      sebind_package_deps(sebind_${CMAKE_MATCH_1} sub ${seen})
      list(APPEND deps ${sub})
    elseif(item MATCHES "^(nlohmann_json|tomlplusplus)::")
      list(APPEND deps ${CMAKE_MATCH_1})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES deps)
  set(${out} ${deps} PARENT_SCOPE)
endfunction()

# The .pc files name the prefix `cmake --install` installs to (`--prefix` included): configured
# once here with everything else, and again at install time with the prefix.
set(SEBIND_PC_PREFIX "@SEBIND_PC_PREFIX@")
set(SEBIND_COMPONENTS)
set(SEBIND_COMPONENT_PACKAGES)
foreach(t IN LISTS SEBIND_LIBRARIES)
  string(REGEX REPLACE "^sebind_" "" component ${t})
  list(APPEND SEBIND_COMPONENTS ${component})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${component})
  get_target_property(type ${t} TYPE)
  if(type STREQUAL "OBJECT_LIBRARY")
    continue()  # linked into the executable itself (the ECDHE hook); no archive, no .pc file
  endif()
  # Shared: each library finds the others it links next to itself.
  set_target_properties(${t} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                        INSTALL_RPATH "$ORIGIN")
  sebind_package_deps(${t} packages)
  string(APPEND SEBIND_COMPONENT_PACKAGES "set(_sebind_packages_${component} ${packages})\n")
  string(REPLACE "_" "-" SEBIND_PC_NAME "sebind-${component}")
  set(SEBIND_PC_LIBNAME ${t})
  sebind_pc_fields(${t})
  set(pc ${PROJECT_BINARY_DIR}/pkgconfig/${SEBIND_PC_NAME}.pc)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/sebind.pc.in ${pc}.in @ONLY)
  install(CODE "set(SEBIND_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")\nconfigure_file(\"${pc}.in\" \"${pc}\" @ONLY)")
  install(FILES ${pc} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
# The programs find shared sebind libraries in <prefix>/<libdir>.
foreach(program sebind sebind-emud)
  if(TARGET ${program})
    file(RELATIVE_PATH libdir /${CMAKE_INSTALL_BINDIR} /${CMAKE_INSTALL_LIBDIR})
    set_target_properties(${program} PROPERTIES INSTALL_RPATH "$ORIGIN/${libdir}")
  endif()
endforeach()

install(TARGETS ${SEBIND_LIBRARIES} EXPORT sebindTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        OBJECTS DESTINATION ${CMAKE_INSTALL_LIBDIR}/sebind-objects
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The mbedtls3 configuration's headers need Mbed TLS 3.6 (that configuration installs nothing).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sebind ${PROJECT_BINARY_DIR}/include/sebind
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} PATTERN "psa_stsafe" EXCLUDE PATTERN "tls_mbedtls3" EXCLUDE)
install(EXPORT sebindTargets NAMESPACE sebind:: DESTINATION ${SEBIND_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sebindConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sebindConfig.cmake INSTALL_DESTINATION ${SEBIND_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sebindConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sebindConfig.cmake ${PROJECT_BINARY_DIR}/sebindConfigVersion.cmake
        ${PROJECT_SOURCE_DIR}/cmake/sebindDependencies.cmake DESTINATION ${SEBIND_INSTALL_CMAKEDIR})

# The agent as a service (docs/agent.md, "systemd"): units, the udev rule and the group for
# /dev/i2c-*, where systemd and udev look under the prefix (/usr/local/lib/systemd/system,
# /usr/local/lib/udev/rules.d, /usr/local/lib/sysusers.d are on their search paths), and the docs
# the units' Documentation= names. The units say /usr/local; installed, they say the prefix.
set(SEBIND_UNIT_DIR lib/systemd/system)
set(SEBIND_SYSTEMD_SRC ${PROJECT_SOURCE_DIR}/examples/systemd)
set(SEBIND_SYSTEMD_OUT ${PROJECT_BINARY_DIR}/systemd)
foreach(file sebind-agent.service sebind-emud.service sebind-agent.service.d/emulator.conf)
  install(CODE "file(READ \"${SEBIND_SYSTEMD_SRC}/${file}\" text)
string(REPLACE \"/usr/local/\" \"\${CMAKE_INSTALL_PREFIX}/\" text \"\${text}\")
file(WRITE \"${SEBIND_SYSTEMD_OUT}/${file}\" \"\${text}\")")
endforeach()
install(FILES ${SEBIND_SYSTEMD_OUT}/sebind-agent.service ${SEBIND_SYSTEMD_OUT}/sebind-emud.service
        DESTINATION ${SEBIND_UNIT_DIR})
install(FILES ${SEBIND_SYSTEMD_OUT}/sebind-agent.service.d/emulator.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sebind/examples/systemd/sebind-agent.service.d)
install(FILES ${SEBIND_SYSTEMD_SRC}/60-sebind-i2c.rules DESTINATION lib/udev/rules.d)
install(FILES ${SEBIND_SYSTEMD_SRC}/sebind.sysusers DESTINATION lib/sysusers.d RENAME sebind.conf)
install(FILES ${PROJECT_SOURCE_DIR}/examples/device.toml DESTINATION ${CMAKE_INSTALL_DATADIR}/sebind/examples)
file(GLOB SEBIND_DOC_PAGES ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${SEBIND_DOC_PAGES} DESTINATION ${CMAKE_INSTALL_DOCDIR})
