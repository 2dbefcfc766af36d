// SPDX-License-Identifier: Apache-2.0
// `timewait trace --summary`: what the kernel counted, per process and tuple, turned into rows
// with rates and "who closes first". Pure: fed with the kernel side's map entries.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/trace_events.h"
#include "model/endpoint.h"
#include "trace/trace_event.h"

namespace tw {

struct FlowCounts {
  uint64_t connects = 0;                // connect() calls that reached ESTABLISHED
  uint64_t active_closes = 0;           // closed first by this process: each leaves it a TIME_WAIT
  uint64_t passive_closes = 0;          // closed after the peer: the TIME_WAIT is the peer's
  uint64_t bind_before_connect = 0;     // connect() on a socket that held a local port already
  std::map<int, uint64_t> failed;       // errno -> failed connect() calls
  std::map<int, uint64_t> bind_failed;  // errno -> failed bind() calls (EADDRINUSE: no free port)

  uint64_t failed_total() const;
  uint64_t bind_failed_total() const;
  void add(const FlowCounts& o);
};

// Who closes first, from the closes counted: "this process", "peer", "both", or "" (no close).
std::string_view closes_first(const FlowCounts& c);

// One process on one tuple. Clients: local address (port 0), remote address and port. Servers:
// local address and port, remote address (port 0). Unknown role (the socket was opened before
// tracing began): both ports.
struct TraceFlow {
  int pid = 0;
  std::string comm;
  TraceRole role = TraceRole::kUnknown;
  Endpoint local, remote;
  FlowCounts counts;
  uint64_t cgroup_id = 0;  // the process's cgroup v2 id
  PodRef pod;              // filled by PodAttributor
};

struct TraceProcess {
  int pid = 0;
  std::string comm;
  FlowCounts counts;
  uint64_t cgroup_id = 0;
  PodRef pod;
};

// What the kernel side could not keep: never silent (see tw_stat).
struct TraceLoss {
  uint64_t events = 0;   // ring buffer full
  uint64_t keys = 0;     // summary map full
  uint64_t sockets = 0;  // socket-owner map full
  uint64_t total() const { return events + keys + sockets; }
};

struct TraceSummary {
  double seconds = 0;
  std::vector<TraceFlow> flows;  // most TIME_WAITs made and failures first
  TraceLoss lost;

  // Totals per (pid, comm), same order rule.
  std::vector<TraceProcess> processes() const;
};

// Collects the kernel's flow and failure map entries into one row per flow.
class SummaryBuilder {
 public:
  void add_flow(const tw_flow_key& key, const tw_flow_counts& counts);
  void add_failure(const tw_fail_key& key, uint64_t count);
  TraceSummary finish(double seconds, const TraceLoss& lost) const;

 private:
  struct Id {
    int pid;
    uint64_t cgroup_id;
    std::string comm;
    TraceRole role;
    Endpoint local, remote;
    auto operator<=>(const Id&) const = default;
  };
  static Id id_of(const tw_flow_key& key);
  std::map<Id, FlowCounts> flows_;
};

}  // namespace tw
