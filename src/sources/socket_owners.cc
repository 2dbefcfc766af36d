// SPDX-License-Identifier: Apache-2.0
#include "sources/socket_owners.h"

#include <dirent.h>
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>

namespace tw {

namespace {
bool all_digits(const char* s) {
  if (!*s) return false;
  for (; *s; ++s)
    if (*s < '0' || *s > '9') return false;
  return true;
}

// Walks /proc/PID/fd of every process; `want` picks inodes, `done` stops the walk early.
template <class Want, class Done>
std::map<uint64_t, int> walk_socket_fds(const std::string& proc, Want want, Done done) {
  std::map<uint64_t, int> out;
  DIR* d = opendir(proc.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (!all_digits(e->d_name)) continue;
    int pid = std::atoi(e->d_name);
    std::string fd_dir = fmt::format("{}/{}/fd", proc, pid);
    DIR* fds = opendir(fd_dir.c_str());
    if (!fds) continue;
    while (dirent* f = readdir(fds)) {
      if (!all_digits(f->d_name)) continue;
      char link[64];
      std::string path = fd_dir + "/" + f->d_name;
      ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
      if (n <= 9 || std::strncmp(link, "socket:[", 8) != 0) continue;
      uint64_t inode = 0;
      auto [p, ec] = std::from_chars(link + 8, link + n - 1, inode);
      if (ec != std::errc() || !want(inode)) continue;
      out.emplace(inode, pid);
    }
    closedir(fds);
    if (done(out)) break;
  }
  closedir(d);
  return out;
}

}  // namespace

std::map<uint64_t, int> pids_of_inodes(const std::set<uint64_t>& inodes, const std::string& proc) {
  if (inodes.empty()) return {};
  return walk_socket_fds(
      proc, [&](uint64_t i) { return inodes.count(i) > 0; },
      [&](const std::map<uint64_t, int>& found) { return found.size() == inodes.size(); });
}

std::map<uint64_t, int> pids_of_all_sockets(const std::string& proc) {
  return walk_socket_fds(
      proc, [](uint64_t) { return true; }, [](const std::map<uint64_t, int>&) { return false; });
}

std::string process_name(int pid, const std::string& proc) {
  std::ifstream in(fmt::format("{}/{}/comm", proc, pid));
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace tw
