// SPDX-License-Identifier: Apache-2.0
#include "sources/netns_list.h"

#include <dirent.h>
#include <errno.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

namespace tw {

namespace {

bool inode_of(const std::string& path, uint64_t* out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return false;
  *out = st.st_ino;
  return true;
}

// The entries of a directory, or nullopt when it cannot be opened.
std::optional<std::vector<std::string>> list_dir(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(path.c_str()), closedir);
  if (!d) return std::nullopt;
  std::vector<std::string> names;
  while (dirent* e = readdir(d.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  return names;
}

std::string read_comm(const std::string& proc, int pid) {
  std::ifstream in(fmt::format("{}/{}/comm", proc, pid));
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

Result<std::vector<NetnsRef>> list_network_namespaces(const std::string& run_netns,
                                                      const std::string& proc,
                                                      const std::string& self) {
  auto pids_dir = list_dir(proc);
  if (!pids_dir)
    return fail(
        fmt::format("cannot list {} to find network namespaces: {}", proc, std::strerror(errno)));
  std::vector<NetnsRef> out;
  std::map<uint64_t, size_t> seen;  // inode -> index in out
  uint64_t own = 0;
  if (inode_of(self, &own)) {
    out.push_back(NetnsRef{.inode = own, .self = true});
    seen[own] = 0;
  }
  // /run/netns may not exist: no namespace was ever named.
  auto names = list_dir(run_netns).value_or(std::vector<std::string>{});
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    uint64_t ino = 0;
    if (!inode_of(run_netns + "/" + n, &ino) || seen.count(ino)) continue;
    seen[ino] = out.size();
    out.push_back(NetnsRef{.name = n, .inode = ino});
  }
  std::vector<int> pids;
  for (const auto& n : *pids_dir) {
    int pid = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), pid);
    if (ec == std::errc() && p == n.data() + n.size() && pid > 0) pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end());
  for (int pid : pids) {
    uint64_t ino = 0;
    if (!inode_of(fmt::format("{}/{}/ns/net", proc, pid), &ino) || seen.count(ino)) continue;
    seen[ino] = out.size();
    out.push_back(NetnsRef{.pid = pid, .inode = ino, .comm = read_comm(proc, pid)});
  }
  return out;
}

}  // namespace tw
