// SPDX-License-Identifier: Apache-2.0
// What `timewait trace` needs from the host before it loads anything: the BPF build, kernel BTF
// (CO-RE relocates the kernel side's field accesses against it), CAP_BPF + CAP_PERFMON, and a
// tracefs to look tracepoints up in.
#pragma once

#include <string>

#include "model/result.h"

namespace tw {

struct TracePaths {
  std::string btf = "/sys/kernel/btf/vmlinux";
  std::string status = "/proc/self/status";  // CapEff
  std::string tracefs = "/sys/kernel/tracing";
  std::string debugfs_tracing = "/sys/kernel/debug/tracing";
};

// The first thing missing, as one sentence naming it and what to do; nothing changed on failure.
Status check_trace_requirements(const TracePaths& paths = {});

// Makes tracefs visible to this process: when it is not mounted, mounts it in a private mount
// namespace (the host's mount table is left as it was).
Status prepare_tracefs(const TracePaths& paths = {});

}  // namespace tw
