// SPDX-License-Identifier: Apache-2.0
#include "exporter/netns_labels.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "os/netns.h"
#include "sources/netns.h"

namespace tw {

namespace {

// The first name in order a namespace has under run_netns (as netns_identity_of_self takes it),
// "" when it has none.
std::string name_under(const std::string& run_netns, uint64_t inode) {
  std::string name;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(run_netns, ec)) {
    struct stat st;
    const std::string n = e.path().filename().string();
    if (inode && stat(e.path().c_str(), &st) == 0 && st.st_ino == inode &&
        (name.empty() || n < name))
      name = n;
  }
  return name;
}

}  // namespace

std::string stable_netns_label(const NetnsRef& ref, uint64_t host_inode) {
  if (!ref.inode && !ref.self) return ref.name.empty() ? fmt::format("pid:{}", ref.pid) : ref.name;
  if (host_inode ? ref.inode == host_inode : ref.self) return "host";
  if (!ref.name.empty() && ref.name != "host") return ref.name;
  return fmt::format("netns:{}", ref.inode);
}

std::vector<NetnsLabels> label_namespaces(const std::vector<NetnsRef>& refs, uint64_t host_inode,
                                          const PodMap* pods) {
  std::vector<NetnsLabels> out(refs.size());
  std::set<std::string> taken;
  // Inode labels first: a /run/netns name spelt like one of them gives way, not the inode.
  for (size_t i = 0; i < refs.size(); ++i) {
    out[i].netns = stable_netns_label(refs[i], host_inode);
    if (refs[i].name.empty() || out[i].netns == "host") taken.insert(out[i].netns);
  }
  for (size_t i = 0; i < refs.size(); ++i) {
    if (refs[i].name.empty() || out[i].netns == "host") continue;
    if (!taken.insert(out[i].netns).second) out[i].netns = fmt::format("netns:{}", refs[i].inode);
  }
  if (!pods) return out;
  for (size_t i = 0; i < refs.size(); ++i) {
    if (out[i].netns == "host") continue;  // hostNetwork pods share it: it is no pod's
    auto uid = pods->pod_of_netns(refs[i].inode);
    if (!uid) continue;
    out[i].uid = *uid;
    if (const PodName* n = pods->name_of(*uid)) {
      out[i].namespace_name = n->namespace_name;
      out[i].pod = n->name;
    }
  }
  return out;
}

Result<std::vector<NetnsRef>> discover_netns(const HostPaths& paths) {
  auto refs = list_network_namespaces(paths.run_netns(), paths.procfs, "/proc/thread-self/ns/net");
  if (!refs || refs->empty() || !refs->front().self) return refs;
  // The list keeps the exporter's own namespace first and unnamed; a name it has under
  // /run/netns is its label (the first in order, as netns_identity_of_self takes it).
  refs->front().name = name_under(paths.run_netns(), refs->front().inode);
  return refs;
}

std::vector<NetnsRef> refs_of_targets(const std::vector<SampleTarget>& targets,
                                      const HostPaths& paths) {
  std::vector<NetnsRef> out;
  for (const auto& t : targets) {
    NetnsRef r{.name = t.netns, .pid = t.pid, .self = t.netns.empty() && !t.pid};
    const std::string path = r.self  ? "/proc/thread-self/ns/net"
                             : t.pid ? fmt::format("{}/{}/ns/net", paths.procfs, t.pid)
                                     : paths.run_netns() + "/" + t.netns;
    struct stat st;
    if (t.netns.find('/') == std::string::npos && stat(path.c_str(), &st) == 0) r.inode = st.st_ino;
    if (t.pid) {
      std::ifstream in(fmt::format("{}/{}/comm", paths.procfs, t.pid));
      std::getline(in, r.comm);
    }
    if (r.self) r.name = name_under(paths.run_netns(), r.inode);  // as discovery names it
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<NetnsLabels> label_node(const std::vector<NetnsRef>& refs, const HostPaths& paths) {
  const uint64_t host = host_netns_inode(paths.procfs).value_or(0);
  // No kubelet log tree, no pod to name: the walk of every process's cgroup is skipped.
  std::error_code ec;
  if (!std::filesystem::is_directory(paths.pods().pod_logs, ec))
    return label_namespaces(refs, host, nullptr);
  auto pods = map_pods(paths.pods());
  return label_namespaces(refs, host, pods ? &*pods : nullptr);
}

void FoundInodes::set(const std::vector<NetnsRef>& refs) {
  std::map<std::pair<std::string, int>, uint64_t> m;
  for (const auto& r : refs)
    if (r.inode && !r.self) m[{r.name, r.name.empty() ? r.pid : 0}] = r.inode;
  std::lock_guard lock(mu_);
  inodes_ = std::move(m);
}

uint64_t FoundInodes::of(const SampleTarget& t) const {
  std::lock_guard lock(mu_);
  auto it = inodes_.find({t.netns, t.netns.empty() ? t.pid : 0});
  return it == inodes_.end() ? 0 : it->second;
}

NodeEnterFn enter_under(const HostPaths& paths, std::shared_ptr<const FoundInodes> found) {
  return [paths, found](const SampleTarget& target) -> Result<uint64_t> {
    if (target.netns.empty() && !target.pid) return netns_inode_of_self();
    auto ns = [&]() -> Result<os::Netns> {
      if (target.pid)
        return os::Netns::at(fmt::format("{}/{}/ns/net", paths.procfs, target.pid),
                             fmt::format("the network namespace of pid {}", target.pid));
      if (target.netns.find('/') != std::string::npos || target.netns == "." ||
          target.netns == "..")
        return fail(fmt::format("'{}' is not a network namespace name", target.netns));
      return os::Netns::at(paths.run_netns() + "/" + target.netns,
                           fmt::format("network namespace '{}'", target.netns));
    }();
    if (!ns) return fail(ns.error());
    struct stat st;
    if (fstat(ns->fd(), &st) != 0)
      return fail(fmt::format("{}: {}", ns->what(), std::strerror(errno)));
    const uint64_t want = found ? found->of(target) : 0;
    if (want && st.st_ino != want)
      return fail(fmt::format(
          "{} is no longer the one found (nsfs inode {}, was {}): its process was replaced; "
          "found again at the next discovery",
          ns->what(), st.st_ino, want));
    if (auto entered = ns->enter(); !entered) return fail(entered.error());
    return static_cast<uint64_t>(st.st_ino);
  };
}

}  // namespace tw
