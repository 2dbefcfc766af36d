# SPDX-License-Identifier: Apache-2.0
# Installing timewait like a tool: the version baked into the binary, the man pages and shell
# completions generated from its own definition, install rules, and `make deb` (CPack's DEB
# generator). Included at the end of the top CMakeLists.txt.
include(GNUInstallDirs)

# --version: cmake/version.cmake runs at every build and rewrites version_info.cc only when the
# version, commit or features change, so a commit costs one small compile and a link.
if(WIN32)
  set(_platform windows)
else()
  set(_platform linux)
endif()
set(_version_args -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUT_CC=${CMAKE_BINARY_DIR}/version_info.cc
    -DOUT_TXT=${CMAKE_BINARY_DIR}/version.txt -DBPF=${TIMEWAIT_BPF_READY}
    -DPLATFORM=${_platform})
execute_process(COMMAND ${CMAKE_COMMAND} ${_version_args} -P ${CMAKE_SOURCE_DIR}/cmake/version.cmake)
add_custom_target(timewait_version
  COMMAND ${CMAKE_COMMAND} ${_version_args} -P ${CMAKE_SOURCE_DIR}/cmake/version.cmake
  BYPRODUCTS ${CMAKE_BINARY_DIR}/version_info.cc ${CMAKE_BINARY_DIR}/version.txt VERBATIM)
target_sources(timewait PRIVATE ${CMAKE_BINARY_DIR}/version_info.cc)
# Rewritten at each commit: compiled alone, so a commit does not recompile the whole unity file.
set_source_files_properties(${CMAKE_BINARY_DIR}/version_info.cc PROPERTIES
                            SKIP_UNITY_BUILD_INCLUSION ON)
add_dependencies(timewait timewait_version)
# Man pages and completions come from a Linux build (cmd_help_man, cmd_completion are Linux-only).
if(NOT WIN32)
  timewait_module(usage fmt::fmt)
  target_link_libraries(timewait PRIVATE tw_usage)
endif()

set(TIMEWAIT_MAINTAINER "timewait maintainers <maintainers@users.noreply.r-seed-6e22c1de.example>")

# Man pages, completions and the changelog, asked of the built binary, and the Debian package:
# not when the binary cannot run here (a cross build) or on Windows (no gzip, no dpkg).
set(_usage ${CMAKE_BINARY_DIR}/usage)
if(CMAKE_CROSSCOMPILING OR WIN32)
  install(TARGETS timewait RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  return()
endif()
add_custom_command(OUTPUT ${_usage}/stamp
  COMMAND ${CMAKE_COMMAND} -DTIMEWAIT=$<TARGET_FILE:timewait> -DOUT=${_usage}
          -DSOURCE_DIR=${CMAKE_SOURCE_DIR} "-DMAINTAINER=${TIMEWAIT_MAINTAINER}"
          -P ${CMAKE_SOURCE_DIR}/cmake/usage_files.cmake
  COMMAND ${CMAKE_COMMAND} -E touch ${_usage}/stamp
  DEPENDS timewait ${CMAKE_SOURCE_DIR}/cmake/usage_files.cmake ${CMAKE_SOURCE_DIR}/CHANGELOG.md
          ${CMAKE_SOURCE_DIR}/scripts/debian-changelog.sh VERBATIM)
add_custom_target(timewait_usage_files ALL DEPENDS ${_usage}/stamp)

install(TARGETS timewait RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${_usage}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man8
        FILES_MATCHING PATTERN "*.8.gz")
install(FILES ${_usage}/completions/timewait DESTINATION share/bash-completion/completions)
install(FILES ${_usage}/completions/_timewait DESTINATION share/zsh/vendor-completions)
install(FILES ${_usage}/completions/timewait.fish DESTINATION share/fish/vendor_completions.d)
set(_doc ${CMAKE_INSTALL_DATADIR}/doc/timewait)
install(FILES README.md ${_usage}/doc/changelog.gz packaging/copyright DESTINATION ${_doc})
install(FILES packaging/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME timewait)
install(DIRECTORY docs/ DESTINATION ${_doc}/docs FILES_MATCHING PATTERN "*.md")
# deploy/: the exporter's systemd unit (installed, not enabled: `systemctl enable --now` is the
# admin's choice) and everything else there (Prometheus rules, Grafana dashboard) as data.
if(EXISTS ${CMAKE_SOURCE_DIR}/deploy)
  file(GLOB _units CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/deploy/systemd/*.service)
  # Debian 12 packages still ship units in /lib (the /usr merge moves them later).
  install(FILES ${_units} DESTINATION /lib/systemd/system)
  # The exporter's options (ARGS=, read by its unit), a conffile (packaging/debian/conffiles).
  install(FILES deploy/systemd/timewait-exporter.default DESTINATION /etc/default
          RENAME timewait-exporter)
  # deploy/kubernetes builds an image from a build tree or the .deb itself: source, not data.
  install(DIRECTORY deploy/ DESTINATION ${CMAKE_INSTALL_DATADIR}/timewait PATTERN systemd EXCLUDE
          PATTERN kubernetes EXCLUDE)
endif()

# `make deb`: CPack's DEB generator. The version is read at packaging time from the build's
# version.txt (cmake/cpack_version.cmake), so the package always matches the binary inside it.
# `install` must not build every test first: `make deb` builds what the package holds.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME timewait)
file(STRINGS ${CMAKE_BINARY_DIR}/version.txt CPACK_PACKAGE_VERSION LIMIT_COUNT 1)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_SOURCE_DIR}/cmake/cpack_version.cmake)
set(CPACK_TIMEWAIT_VERSION_TXT ${CMAKE_BINARY_DIR}/version.txt)
set(CPACK_PACKAGE_CONTACT "${TIMEWAIT_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TIMEWAIT_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "find, explain and fix TCP TIME_WAIT build-up and port exhaustion")
set(CPACK_PACKAGE_DESCRIPTION
    "timewait counts TCP sockets by state and destination (like ss -tan), measures\n"
    "ephemeral-port pressure and the TIME_WAIT creation rate per destination,\n"
    "audits the kernel settings involved with sourced findings and safe fixes\n"
    "(doctor), traces which process makes the TIME_WAITs (eBPF), reads ss and\n"
    "netstat dumps from other machines, and reproduces the scenarios in private\n"
    "network namespaces (lab).")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps: libc, libmnl, libfmt, libbpf...
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "iproute2, bash-completion")
# What dh_installsystemd would write for the exporter's unit (installed disabled): daemon-reload,
# a restart on upgrade only where enabled or running, stop on removal, purge of its state; and the
# conffile /etc/default/timewait-exporter.
set(_deb ${CMAKE_SOURCE_DIR}/packaging/debian)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_deb}/postinst ${_deb}/prerm ${_deb}/postrm
    ${_deb}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # timewait_<version>_<arch>.deb
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR})
include(CPack)
