// SPDX-License-Identifier: Apache-2.0
// Reads HostFacts (sysctls, sockstat, TcpExt counters, kernel, hostname) from the live kernel, for
// the network namespace of the calling thread.
#pragma once

#include <string>

#include "model/host_facts.h"

namespace tw {

HostFacts read_host_facts();

// Reads one sysctl of the calling thread's namespace by dotted name; nullopt if it does not exist.
std::optional<std::string> read_sysctl(const std::string& dotted_name);

// /proc/net/sockstat and sockstat6 of the calling thread's namespace; nullopt if unreadable.
std::optional<Sockstat> read_sockstat();

// Parses /proc/net/sockstat and sockstat6 text.
Sockstat parse_sockstat(const std::string& sockstat, const std::string& sockstat6);
// Parses /proc/net/netstat or /proc/net/snmp text (pairs of header and value lines) into
// HostFacts::counters: TcpExt counters under their bare name ("TW"), Tcp counters as "Tcp.X".
void parse_counters(const std::string& text, std::map<std::string, int64_t>* out);

}  // namespace tw
