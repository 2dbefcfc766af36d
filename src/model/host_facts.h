// SPDX-License-Identifier: Apache-2.0
// What a census or the doctor knows about a host besides its sockets: kernel settings, the
// kernel's socket counters, where the data came from. Filled from the live kernel
// (sources/host_reader.h), from a snapshot, or partly from an imported dump; a field that was not
// available stays empty, and rules that need it say "not checked" instead of guessing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tw {

// /proc/net/sockstat and sockstat6 (TCP lines). inuse and tw are per network namespace; orphan,
// alloc and mem are global to the host.
struct Sockstat {
  int64_t inuse = 0, orphan = 0, tw = 0, alloc = 0, mem = 0;
  int64_t inuse6 = 0;  // sockstat6 "TCP6: inuse"
};

struct HostFacts {
  std::string os;        // "linux", "windows", "macos", "freebsd", or "" when unknown
  std::string hostname;  // may be empty
  std::string kernel;    // uname release, e.g. "6.1.0-18-amd64"
  std::string netns;     // "host", a netns name, or "pid:1234"
  std::string pod;       // "namespace/name" when the namespace was chosen as a pod's (--pod)
  bool pod_host_network = false;  // that pod is hostNetwork: `netns` is the host's, shared
  std::string source;    // how sockets were read: "netlink", "proc", "import:ss", "snapshot", ...
  std::string captured_at;  // ISO 8601 UTC

  // sysctl name in dotted form ("net.ipv4.tcp_tw_reuse") -> value as the kernel prints it
  // (whitespace between fields folded to one space). Absent key: the sysctl does not exist or was
  // not captured.
  std::map<std::string, std::string> sysctls;
  std::optional<Sockstat> sockstat;
  // /proc/net/netstat TcpExt counters ("TW", "TCPTimeWaitOverflow", ...) and /proc/net/snmp Tcp
  // counters prefixed "Tcp." ("Tcp.OutRsts").
  std::map<std::string, int64_t> counters;
  // Windows only: registry values under Tcpip\Parameters and the dynamic port range.
  std::map<std::string, int64_t> windows_params;

  std::optional<std::string> sysctl(const std::string& name) const;
  std::optional<int64_t> sysctl_int(const std::string& name) const;
};

// "netns NAME" for output headers, with the pod when there is one: "netns pid:42 (pod shop/cart)";
// a hostNetwork pod's says the namespace is the host's, shared. Printable. "" without a netns.
std::string netns_title(const HostFacts& f);

// The sysctls a census snapshot captures (all that the doctor reads).
const char* const* relevant_sysctls();

}  // namespace tw
