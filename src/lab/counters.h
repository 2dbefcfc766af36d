// SPDX-License-Identifier: Apache-2.0
// What the kernel of one lab namespace says: its TcpExt and Tcp counters (/proc/net/netstat and
// /proc/net/snmp, read from a thread inside the namespace through /proc/thread-self/net, since
// /proc/self/net follows the thread-group leader) and a census of its sockets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "census/census.h"
#include "lab/namespace.h"
#include "model/result.h"

namespace tw::lab {

struct Counters {
  std::map<std::string, int64_t> values;  // "TW", "TCPAbortOnData", "Tcp.OutRsts", ...
  int64_t get(const std::string& name) const;
};

Result<Counters> read_counters(const Netns& ns);
// after - before, for every counter in after.
Counters operator-(const Counters& after, const Counters& before);

// A census of the namespace's TCP sockets (inet_diag, else /proc/net/tcp).
Result<Census> take_census(const Netns& ns, GroupBy by = GroupBy::kState);
// The namespace's sockets in `states`, each with its timer (a lab namespace holds few).
Result<std::vector<Socket>> list_sockets(const Netns& ns, StateMask states);
// Sockets in `state` among the census groups whose key matches local or remote port (0 = any).
int64_t count_in(const Census& census, TcpState state, uint16_t local_port, uint16_t remote_port);

}  // namespace tw::lab
