// SPDX-License-Identifier: Apache-2.0
// cgroup v2 ids (what bpf_get_current_cgroup_id() reports) back to paths in the hierarchy, by
// walking it: the id is the kernfs node's, which name_to_handle_at() returns as an 8-byte handle
// (and, on 64-bit kernels, the directory's inode number). On a hybrid host the v2 hierarchy is at
// /sys/fs/cgroup/unified, on a unified one at /sys/fs/cgroup: found in mountinfo.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tw {

// Where the cgroup2 file system is mounted for this process (the first "cgroup2" line of
// <procfs>/self/mountinfo whose root is "/"), or "" when it is not.
std::string cgroup2_mount(const std::string& procfs = "/proc");

// The cgroup v2 id of the cgroup directory `path`, or nullopt.
std::optional<uint64_t> cgroup_id_of(const std::string& path);

// Ids to paths (relative to the mount, starting with '/'), cached. A miss walks the hierarchy
// again, at most once per `rescan` and at most kMaxCgroups directories, kMaxDepth deep.
class CgroupPaths {
 public:
  static constexpr size_t kMaxCgroups = 200000;
  static constexpr int kMaxDepth = 32;
  explicit CgroupPaths(std::string mount,
                       std::chrono::milliseconds rescan = std::chrono::milliseconds(1000));
  const std::string& mount() const { return mount_; }
  std::optional<std::string> path_of(uint64_t id);
  // The ids of the cgroup at `rel` and of every cgroup below it, at most `limit`.
  std::vector<uint64_t> ids_under(const std::string& rel, size_t limit) const;
  size_t scans() const { return scans_; }

 private:
  void scan();
  std::string mount_;
  std::chrono::milliseconds rescan_;
  std::chrono::steady_clock::time_point last_scan_{};
  size_t scans_ = 0;
  std::map<uint64_t, std::string> paths_;
};

}  // namespace tw
