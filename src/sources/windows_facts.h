// SPDX-License-Identifier: Apache-2.0
// What the Windows build knows about its host besides sockets (sources/host_reader_win32.cc):
// Tcpip\Parameters registry values (RegGetValueW), the dynamic port ranges (`netsh int ipv4|ipv6
// show dynamicport tcp`, read by sources/windows_settings), GetTcpStatisticsEx counters and the
// System log's events 4227 and 4231 (EvtQuery). Each source is a function, so tests can stand in
// for what wine cannot show (no netsh output, an EvtQuery stub); a source that fails leaves its
// keys out, and the doctor says "not checked".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "model/host_facts.h"
#include "model/result.h"

namespace tw {

// Keys in HostFacts::windows_params besides the registry's own value names.
inline constexpr const char* kWinRegistryRead = "RegistryRead";  // 1: Tcpip\Parameters was opened
inline constexpr const char* kWinEventWindow = "EventWindowSeconds";  // events were counted
inline constexpr const char* kWinEvent4227 = "Event4227";  // TIME_WAIT collisions in the window
inline constexpr const char* kWinEvent4231 = "Event4231";  // ephemeral ports exhausted

// The Tcpip\Parameters values timewait reads.
inline constexpr const char* kWinRegistryValues[] = {"TcpTimedWaitDelay", "MaxUserPort",
                                                     "TcpNumConnections", "StrictTimeWaitSeqCheck"};

// A DWORD of Tcpip\Parameters by name: nullopt when the value is not set; an error when the key
// cannot be read at all.
using RegistryFn = std::function<Result<std::optional<uint32_t>>(const std::string& name)>;
// The standard output of a command line; an error when it cannot be run.
using CommandFn = std::function<Result<std::string>(const std::string& command)>;
// How many events of the System log with this Tcpip event id happened in the last `seconds`.
using EventCountFn = std::function<Result<int64_t>(int event_id, int64_t seconds)>;

// Fills windows_params from each source; returns what could not be read, for a note ("" if all).
std::string add_registry_values(const RegistryFn& read, HostFacts* facts);
std::string add_dynamic_ports(const CommandFn& run, HostFacts* facts);
std::string add_event_counts(const EventCountFn& count, int64_t seconds, HostFacts* facts);

// The XPath query of the System log for one Tcpip event id over the last `seconds`.
std::wstring event_query(int event_id, int64_t seconds);

// The live sources (Windows build only).
Result<std::optional<uint32_t>> read_tcpip_parameter(const std::string& name);
Result<std::string> run_command(const std::string& command);
Result<int64_t> count_system_events(int event_id, int64_t seconds);

// "24h", "90m", "3600s", "2d" or plain seconds -> seconds (1 s to 366 days).
Result<int64_t> parse_event_window(const std::string& text);

}  // namespace tw
