// SPDX-License-Identifier: Apache-2.0
// Every network namespace on the host, for `--all-netns`: the named ones (/run/netns, as
// `ip netns add` makes them) and those only processes hold (/proc/PID/ns/net: containers), one
// entry per namespace (deduplicated by the namespace's inode), so a node's every pool is covered.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/result.h"

namespace tw {

struct NetnsRef {
  std::string name;  // under /run/netns; empty when only a process names it
  int pid = 0;       // the lowest pid in it, when it has no name (0 otherwise)
  uint64_t inode = 0;
  bool self = false;  // the caller's own namespace (name and pid empty: "host")
  std::string comm;   // /proc/PID/comm of `pid`, to tell containers apart
};

// The caller's namespace first, then named namespaces by name, then unnamed ones by pid. A name
// that is not a namespace (a stale file under /run/netns) and processes that vanish while being
// read are skipped. Paths are injectable for tests. Fails only when `proc` cannot be listed.
Result<std::vector<NetnsRef>> list_network_namespaces(
    const std::string& run_netns = "/run/netns", const std::string& proc = "/proc",
    const std::string& self = "/proc/thread-self/ns/net");

}  // namespace tw
