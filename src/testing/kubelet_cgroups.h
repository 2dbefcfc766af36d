// SPDX-License-Identifier: Apache-2.0
// Test pods in real cgroups at the paths kubelet makes (../shared/FACTS.md, "Kubernetes nodes"):
// the hierarchies to make them in, per-run pod UIDs and container IDs, the directories made and
// removed deepest first, and a killed run's leftovers found again by each suite's own UID mark.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace tw::testing {

// cgroup v2: /sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on a unified one ("" if
// none); a cgroup v1 hierarchy ("" on a v2-only host).
std::string cgroup2_root();
std::string cgroup1_root();

// A pod UID of this run, "<mark><n:04x>-0000-4000-8000-<pid:012x>": `mark` (4 hex digits) is the
// suite's own, so its killed runs' cgroups are found again and no other suite's are touched.
std::string pod_uid(std::string_view mark, int n);
// A container (or sandbox) ID of this run: 64 hex digits.
std::string container_id(int n);
// The UID as the systemd driver writes it in a slice name ('_' for '-').
std::string systemd_uid(std::string uid);

// Removes the cgroups under root's kubepods.slice and kubepods whose pod UID carries `mark` and
// whose run (the pid in the UID) has ended, deepest first (rmdir removes only empty ones): a run
// still going (ctest may run suites at once) keeps its own.
void remove_stale_pod_cgroups(const std::string& root, std::string_view mark);

// Makes the missing directories of root/rel (a failure fails the test); removes them, deepest
// first, at the end: declared before the processes moved into them, so they are reaped first.
class CgroupDirs {
 public:
  CgroupDirs() = default;
  CgroupDirs(const CgroupDirs&) = delete;
  CgroupDirs& operator=(const CgroupDirs&) = delete;
  ~CgroupDirs();
  std::string make(const std::string& root, const std::string& rel);

 private:
  std::vector<std::string> made_;
};

// Writes pid into the cgroup's cgroup.procs (a failure fails the test).
void move_into_cgroup(const std::string& cgroup, pid_t pid);

}  // namespace tw::testing
