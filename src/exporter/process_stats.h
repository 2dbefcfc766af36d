// SPDX-License-Identifier: Apache-2.0
// The exporter's own process, as every Prometheus client library exports it (client_golang's
// process collector: the same names, units and types), so the dashboards and alerts written for
// any exporter's CPU, memory and descriptors work on this one. Read from /proc/PID.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exporter/exposition.h"
#include "model/result.h"

namespace tw {

struct ProcessStats {
  double cpu_seconds = 0;          // user + system time (stat fields 14, 15)
  int64_t resident_bytes = 0;      // stat field 24 (pages) x page size
  int64_t virtual_bytes = 0;       // stat field 23
  int64_t open_fds = 0;            // entries of fd/
  std::optional<int64_t> max_fds;  // limits: "Max open files", the soft limit (absent: unlimited)
  double start_time_seconds = 0;   // since the epoch: /proc/stat btime + stat field 22
};

// `proc_dir` is /proc/self, or /proc/PID for another process (the tests read a child's).
Result<ProcessStats> read_process_stats(const std::string& proc_dir = "/proc/self");

// Declares the process_* families and adds their series (no labels).
void render_process_stats(const ProcessStats& p, Exposition& out);
std::vector<std::string> process_family_names();

}  // namespace tw
