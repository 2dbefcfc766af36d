# SPDX-License-Identifier: Apache-2.0
# Cross-compiling timewait.exe for 64-bit Windows with Debian's mingw-w64 (posix threads: the
# library uses std::thread and std::mutex). `make windows` passes this file; the Linux build never
# reads it. Tests run under wine (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# One file to copy: libstdc++, libgcc and winpthread linked in, only Windows' own DLLs needed.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
find_program(TIMEWAIT_WINE wine)
if(TIMEWAIT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TIMEWAIT_WINE})
endif()
