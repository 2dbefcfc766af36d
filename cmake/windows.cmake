# SPDX-License-Identifier: Apache-2.0
# The Windows build's dependencies (included instead of the Linux find_package block when WIN32).
# fmt, nlohmann-json and CLI11 are used header-only from the host's Debian packages; libmnl and
# libbpf do not exist for Windows and nothing built here needs them; GoogleTest is built from
# Debian's sources (package googletest).

# The host's headers of these three only: /usr/include itself would bring glibc's headers.
set(_tw_headers ${CMAKE_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${_tw_headers})
foreach(d fmt nlohmann CLI)
  if(NOT EXISTS /usr/include/${d})
    message(FATAL_ERROR "/usr/include/${d} missing: run scripts/install-deps.sh")
  endif()
  file(CREATE_LINK /usr/include/${d} ${_tw_headers}/${d} SYMBOLIC)
endforeach()
foreach(t fmt::fmt nlohmann_json::nlohmann_json CLI11::CLI11)
  add_library(${t} INTERFACE IMPORTED)
  target_include_directories(${t} SYSTEM INTERFACE ${_tw_headers})
endforeach()
# The sources module names libmnl for its netlink dump, which the Windows build leaves out.
add_library(PkgConfig::MNL INTERFACE IMPORTED)
# Debian's libfmt is a Linux shared library: compile fmt into each user instead.
target_compile_definitions(fmt::fmt INTERFACE FMT_HEADER_ONLY)

set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
add_subdirectory(/usr/src/googletest ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)

# Windows 10 APIs; windows.h without its min/max macros and rarely used parts.
add_compile_definitions(WIN32_LEAN_AND_MEAN NOMINMAX _WIN32_WINNT=0x0A00 UNICODE _UNICODE)
link_libraries(ws2_32 iphlpapi wevtapi advapi32)

# Files of the shared folders that are Linux's alone and have no `_win32.cc` stand-in.
set(TIMEWAIT_LINUX_ONLY testing/scoped_netns.cc testing/sockets.cc testing/loopback.cc
    testing/preset_netns.cc testing/hostile_clients.cc testing/tls_files.cc testing/lead_netns.cc
    testing/kubelet_cgroups.cc
    os/netns.cc os/stop_signals.cc  # setns, sigaction
    sources/live_sockets.cc  # inet_diag, /proc and bpf readers (live_input_win32.cc reads iphlpapi)
    sources/pods.cc  # /proc/PID/cgroup and /var/log/pods: a Kubernetes node is Linux
    sources/cgroup_paths.cc trace/pod_attribution.cc  # cgroup v2 ids of trace's events
    cli/sample_targets.cc  # --netns/--pid targets of the sampler (exporter, watch)
    cli/usage_definition.cc)  # man pages and completions (help-man, completion)
# Subcommands built for Windows; any other cli/cmd_*.cc is Linux-only.
set(TIMEWAIT_WINDOWS_COMMANDS cmd_census.cc cmd_doctor.cc cmd_explain.cc)
# The tests the Windows build runs under wine (with every `*_win32_test.cc`): those that need
# no namespace, real socket or Linux header. Any other test, and a new one until added here, is
# Linux-only.
set(TIMEWAIT_WINDOWS_TESTS
    model/model_test.cc model/safe_text_test.cc
    sources/procfs_tcp_test.cc sources/windows_facts_test.cc sources/windows_settings_test.cc
    census/census_test.cc census/forecast_test.cc census/table_test.cc
    import/detect_test.cc import/netstat_bsd_test.cc import/netstat_linux_test.cc
    import/netstat_windows_test.cc import/powershell_test.cc import/ss_text_test.cc
    doctor/render_test.cc doctor/reserved_ports_test.cc doctor/topics_test.cc
    doctor/rule_close_wait_test.cc doctor/rule_conntrack_test.cc
    doctor/rule_ephemeral_range_test.cc doctor/rule_fin_timeout_test.cc
    doctor/rule_listener_in_range_test.cc doctor/rule_max_tw_buckets_test.cc
    doctor/rule_orphans_test.cc doctor/rule_port_pressure_test.cc
    doctor/rule_server_time_wait_test.cc doctor/rule_so_linger_test.cc
    doctor/rule_syn_into_time_wait_test.cc doctor/rule_syn_recv_test.cc
    doctor/rule_timestamps_test.cc doctor/rule_tw_recycle_test.cc doctor/rule_tw_reuse_test.cc
    doctor/rule_windows_test.cc doctor/harmful_values_test.cc doctor/text_diff_test.cc)

# Drops from the list in `var` the cli/cmd_*.cc files not in TIMEWAIT_WINDOWS_COMMANDS.
function(timewait_windows_commands var)
  set(kept)
  foreach(f IN LISTS ${var})
    get_filename_component(n ${f} NAME)
    if(n MATCHES "^cmd_" AND NOT n MATCHES "_win32\\.cc$" AND NOT n IN_LIST TIMEWAIT_WINDOWS_COMMANDS)
      continue()
    endif()
    list(APPEND kept ${f})
  endforeach()
  set(${var} ${kept} PARENT_SCOPE)
endfunction()
