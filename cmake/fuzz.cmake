# SPDX-License-Identifier: Apache-2.0
# libFuzzer target for the importers (src/import/import_fuzz.cc), for a build configured with
# clang and -DTIMEWAIT_FUZZ=ON (the top-level CMakeLists.txt includes this file then). Packages:
# clang-16 libclang-rt-16-dev. Build and run for a bounded time:
#   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-16 -DTIMEWAIT_FUZZ=ON
#   cmake --build build-fuzz --target import_fuzz -j2
#   ctest --test-dir build-fuzz -R fuzz.import      # 60 s, seeded with tests/fixtures/import
# The fuzz target compiles the sources it needs itself (model, sources, import) with the
# sanitizers, so the rest of the build is left as it is; build only this target there.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "TIMEWAIT_FUZZ needs clang (libFuzzer): configure a separate build "
                      "directory with -DCMAKE_CXX_COMPILER=clang++-16 (apt-get install clang-16 "
                      "libclang-rt-16-dev)")
endif()

set(_tw_root ${CMAKE_CURRENT_LIST_DIR}/..)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(MNL REQUIRED IMPORTED_TARGET libmnl)

set(_fuzz_srcs ${_tw_root}/src/import/import_fuzz.cc)
foreach(dir os model sources import)
  file(GLOB _s CONFIGURE_DEPENDS ${_tw_root}/src/${dir}/*.cc)
  list(FILTER _s EXCLUDE REGEX "_(test|fuzz)\\.cc$")
  # The Linux build without BPF: no Windows stand-ins, no libbpf (the `_nobpf.cc` twins stay).
  list(FILTER _s EXCLUDE REGEX "_(win32|bpf)\\.cc$")
  list(APPEND _fuzz_srcs ${_s})
endforeach()

# A libFuzzer target from `srcs`, with the sanitizers: one way for every fuzz target.
function(timewait_fuzz_target name)
  add_executable(${name} ${ARGN})
  target_include_directories(${name} PRIVATE ${_tw_root}/src)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined
                                         -fno-sanitize-recover=undefined -g -O1)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  # libstdc++ 12 declares std::expected only when __cpp_concepts >= 202002L; clang before 19
  # reports 201907L although clang 16 implements what <expected> needs (P0848).
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 19)
    target_compile_options(${name} PRIVATE -Wno-macro-redefined -D__cpp_concepts=202002L)
  endif()
endfunction()

timewait_fuzz_target(import_fuzz ${_fuzz_srcs})
target_link_libraries(import_fuzz PRIVATE fmt::fmt nlohmann_json::nlohmann_json PkgConfig::MNL)

# A bounded run: new inputs go to a corpus directory in the build tree, the fixtures seed it.
set(TIMEWAIT_FUZZ_SECONDS 60 CACHE STRING "How long the fuzz.import test fuzzes")
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus)
# The dictionary holds the words of every format (headers, states, names, netstat -b owner lines,
# an ss -D message header), so that mutations reach past the first column.
add_test(NAME fuzz.import
         COMMAND import_fuzz ${CMAKE_BINARY_DIR}/fuzz-corpus ${_tw_root}/tests/fixtures/import
                 -dict=${_tw_root}/src/import/import_fuzz.dict
                 -max_total_time=${TIMEWAIT_FUZZ_SECONDS} -timeout=10 -rss_limit_mb=2048
                 -max_len=65536 -print_final_stats=1)
set_tests_properties(fuzz.import PROPERTIES TIMEOUT 900)

# libFuzzer target for the exporter's request path (src/exporter/request_fuzz.cc): bytes sent to
# the real MetricsServer (libmicrohttpd, then our checks) over a socket pair. Our exporter sources
# with the sanitizers, Debian's libmicrohttpd, GnuTLS, yaml-cpp and libxcrypt as they are.
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls)
pkg_check_modules(YAMLCPP REQUIRED IMPORTED_TARGET yaml-cpp)
pkg_check_modules(XCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
find_package(ZLIB REQUIRED)
set(_request_srcs ${_tw_root}/src/exporter/request_fuzz.cc)
foreach(f server host_header content_coding web_config basic_auth)
  list(APPEND _request_srcs ${_tw_root}/src/exporter/${f}.cc)
endforeach()
timewait_fuzz_target(request_fuzz ${_request_srcs})
target_link_libraries(request_fuzz PRIVATE fmt::fmt PkgConfig::MHD PkgConfig::GNUTLS
                                           PkgConfig::YAMLCPP PkgConfig::XCRYPT ZLIB::ZLIB)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus-request)
# Each input is a connection (threads, a socket pair): slower than import_fuzz per input, so the
# same bounded time. -timeout: an input answered within the server's own 1-2 s deadlines.
add_test(NAME fuzz.request
         COMMAND request_fuzz ${CMAKE_BINARY_DIR}/fuzz-corpus-request
                 ${_tw_root}/tests/fixtures/http-requests
                 -dict=${_tw_root}/src/exporter/request_fuzz.dict
                 -max_total_time=${TIMEWAIT_FUZZ_SECONDS} -timeout=20 -rss_limit_mb=2048
                 -max_len=20000 -print_final_stats=1)
set_tests_properties(fuzz.request PROPERTIES TIMEOUT 900)
