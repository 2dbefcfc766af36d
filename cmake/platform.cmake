# SPDX-License-Identifier: Apache-2.0
# Platform split (docs/ARCHITECTURE.md, "Platform split"): `foo_win32.cc` (and its test
# `foo_win32_test.cc`) is built only for Windows, where it stands in for `foo.cc`. The Windows
# build also leaves out the files in TIMEWAIT_LINUX_ONLY, and runs only the tests listed in
# TIMEWAIT_WINDOWS_TESTS (cmake/windows.cmake). Removes from the list in `var` what this platform
# does not build.
function(timewait_platform_split var)
  set(kept)
  foreach(f IN LISTS ${var})
    if(f MATCHES "_win32(_test)?\\.cc$")
      if(WIN32)
        list(APPEND kept ${f})
      endif()
      continue()
    endif()
    if(WIN32)
      file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/src ${f})
      if(f MATCHES "_test\\.cc$")
        if(NOT rel IN_LIST TIMEWAIT_WINDOWS_TESTS)
          continue()
        endif()
      else()
        string(REGEX REPLACE "\\.cc$" "_win32.cc" twin "${f}")
        if(EXISTS ${twin} OR rel IN_LIST TIMEWAIT_LINUX_ONLY)
          continue()
        endif()
      endif()
    endif()
    list(APPEND kept ${f})
  endforeach()
  set(${var} ${kept} PARENT_SCOPE)
endfunction()
