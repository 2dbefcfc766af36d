// SPDX-License-Identifier: Apache-2.0
#include "sources/cgroup_paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <sstream>

#include "os/read_file.h"

namespace tw {

std::string cgroup2_mount(const std::string& procfs) {
  auto text = os::read_file(procfs + "/self/mountinfo", 4 << 20);
  if (!text) return "";
  std::istringstream in(*text);
  std::string line;
  // id parent major:minor root mount-point options... - fstype source super-options
  while (std::getline(in, line)) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream f(line.substr(0, dash));
    std::string id, parent, dev, root, mount;
    if (!(f >> id >> parent >> dev >> root >> mount) || root != "/") continue;
    // mountinfo escapes space, tab, newline and backslash as octal (\040): not in /sys paths.
    if (mount.find('\\') != std::string::npos) continue;
    return mount;
  }
  return "";
}

std::optional<uint64_t> cgroup_id_of(const std::string& path) {
  struct {
    file_handle fh;
    unsigned char bytes[sizeof(uint64_t)];
  } h{};
  h.fh.handle_bytes = sizeof(uint64_t);
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, path.c_str(), &h.fh, &mount_id, 0) != 0 ||
      h.fh.handle_bytes != sizeof(uint64_t))
    return std::nullopt;
  uint64_t id = 0;
  std::memcpy(&id, h.fh.f_handle, sizeof id);
  return id;
}

CgroupPaths::CgroupPaths(std::string mount, std::chrono::milliseconds rescan)
    : mount_(std::move(mount)), rescan_(rescan) {}

void CgroupPaths::scan() {
  paths_.clear();
  ++scans_;
  last_scan_ = std::chrono::steady_clock::now();
  if (mount_.empty()) return;
  struct Dir {
    std::string rel;
    int depth;
  };
  std::vector<Dir> todo{{"", 0}};
  while (!todo.empty() && paths_.size() < kMaxCgroups) {
    Dir d = std::move(todo.back());
    todo.pop_back();
    std::string full = mount_ + d.rel;
    if (auto id = cgroup_id_of(full)) paths_[*id] = d.rel.empty() ? "/" : d.rel;
    if (d.depth >= kMaxDepth) continue;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(full.c_str()), closedir);
    if (!dir) continue;
    while (dirent* e = readdir(dir.get())) {
      if (e->d_type != DT_DIR || !std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, ".."))
        continue;
      todo.push_back({d.rel + "/" + e->d_name, d.depth + 1});
    }
  }
}

std::optional<std::string> CgroupPaths::path_of(uint64_t id) {
  if (!id) return std::nullopt;
  auto it = paths_.find(id);
  if (it != paths_.end()) return it->second;
  if (scans_ && std::chrono::steady_clock::now() - last_scan_ < rescan_) return std::nullopt;
  scan();
  it = paths_.find(id);
  if (it != paths_.end()) return it->second;
  return std::nullopt;
}

std::vector<uint64_t> CgroupPaths::ids_under(const std::string& rel, size_t limit) const {
  std::vector<uint64_t> out;
  std::vector<std::string> todo{rel};
  while (!todo.empty() && out.size() < limit) {
    std::string r = std::move(todo.back());
    todo.pop_back();
    std::string full = mount_ + r;
    if (auto id = cgroup_id_of(full)) out.push_back(*id);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(full.c_str()), closedir);
    if (!dir) continue;
    while (dirent* e = readdir(dir.get()))
      if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
        todo.push_back(r + "/" + e->d_name);
  }
  return out;
}

}  // namespace tw
