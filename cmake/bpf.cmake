# SPDX-License-Identifier: Apache-2.0
# The BPF programs of src/bpf/ (kernel side of `timewait trace`), compiled at build time with
# clang-16 -target bpf, linked and stripped of DWARF by bpftool (BTF stays: CO-RE needs it), and
# turned into a skeleton header (bpftool gen skeleton) that embeds the object in the binary.
# Packages: clang-16 bpftool libbpf-dev libelf-dev zlib1g-dev (scripts/install-deps.sh bpf).
#
# vmlinux.h (the kernel's types for CO-RE) is generated from the build host's BTF rather than
# vendored: every field access is relocated against the running kernel's BTF at load time, so the
# header only has to declare the types, and a 2.8 MB generated file in the tree would add churn
# and nothing else. TIMEWAIT_VMLINUX_BTF points elsewhere (another kernel's BTF file) when the
# build host has none.
#
# Sets TIMEWAIT_BPF_READY and the target tw_bpf_skeletons (its include directory holds the
# *.skel.h headers).
set(TIMEWAIT_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH
    "Kernel BTF that vmlinux.h is generated from")
find_program(TW_BPF_CLANG NAMES clang-16)
find_program(TW_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf)

set(TIMEWAIT_BPF_READY OFF)
set(_missing "")
if(NOT TW_BPF_CLANG)
  list(APPEND _missing "clang-16")
endif()
if(NOT TW_BPFTOOL)
  list(APPEND _missing "bpftool")
endif()
if(NOT LIBBPF_FOUND)
  list(APPEND _missing "libbpf-dev")
endif()
if(NOT EXISTS ${TIMEWAIT_VMLINUX_BTF})
  list(APPEND _missing "kernel BTF at ${TIMEWAIT_VMLINUX_BTF}")
endif()
if(_missing)
  string(REPLACE ";" ", " _missing "${_missing}")
  if(TIMEWAIT_BPF STREQUAL "ON")
    message(FATAL_ERROR "TIMEWAIT_BPF=ON but missing: ${_missing} "
                        "(scripts/install-deps.sh bpf installs them)")
  endif()
  # `make run` builds without them (scripts/install-deps.sh build leaves out clang's 250 MB):
  # the binary works, without `timewait trace` and the bpf census source (`--version` says so).
  if(_missing MATCHES "BTF" AND NOT _missing MATCHES "clang|bpftool|libbpf")
    set(_how "a kernel with CONFIG_DEBUG_INFO_BTF, or -DTIMEWAIT_VMLINUX_BTF=FILE")
  else()
    set(_how "`sudo scripts/install-deps.sh bpf` installs the packages, then build again")
  endif()
  message(WARNING "building without eBPF: `timewait trace`, `doctor --trace` and `--source bpf` "
                  "are left out (missing: ${_missing}; ${_how})")
  return()
endif()

set(_bpf_out ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${_bpf_out})
add_custom_command(
  OUTPUT ${_bpf_out}/vmlinux.h
  COMMAND ${TW_BPFTOOL} btf dump file ${TIMEWAIT_VMLINUX_BTF} format c > ${_bpf_out}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${TIMEWAIT_VMLINUX_BTF}"
  VERBATIM)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(_bpf_arch x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(_bpf_arch arm64)
else()
  set(_bpf_arch ${CMAKE_SYSTEM_PROCESSOR})
endif()

file(GLOB _bpf_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/bpf/*.bpf.c)
file(GLOB _bpf_hdrs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/bpf/*.h)
set(_skels "")
foreach(src ${_bpf_srcs})
  get_filename_component(_n ${src} NAME)
  string(REPLACE ".bpf.c" "" _n ${_n})
  add_custom_command(
    OUTPUT ${_bpf_out}/${_n}.skel.h
    COMMAND ${TW_BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${_bpf_arch} -I${_bpf_out}
            -I${CMAKE_SOURCE_DIR}/src/bpf -Wall -Werror -c ${src} -o ${_bpf_out}/${_n}.tmp.o
    COMMAND ${TW_BPFTOOL} gen object ${_bpf_out}/${_n}.bpf.o ${_bpf_out}/${_n}.tmp.o
    COMMAND ${TW_BPFTOOL} gen skeleton ${_bpf_out}/${_n}.bpf.o name ${_n}_bpf >
            ${_bpf_out}/${_n}.skel.h
    DEPENDS ${src} ${_bpf_hdrs} ${_bpf_out}/vmlinux.h
    COMMENT "Compiling BPF ${_n}.bpf.c and its skeleton"
    VERBATIM)
  list(APPEND _skels ${_bpf_out}/${_n}.skel.h)
endforeach()
add_custom_target(tw_bpf_skeletons DEPENDS ${_skels})
set(TIMEWAIT_BPF_READY ON)
