// SPDX-License-Identifier: Apache-2.0
// Which Kubernetes pod a network namespace (or a process) belongs to, from the node alone and with
// no API credentials: the processes in a namespace (/proc/PID/ns/net) -> their cgroup
// (/proc/PID/cgroup) -> the pod UID and container ID kubelet put in the cgroup's path, and the
// pod's namespace and name from the directory kubelet writes its logs to
// (/var/log/pods/<namespace>_<pod>_<uid>/<container>/). ../shared/FACTS.md, "Kubernetes nodes".
//
// A pod's own namespace is held by its sandbox (pause) container and joined by its app containers;
// a hostNetwork pod shares the host's namespace, where only its processes tell it apart: they are
// mapped one by one, and the host's namespace is never named after a pod. Nothing is guessed: a
// process whose cgroup is not one of kubelet's layouts, and a UID with no log directory, keep no
// name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"

namespace tw {

// Names as Kubernetes makes them: a DNS label (RFC 1123: a namespace, a container) and a DNS
// subdomain (a pod). Nothing else is taken from the node's files or from --pod.
bool is_dns_label(std::string_view s);
bool is_dns_subdomain(std::string_view s);

// What kubelet's cgroup path says about a process.
struct CgroupPod {
  std::string uid;           // the pod's UID, with dashes ("…-…"), as the API and /var/log/pods
  std::string qos;           // "guaranteed", "burstable" or "besteffort"
  std::string runtime;       // "containerd", "crio", "docker", or "" (cgroupfs with a bare ID)
  std::string container_id;  // the container (or the pod's sandbox) ID, lowercase hex
};

// One cgroup path (the part after the second ':' of a /proc/PID/cgroup line) in kubelet's layouts:
// the systemd driver's `kubepods[-<qos>]-pod<uid with _>.slice/<runtime>-<id>.scope` (under any
// prefix: kind's `kubelet-kubepods-…`, a node's own cgroup namespace) and the cgroupfs driver's
// `kubepods[/<qos>]/pod<uid>/[<runtime>-]<id>`. Paths below the container's (crun's `container`)
// are the container's. CRI-O's monitor (`crio-conmon-<id>`) lives in the pod's cgroup but in the
// host's namespace and is no container: nullopt, as for everything that is not a pod's.
std::optional<CgroupPod> pod_of_cgroup_path(std::string_view path);

// A whole /proc/PID/cgroup: the cgroup v2 line (`0::<path>`) first, else the first v1 controller
// line whose path maps (v1 and hybrid hosts: one line per hierarchy).
std::optional<CgroupPod> pod_of_proc_cgroup(std::string_view text);

// A pod as kubelet's log directory names it.
struct PodName {
  std::string namespace_name;
  std::string name;
  std::vector<std::string> containers;  // the subdirectories: its containers' names, sorted
};

// The log directories under `root` (/var/log/pods), by UID. Only names Kubernetes itself can make
// are taken (namespace: a DNS label; pod: a DNS subdomain; UID: 36 characters with dashes, or 32
// hex characters for a static pod; container: a DNS label); anything else (a hostile or stray
// entry, a symlink) is skipped and counted, so no byte of it reaches a terminal or a label. At most
// kMaxPods pods and kMaxContainers containers each are read. A missing root is no pods.
struct PodNames {
  std::map<std::string, PodName> by_uid;
  size_t skipped = 0;  // entries not in kubelet's format
};
inline constexpr size_t kMaxPods = 100000;
inline constexpr size_t kMaxContainers = 256;
PodNames read_pod_names(const std::string& root);

// Container IDs to container names, from the links kubelet makes in /var/log/containers:
// `<pod>_<namespace>_<container>-<64 hex ID>.log`. The same name rules as read_pod_names; a
// sandbox (pause) has no log and so no name. At most kMaxPods * 4 entries are read.
std::map<std::string, std::string> read_container_names(const std::string& root);

// One process that belongs to a pod.
struct PodProcess {
  int pid = 0;
  std::string comm;  // printable_line() of /proc/PID/comm, to say which process in the pod
  CgroupPod pod;
};

// The processes of one network namespace that belong to pods.
struct NetnsPods {
  uint64_t inode = 0;
  bool host = false;  // the host's (PID 1's, or kthreadd's): its pods are hostNetwork pods
  std::vector<PodProcess> processes;  // by pid
};

// Where the node's files are: node_exporter's --path.procfs idea, for a container that mounts
// the host's /proc and /var/log/pods elsewhere.
struct PodPaths {
  std::string procfs = "/proc";
  std::string pod_logs = "/var/log/pods";
  std::string container_logs = "/var/log/containers";
};

// Where the host's files are as this process sees them, with node_exporter's options and
// meanings: --path.procfs (default /proc) and --path.rootfs (default /; /run/netns, kubelet's
// /var/log/pods and /var/log/containers are under it), for a container that mounts the host's
// elsewhere. The exporter and `--pod` take them.
struct HostPaths {
  std::string procfs = "/proc";
  std::string rootfs = "/";

  // "/run/netns" -> "<rootfs>/run/netns"
  std::string under_root(std::string_view path) const {
    std::string root = rootfs;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (root == "/") root.clear();
    return root + std::string(path);
  }
  std::string run_netns() const { return under_root("/run/netns"); }
  PodPaths pods() const {
    return PodPaths{.procfs = procfs,
                    .pod_logs = under_root("/var/log/pods"),
                    .container_logs = under_root("/var/log/containers")};
  }
};

struct PodMap {
  std::map<uint64_t, NetnsPods> by_netns;  // only namespaces with at least one pod process
  PodNames names;
  std::map<std::string, std::string> container_names;  // container ID -> name

  // The pod UIDs with processes in the namespace, sorted, each once.
  std::vector<std::string> pods_in(uint64_t inode) const;
  // The pod whose namespace it is: a namespace that is not the host's and whose pod processes are
  // all one pod's. nullopt otherwise (the host's, one with no pod process, or a shared one).
  std::optional<std::string> pod_of_netns(uint64_t inode) const;
  // The pod of one process, in any namespace (hostNetwork pods included).
  const PodProcess* process(int pid) const;
  // The pod's name from /var/log/pods, or nullptr when kubelet wrote no directory for it.
  const PodName* name_of(const std::string& uid) const;
  // The container's name from /var/log/containers, or "" (a sandbox, or no log link).
  std::string container_name(const std::string& id) const;
};

// Reads every process under `paths.procfs` (at most kMaxProcesses; those that exit while being
// read are skipped) and the log directories. Fails only when procfs cannot be listed.
inline constexpr size_t kMaxProcesses = 1 << 20;
Result<PodMap> map_pods(const PodPaths& paths = {});

}  // namespace tw
