// SPDX-License-Identifier: Apache-2.0
// `--pod NAMESPACE/NAME` of census, doctor, watch and trace: the pod, found from the node alone
// (sources/pods.h), turned into what the front ends already take: a process whose network
// namespace is the pod's (InputTarget's pid), and, for trace, the pod's processes and cgroups.
// A hostNetwork pod has no namespace of its own: its target is the host's, said so, and trace
// tells it apart by its processes' cgroups instead.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/result.h"
#include "sources/pods.h"

namespace tw {

// A pod found on this node (the host's files under HostPaths, sources/pods.h).
struct PodTarget {
  std::string namespace_name, name, uid;
  bool host_network = false;          // its processes are in the host's namespace
  uint64_t netns_inode = 0;           // the pod's namespace (the host's for a hostNetwork pod)
  int pid = 0;                        // a process of the pod in that namespace: the lowest pid
  std::vector<PodProcess> processes;  // every process of the pod, by pid
  std::string ref() const { return namespace_name + "/" + name; }
};

// NAMESPACE/NAME as Kubernetes allows them (a DNS label, a DNS subdomain); else an error saying
// what --pod takes.
Status check_pod_ref(const std::string& ref);

// The pod named `ref` in `map`. Errors (one sentence each, with what to do): no directory of that
// name in the pod logs (how many pods were found, and up to kPodSuggestions of them as --pod
// values, the same namespace's first), a pod with no running process on this node.
inline constexpr size_t kPodSuggestions = 8;
Result<PodTarget> resolve_pod(const std::string& ref, const PodMap& map,
                              const std::string& pod_logs = "/var/log/pods");

// map_pods(paths) and resolve_pod.
Result<PodTarget> find_pod(const std::string& ref, const HostPaths& paths = {});

// The pod ("namespace/name") and container name of each of `pids` that belongs to a named pod on
// this node: how `census -p` names a hostNetwork pod's sockets, which share the host's namespace.
// Empty where kubelet wrote no log tree (<rootfs>/var/log/pods): no walk of /proc then.
struct ProcessPod {
  std::string pod;        // "namespace/name"
  std::string container;  // its name from /var/log/containers, "" for a sandbox or none
};
std::map<int, ProcessPod> pods_of_processes(const std::vector<int>& pids,
                                            const HostPaths& paths = {});

// The phrase output uses for the pod: "pod shop/cart" or, for a hostNetwork pod, "pod shop/cart,
// hostNetwork: the host's namespace, shared with the host and its other hostNetwork pods".
std::string pod_phrase(const std::string& ref, bool host_network);

}  // namespace tw
