# SPDX-License-Identifier: Apache-2.0
# The Windows build's tests, run under wine by `make windows-test` (which creates the prefix and
# starts one persistent wineserver first: a wineserver started by a test would keep CTest's pipes
# open), and the release zip (`make windows-zip`).
add_executable(make_sockets ${CMAKE_SOURCE_DIR}/tests/windows/make_sockets.cc)
file(GLOB win_e2e CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/windows/*.sh)
foreach(script ${win_e2e})
  get_filename_component(n ${script} NAME_WE)
  add_test(NAME windows.e2e.${n} COMMAND bash ${script})
  set_tests_properties(windows.e2e.${n} PROPERTIES TIMEOUT 600
    ENVIRONMENT
    "TIMEWAIT_EXE=$<TARGET_FILE:timewait>;MAKE_SOCKETS=$<TARGET_FILE:make_sockets>;WINE=${CMAKE_CROSSCOMPILING_EMULATOR}")
endforeach()

set(zip ${CMAKE_BINARY_DIR}/timewait-windows-x86_64.zip)
add_custom_command(OUTPUT ${zip}
  COMMAND ${CMAKE_COMMAND} -E rm -rf zip && ${CMAKE_COMMAND} -E make_directory zip/timewait
  COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:timewait> zip/timewait/timewait.exe
  # The build keeps its debug information; the release does not need it.
  COMMAND ${CMAKE_STRIP} zip/timewait/timewait.exe
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/docs/WINDOWS.md zip/timewait/README.md
  COMMAND ${CMAKE_COMMAND} -E rm -f ${zip}
  COMMAND ${CMAKE_COMMAND} -E chdir zip ${CMAKE_COMMAND} -E tar cf ${zip} --format=zip timewait
  DEPENDS timewait ${CMAKE_SOURCE_DIR}/docs/WINDOWS.md
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)
add_custom_target(windows_zip DEPENDS ${zip})
