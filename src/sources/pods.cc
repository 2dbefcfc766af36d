// SPDX-License-Identifier: Apache-2.0
#include "sources/pods.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <set>

#include "model/safe_text.h"
#include "os/read_file.h"
#include "sources/netns.h"

namespace tw {

namespace {

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// kubelet's pod UIDs: an API-server pod's is a UUID (8-4-4-4-12, lowercase); a static pod's is
// the hex MD5 of its manifest (32 characters, pkg/kubelet/config/common.go).
bool is_pod_uid(std::string_view s) {
  if (s.size() == 32) return is_hex(s);
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !is_hex(s.substr(i, 1))) return false;
  }
  return true;
}

// Docker, containerd and CRI-O all name containers and sandboxes by 64 hex characters.
bool is_container_id(std::string_view s) { return s.size() == 64 && is_hex(s); }

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool consume_prefix(std::string_view* s, std::string_view prefix) {
  if (!s->starts_with(prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool consume_suffix(std::string_view* s, std::string_view suffix) {
  if (!s->ends_with(suffix)) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// The container's component: `<runtime>-<id>` (with ".scope" under the systemd driver) or, under
// cgroupfs, the bare ID containerd and docker use. CRI-O's conmon is not a container.
bool parse_container(std::string_view c, bool systemd, CgroupPod* out) {
  if (systemd && !consume_suffix(&c, ".scope")) return false;
  if (c.starts_with("crio-conmon-")) return false;
  if (consume_prefix(&c, "cri-containerd-")) {
    out->runtime = "containerd";
  } else if (consume_prefix(&c, "crio-")) {
    out->runtime = "crio";
  } else if (consume_prefix(&c, "docker-")) {
    out->runtime = "docker";
  } else if (systemd) {
    return false;
  }
  if (!is_container_id(c)) return false;
  out->container_id = std::string(c);
  return true;
}

// The systemd driver's pod slice, `…kubepods[-<qos>]-pod<uid>.slice`: systemd names a slice by its
// whole path with '-' between levels, so kubelet writes the UID's dashes as '_'
// (pkg/kubelet/cm/cgroup_manager_linux.go, escapeSystemdCgroupName).
bool parse_systemd_pod(std::string_view c, CgroupPod* out) {
  if (!consume_suffix(&c, ".slice")) return false;
  size_t k = c.rfind("kubepods-");
  if (k == std::string_view::npos || (k != 0 && c[k - 1] != '-')) return false;
  c.remove_prefix(k + std::string_view("kubepods-").size());
  if (consume_prefix(&c, "burstable-")) {
    out->qos = "burstable";
  } else if (consume_prefix(&c, "besteffort-")) {
    out->qos = "besteffort";
  } else {
    out->qos = "guaranteed";
  }
  if (!consume_prefix(&c, "pod")) return false;
  std::string uid(c);
  std::replace(uid.begin(), uid.end(), '_', '-');
  if (!is_pod_uid(uid)) return false;
  out->uid = std::move(uid);
  return true;
}

}  // namespace

bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!is_dns_label(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::optional<CgroupPod> pod_of_cgroup_path(std::string_view path) {
  auto parts = split_path(path);
  for (size_t i = 0; i < parts.size(); ++i) {
    CgroupPod pod;
    // runc's systemd cgroupsPath ("<slice>:<prefix>:<name>") made as a literal directory: what
    // containerd with SystemdCgroup=true under a cgroupfs-driven runc leaves in /proc/PID/cgroup
    // (open-telemetry/opentelemetry-java#4507:
    // `kubepods-besteffort-pod…slice:cri-containerd:<id>`).
    if (size_t a = parts[i].find(':'); a != std::string_view::npos) {
      size_t b = parts[i].find(':', a + 1);
      if (b == std::string_view::npos || !parse_systemd_pod(parts[i].substr(0, a), &pod)) continue;
      std::string scope =
          fmt::format("{}-{}.scope", parts[i].substr(a + 1, b - a - 1), parts[i].substr(b + 1));
      if (parse_container(scope, true, &pod)) return pod;
      return std::nullopt;
    }
    if (i + 1 == parts.size()) break;
    if (parse_systemd_pod(parts[i], &pod)) {
      if (parse_container(parts[i + 1], true, &pod)) return pod;
      return std::nullopt;
    }
    // cgroupfs: kubepods/pod<uid> (Guaranteed) or kubepods/<qos>/pod<uid>
    // (pkg/kubelet/cm/qos_container_manager_linux.go, pod_container_manager_linux.go).
    std::string_view c = parts[i];
    if (!consume_prefix(&c, "pod") || !is_pod_uid(c) || i == 0) continue;
    if (parts[i - 1] == "kubepods") {
      pod.qos = "guaranteed";
    } else if (i >= 2 && parts[i - 2] == "kubepods" &&
               (parts[i - 1] == "burstable" || parts[i - 1] == "besteffort")) {
      pod.qos = std::string(parts[i - 1]);
    } else {
      continue;
    }
    pod.uid = std::string(c);
    if (parse_container(parts[i + 1], false, &pod)) return pod;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<CgroupPod> pod_of_proc_cgroup(std::string_view text) {
  std::optional<CgroupPod> v1;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    // hierarchy-ID:controller-list:cgroup-path (cgroups(7)); the path may itself hold ':'.
    size_t a = line.find(':');
    if (a == std::string_view::npos) continue;
    size_t b = line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    bool v2 = line.substr(0, a) == "0" && b == a + 1;
    auto pod = pod_of_cgroup_path(line.substr(b + 1));
    if (!pod) continue;
    if (v2) return pod;
    if (!v1) v1 = std::move(pod);
  }
  return v1;
}

namespace {

// The file whole, or nullopt when it cannot be read or is larger than `limit`: /proc files are
// small, but nothing read is unbounded.
std::optional<std::string> read_bounded(const std::string& path, size_t limit) {
  auto text = os::read_file(path, limit);
  return text ? std::optional<std::string>(std::move(*text)) : std::nullopt;
}

// Subdirectories of `path`, not following symlinks, at most `limit`; others are counted.
std::vector<std::string> subdirectories(const std::string& path, size_t limit, size_t* others) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(path.c_str()), closedir);
  if (!d) return out;
  while (dirent* e = readdir(d.get())) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st;
    if (fstatat(dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
      ++*others;
      continue;
    }
    if (out.size() >= limit) {
      ++*others;
      continue;
    }
    out.emplace_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

PodNames read_pod_names(const std::string& root) {
  PodNames names;
  // kubelet: <namespace>_<pod name>_<uid> (pkg/kubelet/kuberuntime/helpers.go,
  // BuildPodLogsDirectory); neither a DNS label nor a subdomain can hold '_', so the split is
  // unambiguous.
  for (const auto& dir : subdirectories(root, kMaxPods, &names.skipped)) {
    size_t a = dir.find('_');
    size_t b = a == std::string::npos ? a : dir.find('_', a + 1);
    if (b == std::string::npos || dir.find('_', b + 1) != std::string::npos) {
      ++names.skipped;
      continue;
    }
    std::string_view ns(dir.data(), a), pod(dir.data() + a + 1, b - a - 1);
    std::string_view uid(dir.data() + b + 1, dir.size() - b - 1);
    if (!is_dns_label(ns) || !is_dns_subdomain(pod) || !is_pod_uid(uid) ||
        names.by_uid.count(std::string(uid))) {
      ++names.skipped;
      continue;
    }
    PodName name{.namespace_name = std::string(ns), .name = std::string(pod)};
    size_t ignored = 0;
    for (auto& c : subdirectories(root + "/" + dir, kMaxContainers, &ignored))
      if (is_dns_label(c)) name.containers.push_back(std::move(c));
    names.by_uid.emplace(std::string(uid), std::move(name));
  }
  return names;
}

std::map<std::string, std::string> read_container_names(const std::string& root) {
  std::map<std::string, std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(root.c_str()), closedir);
  size_t read = 0;
  while (d && read++ < kMaxPods * 4) {
    dirent* e = readdir(d.get());
    if (!e) break;
    std::string_view n = e->d_name;
    // <pod>_<namespace>_<container>-<id>.log (pkg/kubelet/kuberuntime/helpers.go,
    // BuildContainerLogsDirectory's link name).
    if (!consume_suffix(&n, ".log") || n.size() < 66 || n[n.size() - 65] != '-') continue;
    std::string_view id = n.substr(n.size() - 64);
    n.remove_suffix(65);
    size_t a = n.find('_');
    size_t b = a == std::string_view::npos ? a : n.find('_', a + 1);
    if (b == std::string_view::npos || n.find('_', b + 1) != std::string_view::npos) continue;
    std::string_view pod = n.substr(0, a), ns = n.substr(a + 1, b - a - 1), name = n.substr(b + 1);
    if (is_container_id(id) && is_dns_subdomain(pod) && is_dns_label(ns) && is_dns_label(name))
      out.emplace(std::string(id), std::string(name));
  }
  return out;
}

std::string PodMap::container_name(const std::string& id) const {
  auto it = container_names.find(id);
  return it == container_names.end() ? "" : it->second;
}

std::vector<std::string> PodMap::pods_in(uint64_t inode) const {
  std::set<std::string> uids;
  auto it = by_netns.find(inode);
  if (it != by_netns.end())
    for (const auto& p : it->second.processes) uids.insert(p.pod.uid);
  return {uids.begin(), uids.end()};
}

std::optional<std::string> PodMap::pod_of_netns(uint64_t inode) const {
  auto it = by_netns.find(inode);
  if (it == by_netns.end() || it->second.host) return std::nullopt;
  auto uids = pods_in(inode);
  if (uids.size() != 1) return std::nullopt;
  return uids.front();
}

const PodProcess* PodMap::process(int pid) const {
  for (const auto& [inode, ns] : by_netns)
    for (const auto& p : ns.processes)
      if (p.pid == pid) return &p;
  return nullptr;
}

const PodName* PodMap::name_of(const std::string& uid) const {
  auto it = names.by_uid.find(uid);
  return it == names.by_uid.end() ? nullptr : &it->second;
}

Result<PodMap> map_pods(const PodPaths& paths) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(paths.procfs.c_str()), closedir);
  if (!d)
    return fail(fmt::format("cannot list {} to map processes to pods: {}; give the host's /proc",
                            printable_line(paths.procfs), std::strerror(errno)));
  std::vector<int> pids;
  while (dirent* e = readdir(d.get())) {
    std::string_view n = e->d_name;
    int pid = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), pid);
    if (ec == std::errc() && p == n.data() + n.size() && pid > 0) pids.push_back(pid);
    if (pids.size() >= kMaxProcesses) break;
  }
  std::sort(pids.begin(), pids.end());
  PodMap map;
  struct stat st;
  // The host's namespace is PID 1's, or kthreadd's where a sandbox hides PID 1 (sources/netns).
  uint64_t host = 0;
  if (auto id = netns_identity_of_self(paths.procfs)) host = id->host_inode;
  for (int pid : pids) {
    auto cgroup = read_bounded(fmt::format("{}/{}/cgroup", paths.procfs, pid), 64 * 1024);
    if (!cgroup) continue;
    auto pod = pod_of_proc_cgroup(*cgroup);
    if (!pod) continue;
    if (stat(fmt::format("{}/{}/ns/net", paths.procfs, pid).c_str(), &st) != 0) continue;
    std::string comm = read_bounded(fmt::format("{}/{}/comm", paths.procfs, pid), 64).value_or("");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    auto& ns = map.by_netns[st.st_ino];
    ns.inode = st.st_ino;
    ns.host = host != 0 && st.st_ino == host;
    ns.processes.push_back(
        PodProcess{.pid = pid, .comm = printable_line(comm), .pod = std::move(*pod)});
  }
  map.names = read_pod_names(paths.pod_logs);
  map.container_names = read_container_names(paths.container_logs);
  return map;
}

}  // namespace tw
