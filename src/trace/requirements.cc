// SPDX-License-Identifier: Apache-2.0
#include "trace/requirements.h"

#include <errno.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "trace/tracer.h"

namespace tw {

namespace {

constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

// CapEff from /proc/self/status; nullopt when unreadable.
std::optional<uint64_t> effective_caps(const std::string& status) {
  std::ifstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    try {
      return std::stoull(line.substr(7), nullptr, 16);
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

Status check_trace_requirements(const TracePaths& paths) {
  if (!tracer_built())
    return fail(
        "this timewait was built without BPF support: install libbpf-dev, bpftool and "
        "clang-16 (scripts/install-deps.sh) and rebuild; census and doctor work without it");
  if (access(paths.btf.c_str(), R_OK) != 0)
    return fail(
        fmt::format("timewait trace needs kernel BTF and {} is {}: use a kernel built with "
                    "CONFIG_DEBUG_INFO_BTF=y",
                    paths.btf, errno == ENOENT ? "missing" : "unreadable (run as root)"));
  auto caps = effective_caps(paths.status);
  if (!caps)
    return fail(fmt::format("cannot read this process's capabilities from {}", paths.status));
  auto has = [&](int cap) { return (*caps >> cap) & 1; };
  // Kernels before 5.8 have neither capability and want CAP_SYS_ADMIN; it implies both.
  if (!has(kCapSysAdmin)) {
    std::vector<std::string> missing;
    if (!has(kCapBpf)) missing.push_back("CAP_BPF");
    if (!has(kCapPerfmon)) missing.push_back("CAP_PERFMON");
    if (!missing.empty())
      return fail(fmt::format(
          "timewait trace needs CAP_BPF and CAP_PERFMON and this process lacks {}: run it as "
          "root (sudo timewait trace)",
          fmt::join(missing, " and ")));
  }
  return {};
}

Status prepare_tracefs(const TracePaths& paths) {
  // libbpf looks tracepoints up under debugfs when that is mounted (it automounts tracefs there),
  // else under /sys/kernel/tracing.
  if (exists(paths.debugfs_tracing) || exists(paths.tracefs + "/events")) return {};
  // `ip netns exec` mounts a fresh /sys, and minimal hosts never mount tracefs. A private mount
  // namespace keeps the mount to this process: the host's mount table is not touched.
  if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0 ||
      mount("nodev", paths.tracefs.c_str(), "tracefs", 0, nullptr) != 0)
    return fail(fmt::format(
        "tracefs is not mounted at {} and mounting it failed ({}): run `mount -t tracefs nodev "
        "{}` as root",
        paths.tracefs, std::strerror(errno), paths.tracefs));
  return {};
}

}  // namespace tw
