// SPDX-License-Identifier: Apache-2.0
#include "trace/pod_attribution.h"

#include <fmt/format.h>

#include <algorithm>

#include "os/read_file.h"

namespace tw {

namespace {
constexpr size_t kMaxCached = 65536;
constexpr auto kRecheck = std::chrono::seconds(1);  // a pid or pod not known yet
constexpr auto kNamesEvery = std::chrono::seconds(2);

std::optional<CgroupPod> pod_of_pid(const std::string& procfs, int pid) {
  auto text = os::read_file(fmt::format("{}/{}/cgroup", procfs, pid), 64 * 1024);
  if (!text) return std::nullopt;
  return pod_of_proc_cgroup(*text);
}
}  // namespace

PodAttributor::PodAttributor(const HostPaths& paths)
    : paths_(paths.pods()), cgroups_(cgroup2_mount(paths.procfs)) {
  names_ = read_pod_names(paths_.pod_logs);
  container_names_ = read_container_names(paths_.container_logs);
  names_read_ = std::chrono::steady_clock::now();
}

std::optional<CgroupPod> PodAttributor::pod_of(int pid, uint64_t cgroup_id) {
  if (cgroup_id) {
    if (auto it = by_cgroup_.find(cgroup_id); it != by_cgroup_.end()) return it->second;
    if (!not_pod_.count(cgroup_id))
      if (auto path = cgroups_.path_of(cgroup_id)) {
        if (by_cgroup_.size() + not_pod_.size() >= kMaxCached) {
          by_cgroup_.clear();
          not_pod_.clear();
        }
        if (auto pod = pod_of_cgroup_path(*path)) return by_cgroup_[cgroup_id] = *pod;
        not_pod_[cgroup_id] = true;
      }
  }
  if (pid <= 0) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  auto it = by_pid_.find(pid);
  if (it != by_pid_.end() && (it->second.pod || now - it->second.read < kRecheck))
    return it->second.pod;
  if (by_pid_.size() >= kMaxCached) by_pid_.clear();
  PidEntry& e = by_pid_[pid];
  e.pod = pod_of_pid(paths_.procfs, pid);
  e.read = now;
  return e.pod;
}

PodRef PodAttributor::ref_of(const CgroupPod& pod) {
  PodRef r{.uid = pod.uid, .container_id = pod.container_id};
  auto now = std::chrono::steady_clock::now();
  if (!names_.by_uid.count(pod.uid) && now - names_read_ >= kNamesEvery) {
    names_ = read_pod_names(paths_.pod_logs);
    container_names_ = read_container_names(paths_.container_logs);
    names_read_ = now;
  }
  if (auto it = names_.by_uid.find(pod.uid); it != names_.by_uid.end()) {
    r.namespace_name = it->second.namespace_name;
    r.name = it->second.name;
  }
  auto c = container_names_.find(pod.container_id);
  r.container = c != container_names_.end() ? c->second : pod.container_id.substr(0, 12);
  return r;
}

PodRef PodAttributor::of(int pid, uint64_t cgroup_id) {
  auto pod = pod_of(pid, cgroup_id);
  return pod ? ref_of(*pod) : PodRef{};
}

bool PodAttributor::attribute(TraceSummary* s) {
  bool any = false;
  for (TraceFlow& f : s->flows) {
    f.pod = of(f.pid, f.cgroup_id);
    any = any || !f.pod.empty();
  }
  return any;
}

PodFilterSet pod_filter_set(const PodTarget& pod, const HostPaths& paths) {
  PodFilterSet out;
  CgroupPaths cgroups(cgroup2_mount(paths.procfs));
  std::string systemd_uid = pod.uid;
  std::replace(systemd_uid.begin(), systemd_uid.end(), '-', '_');
  std::vector<std::string> roots;
  for (const PodProcess& p : pod.processes) {
    if (out.pids.size() < kMaxPodFilter) out.pids.push_back(p.pid);
    auto text = os::read_file(fmt::format("{}/{}/cgroup", paths.procfs, p.pid), 64 * 1024);
    if (!text || cgroups.mount().empty()) continue;
    // The v2 line, "0::<path>": the pod's own cgroup is the component naming its UID.
    size_t at = text->find("0::");
    if (at != 0 && (at == std::string::npos || (*text)[at - 1] != '\n')) continue;
    std::string path = text->substr(at + 3, text->find('\n', at) - at - 3);
    if (!pod_of_cgroup_path(path)) continue;
    size_t u = path.find("pod" + pod.uid);
    if (u == std::string::npos) u = path.find("pod" + systemd_uid);
    if (u == std::string::npos) continue;
    size_t end = path.find('/', u);
    roots.push_back(path.substr(0, end));
  }
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  for (const std::string& r : roots)
    for (uint64_t id : cgroups.ids_under(r, kMaxPodFilter - out.cgroup_ids.size()))
      out.cgroup_ids.push_back(id);
  return out;
}

}  // namespace tw
