// SPDX-License-Identifier: Apache-2.0
// The live tracer behind a small interface: load the kernel side, stream its events or read what
// it counted. tracer_bpf.cc is the libbpf implementation; tracer_nobpf.cc stands in when the
// binary was built without the BPF toolchain (the build picks one).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/result.h"
#include "model/state_mask.h"
#include "trace/summary.h"
#include "trace/trace_event.h"

namespace tw {

// What the kernel side lets through. Filters run in the kernel, so filtered events cost nothing
// to copy out.
struct TraceFilter {
  uint32_t netns_inode = 0;  // network namespace inode; 0: every namespace
  int pid = 0;               // 0: every process
  std::string comm;          // "" : every command; at most 15 characters
  uint16_t dport = 0;        // remote port of connects, local port of accepted sockets; 0: any
  StateMask states = StateMask::all();  // streamed transitions, by the state entered
  // trace --pod of a hostNetwork pod (trace/pod_attribution.h, pod_filter_set): only processes in
  // these cgroups (v2 ids) or with these pids.
  bool pod_only = false;
  std::vector<uint64_t> pod_cgroups;
  std::vector<int> pod_pids;
};

struct TracerOptions {
  TraceFilter filter;
  bool summary = false;  // count in the kernel instead of streaming events
};

class Tracer {
 public:
  virtual ~Tracer() = default;  // detaches the programs and frees the maps

  // Loads and attaches; prepare_tracing() must have succeeded.
  static Result<std::unique_ptr<Tracer>> open(const TracerOptions& options);

  // Hands every queued event to `sink`, waiting up to timeout_ms for the kernel's wake-up (it
  // wakes the reader once a batch has piled up, so a quiet trace is read on this timer).
  virtual Status poll(int timeout_ms, const std::function<void(const TraceEvent&)>& sink) = 0;
  // What --summary counted so far, and what was lost.
  virtual Result<TraceSummary> summary(double seconds) = 0;
  virtual Result<TraceLoss> lost() = 0;
};

// Whether this binary holds the kernel side.
bool tracer_built();

}  // namespace tw
