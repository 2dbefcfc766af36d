// SPDX-License-Identifier: Apache-2.0
// Who a namespace's series are: the `netns` label that no restart of a process changes, and, for
// a pod's namespace, the `namespace`, `pod` (and on timewait_netns_info `uid`) labels
// kube-state-metrics and cAdvisor use, so series join. And where the node's files are when the
// exporter runs in a container (node_exporter's --path.procfs and --path.rootfs).
//
// `netns` values, one per kind of namespace:
//   "host"           the node's own (PID 1's under procfs; kthreadd's where PID 1's is hidden),
//                    whichever namespace the exporter itself runs in;
//   NAME             a name under <rootfs>/run/netns (`ip netns add`, CNI's cni-<uuid>): the
//                    name lives as long as the namespace;
//   "netns:<inode>"  any other: the nsfs inode lsns and /proc/PID/ns/net show, which lives as
//                    long as the namespace, whichever process holds it (not "pid:N", which changed
//                    on every restart of the lowest pid in it). The kernel may give the inode to
//                    a namespace made after this one is gone.
// A pod's namespace keeps its `netns` value as above and gains namespace/pod: the value never
// depends on whether the pod could be named at that moment.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sampler/sampler.h"
#include "sources/netns_list.h"
#include "sources/pods.h"

namespace tw {

// The host's files (HostPaths, sources/pods.h): only what names other namespaces and processes is
// read through them (process lists, /proc/PID/ns/net, /proc/PID/cgroup, /run/netns, the pods'
// log directories); a namespace's sysctls, sockstat and counters are read after setns() through
// the exporter's own /proc (/proc/sys/net and /proc/thread-self/net show the reading thread's
// namespace, whatever procfs mount they are read through).
struct NetnsLabels {
  std::string netns;
  // The pod whose namespace it is (PodMap::pod_of_netns); namespace_name and pod only when
  // kubelet's log directory names it. "" otherwise: those labels are then left out.
  std::string uid, namespace_name, pod;
};

// `netns` of one namespace (above); host_inode 0 (unknown): the exporter's own is "host", as
// before this label was stable.
std::string stable_netns_label(const NetnsRef& ref, uint64_t host_inode);

// Labels for each ref, in order. `pods` null: none mapped. No two refs get the same `netns` (a
// namespace named "host", or a name like another's "netns:<inode>", falls back to its inode).
std::vector<NetnsLabels> label_namespaces(const std::vector<NetnsRef>& refs, uint64_t host_inode,
                                          const PodMap* pods);

// --all-netns under the paths: <rootfs>/run/netns and <procfs>/*/ns/net; the exporter's own
// namespace first (through its own /proc/thread-self, which names the calling thread).
Result<std::vector<NetnsRef>> discover_netns(const HostPaths& paths);

// The namespaces of targets given by name (--netns) or process (--pid), or none (the exporter's
// own), as discovery describes them, so they are labelled alike. A target that cannot be read
// now keeps inode 0 (its read fails and says why; its `netns` is then its name or "pid:N").
std::vector<NetnsRef> refs_of_targets(const std::vector<SampleTarget>& targets,
                                      const HostPaths& paths);

// Labels of discovered namespaces with their pods mapped under the paths. A map that fails
// (procfs unreadable) leaves the pod labels out; the netns values stay. Without
// <rootfs>/var/log/pods (no kubelet) no pod is mapped: that walk of every process is skipped.
std::vector<NetnsLabels> label_node(const std::vector<NetnsRef>& refs, const HostPaths& paths);

// The namespace each target was in when last discovered. A census then reads that namespace or
// none: a process that exits, and whose pid another process in another namespace gets, before the
// next discovery would otherwise be read under the label of a namespace it is not in.
class FoundInodes {
 public:
  void set(const std::vector<NetnsRef>& refs);
  uint64_t of(const SampleTarget& target) const;  // 0: not known
 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> inodes_;  // (name, pid) -> inode
};

// Enters the calling thread into a target's namespace through the paths (<procfs>/PID/ns/net,
// <rootfs>/run/netns/NAME; the exporter's own namespace as it is) and says its inode. With
// `found`, a namespace that is not the one discovered is not entered (fails, saying so).
NodeEnterFn enter_under(const HostPaths& paths, std::shared_ptr<const FoundInodes> found = nullptr);

}  // namespace tw
