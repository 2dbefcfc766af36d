// SPDX-License-Identifier: Apache-2.0
#include "testing/kubelet_cgroups.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tw::testing {

namespace fs = std::filesystem;

std::string cgroup2_root() {
  for (std::string r : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"})
    if (fs::exists(r + "/cgroup.controllers")) return r;
  return "";
}

std::string cgroup1_root() {
  for (std::string r : {"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/pids"})
    if (fs::exists(r + "/tasks")) return r;
  return "";
}

std::string pod_uid(std::string_view mark, int n) {
  return fmt::format("{}{:04x}-0000-4000-8000-{:012x}", mark, n, static_cast<unsigned>(getpid()));
}

std::string container_id(int n) {
  return fmt::format("{:056x}{:08x}", n, static_cast<unsigned>(getpid()));
}

std::string systemd_uid(std::string uid) {
  std::replace(uid.begin(), uid.end(), '-', '_');
  return uid;
}

namespace {

// The pid of the run that made a test pod's cgroup (its UID ends in the pid), or 0.
pid_t maker_of(const std::string& path) {
  size_t at = path.find("-8000-");
  if (at == std::string::npos) at = path.find("_8000_");
  if (at == std::string::npos || path.size() < at + 18) return 0;
  return static_cast<pid_t>(std::strtoul(path.substr(at + 6, 12).c_str(), nullptr, 16));
}

}  // namespace

void remove_stale_pod_cgroups(const std::string& root, std::string_view mark) {
  if (root.empty()) return;
  const std::string pod = "pod" + std::string(mark);
  std::vector<std::string> stale;
  std::error_code ec;
  for (const char* top : {"kubepods.slice", "kubepods"})
    for (auto it = fs::recursive_directory_iterator(root + "/" + top, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_directory(ec) && it->path().string().find(pod) != std::string::npos)
        if (pid_t maker = maker_of(it->path().string()); maker && kill(maker, 0) != 0)
          stale.push_back(it->path().string());
  std::sort(stale.begin(), stale.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (auto& p : stale) rmdir(p.c_str());
}

CgroupDirs::~CgroupDirs() {
  // A cgroup is busy for a moment after its last process is reaped.
  for (auto it = made_.rbegin(); it != made_.rend(); ++it)
    for (int i = 0; i < 300 && rmdir(it->c_str()) != 0 && errno == EBUSY; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

std::string CgroupDirs::make(const std::string& root, const std::string& rel) {
  std::string path = root;
  for (auto& part : fs::path(rel)) {
    if (part == "/") continue;
    path += "/" + part.string();
    if (mkdir(path.c_str(), 0755) == 0)
      made_.push_back(path);
    else if (errno != EEXIST)
      ADD_FAILURE() << "mkdir " << path << ": " << std::strerror(errno);
  }
  return path;
}

void move_into_cgroup(const std::string& cgroup, pid_t pid) {
  std::ofstream out(cgroup + "/cgroup.procs");
  out << pid << std::flush;
  EXPECT_TRUE(out.good()) << "cannot move " << pid << " into " << cgroup;
}

}  // namespace tw::testing
