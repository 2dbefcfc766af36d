// SPDX-License-Identifier: Apache-2.0
#include "sources/pod_target.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "model/safe_text.h"

namespace tw {

Status check_pod_ref(const std::string& ref) {
  size_t slash = ref.find('/');
  if (slash == std::string::npos || !is_dns_label(ref.substr(0, slash)) ||
      !is_dns_subdomain(ref.substr(slash + 1)))
    return fail(fmt::format(
        "--pod '{}' is not NAMESPACE/NAME (as `kubectl get pod -n NAMESPACE NAME` names it: "
        "lowercase letters, digits, '-' and '.')",
        printable_line(clipped(ref, 300))));
  return {};
}

std::string pod_phrase(const std::string& ref, bool host_network) {
  if (!host_network) return "pod " + ref;
  return fmt::format(
      "pod {}, hostNetwork: the host's namespace, shared with the host and its other hostNetwork "
      "pods",
      ref);
}

Result<PodTarget> resolve_pod(const std::string& ref, const PodMap& map,
                              const std::string& pod_logs) {
  if (auto st = check_pod_ref(ref); !st) return fail(st.error());
  size_t slash = ref.find('/');
  std::string ns = ref.substr(0, slash), name = ref.substr(slash + 1);

  // The UIDs with processes on this node (a pod restarted under the same name has a new UID; the
  // old one's log directory may linger without processes).
  std::map<std::string, std::vector<const PodProcess*>> running;
  for (const auto& [inode, n] : map.by_netns)
    for (const auto& p : n.processes) running[p.pod.uid].push_back(&p);

  std::vector<std::string> uids;
  for (const auto& [uid, pod] : map.names.by_uid)
    if (pod.namespace_name == ns && pod.name == name) uids.push_back(uid);
  std::erase_if(uids, [&](const std::string& u) { return !running.count(u); });
  if (uids.empty()) {
    bool logged = std::any_of(map.names.by_uid.begin(), map.names.by_uid.end(), [&](auto& e) {
      return e.second.namespace_name == ns && e.second.name == name;
    });
    if (logged)
      return fail(fmt::format(
          "pod {} has a directory in {} but no running process on this node (it ended, or "
          "its containers have not started): run `kubectl get pod -n {} {} -o wide` to see "
          "where it runs",
          ref, printable_line(pod_logs), ns, name));
    // Named pods with processes: the same namespace's first, then by name.
    std::vector<std::pair<bool, std::string>> found;
    for (const auto& [uid, procs] : running)
      if (const PodName* n = map.name_of(uid))
        found.emplace_back(n->namespace_name != ns, n->namespace_name + "/" + n->name);
    std::sort(found.begin(), found.end());
    size_t unnamed = running.size() - found.size();
    std::string list;
    for (size_t i = 0; i < found.size() && i < kPodSuggestions; ++i)
      list += (i ? ", " : "") + found[i].second;
    if (found.size() > kPodSuggestions)
      list += fmt::format(" and {} more", found.size() - kPodSuggestions);
    std::string unnamed_text = unnamed
                                   ? fmt::format("; {} more with processes but no directory in {}",
                                                 unnamed, printable_line(pod_logs))
                                   : "";
    if (found.empty())
      return fail(fmt::format(
          "no pod {} on this node: no running pod is named in {}{} (is this a Kubernetes node? "
          "in a container, give the host's / with --path.rootfs and its /proc with "
          "--path.procfs)",
          ref, printable_line(pod_logs), unnamed_text));
    return fail(fmt::format("no pod {} on this node: {} running pod{} found: --pod {}{}", ref,
                            found.size(), found.size() == 1 ? "" : "s", list, unnamed_text));
  }
  // Two UIDs of one name both running: the newer directory is not knowable from here; refuse.
  if (uids.size() > 1)
    return fail(fmt::format(
        "{} pods named {} run on this node (UIDs {}): a pod is being replaced; try again in a "
        "moment",
        uids.size(), ref, fmt::join(uids, ", ")));

  PodTarget t{.namespace_name = ns, .name = name, .uid = uids.front()};
  const auto& procs = running.at(t.uid);
  // The pod's namespace: the one holding most of its processes that is not the host's; only
  // the host's for a hostNetwork pod.
  std::map<uint64_t, size_t> per_ns;
  for (const auto& [inode, n] : map.by_netns)
    for (const auto& p : n.processes)
      if (p.pod.uid == t.uid && !n.host) ++per_ns[inode];
  if (per_ns.empty()) {
    t.host_network = true;
    for (const auto& [inode, n] : map.by_netns)
      if (n.host) t.netns_inode = inode;
  } else {
    t.netns_inode = std::max_element(per_ns.begin(), per_ns.end(), [](auto& a, auto& b) {
                      return a.second < b.second;
                    })->first;
  }
  for (const PodProcess* p : procs) t.processes.push_back(*p);
  std::sort(t.processes.begin(), t.processes.end(), [](auto& a, auto& b) { return a.pid < b.pid; });
  for (const auto& p : map.by_netns.at(t.netns_inode).processes)
    if (p.pod.uid == t.uid && (!t.pid || p.pid < t.pid)) t.pid = p.pid;
  return t;
}

Result<PodTarget> find_pod(const std::string& ref, const HostPaths& paths) {
  if (auto st = check_pod_ref(ref); !st) return fail(st.error());
  PodPaths pp = paths.pods();
  auto map = map_pods(pp);
  if (!map) return fail(map.error());
  return resolve_pod(ref, *map, pp.pod_logs);
}

std::map<int, ProcessPod> pods_of_processes(const std::vector<int>& pids, const HostPaths& paths) {
  std::map<int, ProcessPod> out;
  const PodPaths pp = paths.pods();
  std::error_code ec;
  if (pids.empty() || !std::filesystem::is_directory(pp.pod_logs, ec)) return out;
  auto map = map_pods(pp);
  if (!map) return out;
  for (int pid : pids) {
    const PodProcess* p = map->process(pid);
    if (!p) continue;
    const PodName* n = map->name_of(p->pod.uid);
    if (!n) continue;  // a UID kubelet wrote no directory for: nothing is guessed
    out[pid] = {n->namespace_name + "/" + n->name, map->container_name(p->pod.container_id)};
  }
  return out;
}

}  // namespace tw
