// SPDX-License-Identifier: Apache-2.0
// Which pod and container a traced process is in: the cgroup v2 id the kernel put in the event,
// mapped to its path (sources/cgroup_paths.h) and read as kubelet's layout
// (pod_of_cgroup_path); where the id maps to no pod (a process placed by a cgroup v1 hierarchy
// alone, or outside pods) the process's /proc/PID/cgroup while it lives. Names come from
// kubelet's log directories (sources/pods.h), re-read when a new pod appears.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sources/cgroup_paths.h"
#include "sources/pod_target.h"
#include "sources/pods.h"
#include "trace/summary.h"
#include "trace/trace_event.h"

namespace tw {

class PodAttributor {
 public:
  explicit PodAttributor(const HostPaths& paths);
  // The pod and container of a process (pid 0: unknown) in cgroup `cgroup_id` (0: unknown).
  PodRef of(int pid, uint64_t cgroup_id);
  void attribute(TraceEvent* e) { e->pod = of(e->pid, e->cgroup_id); }
  // Every flow of the summary; true when any maps to a pod.
  bool attribute(TraceSummary* s);
  const std::string& cgroup2() const { return cgroups_.mount(); }
  // kubelet's log directory names pods: this node runs some.
  bool node_runs_pods() const { return !names_.by_uid.empty(); }

 private:
  std::optional<CgroupPod> pod_of(int pid, uint64_t cgroup_id);
  PodRef ref_of(const CgroupPod& pod);

  PodPaths paths_;
  CgroupPaths cgroups_;
  std::map<uint64_t, CgroupPod> by_cgroup_;
  std::map<uint64_t, bool> not_pod_;  // found, and no pod's: asked of the process instead
  struct PidEntry {
    std::optional<CgroupPod> pod;
    std::chrono::steady_clock::time_point read;
  };
  std::map<int, PidEntry> by_pid_;
  PodNames names_;
  std::map<std::string, std::string> container_names_;
  std::chrono::steady_clock::time_point names_read_{};
};

// What `trace --pod` of a hostNetwork pod filters on in the kernel: the cgroup v2 ids of the
// pod's cgroup and every cgroup below it (new containers included), and its processes' pids for
// those placed outside the v2 hierarchy. At most kMaxPodFilter of each.
inline constexpr size_t kMaxPodFilter = 1024;
struct PodFilterSet {
  std::vector<uint64_t> cgroup_ids;
  std::vector<int> pids;
};
PodFilterSet pod_filter_set(const PodTarget& pod, const HostPaths& paths);

}  // namespace tw
