// SPDX-License-Identifier: Apache-2.0
// What `timewait trace` reports, as plain data: a TCP state transition, a failed connect() or a
// bind-before-connect, attributed to a process only where the kernel ran it in that process's
// context (see src/bpf/trace.bpf.c). Decoded from the kernel side's fixed C layout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bpf/trace_events.h"
#include "model/endpoint.h"
#include "model/tcp_state.h"

namespace tw {

enum class TraceRole : uint8_t { kUnknown = TW_ROLE_UNKNOWN, kClient, kServer };

// "client", "server", "unknown".
std::string_view role_name(TraceRole r);

enum class TraceEventKind : uint8_t {
  kState = TW_EV_STATE,
  kConnectFailed = TW_EV_CONNECT_FAILED,
  kBindBeforeConnect = TW_EV_BIND_CONNECT,
  kBindFailed = TW_EV_BIND_FAILED,
};

// How the event's process was known.
enum class Attribution : uint8_t {
  kNone,    // nobody: softirq transition of a socket whose owner was never seen
  kCaller,  // the process was on the CPU in its own context (connect, close)
  kOwner,   // the owner remembered for the socket from an earlier caller-context transition
};

// The Kubernetes pod and container of a process, from its cgroup (trace/pod_attribution.h); all
// empty when it is in none.
struct PodRef {
  std::string uid;
  std::string namespace_name, name;  // "" when kubelet's log directory names no pod of that UID
  std::string container;             // the container's name, else its ID's first 12 characters
  std::string container_id;
  bool empty() const { return uid.empty(); }
  // "shop/cart" (or the UID when unnamed).
  std::string ref() const { return name.empty() ? uid : namespace_name + "/" + name; }
};

struct TraceEvent {
  TraceEventKind kind = TraceEventKind::kState;
  uint64_t ts_ns = 0;  // CLOCK_MONOTONIC
  uint64_t skaddr = 0;
  int pid = 0;  // 0: unknown
  std::string comm;
  Attribution attribution = Attribution::kNone;
  TraceRole role = TraceRole::kUnknown;
  Endpoint local, remote;
  // kState: kernel state numbers, TcpState's values (the kernel has internal ones past 11).
  uint8_t from = 0, to = 0;
  int err = 0;             // kConnectFailed: errno
  uint64_t cgroup_id = 0;  // the process's cgroup v2 id, 0 when unknown
  PodRef pod;              // filled by PodAttributor, not by decode_event
};

TraceEvent decode_event(const tw_event& raw);

// Address from the kernel side's 16 bytes (IPv4 in the first 4).
Address decode_address(uint8_t family, const uint8_t bytes[16]);
// The command name from a fixed, maybe unterminated, 16-byte buffer.
std::string decode_comm(const char comm[TW_COMM_LEN]);

// "ESTABLISHED", "FIN_WAIT1" as the kernel names them; "state 12" for its internal ones.
std::string state_label(uint8_t state);

// "EADDRNOTAVAIL" (or "errno 123" when the name is not known).
std::string errno_name(int err);

}  // namespace tw
