#include "doctor/socket_owners.h"

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
}  // namespace

std::map<uint64_t, int> pids_of_inodes(const std::set<uint64_t>& inodes, const std::string& proc) {
  std::map<uint64_t, int> out;
  if (inodes.empty()) return out;
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
      if (ec != std::errc() || !inodes.count(inode)) continue;
      out.emplace(inode, pid);
    }
    closedir(fds);
    if (out.size() == inodes.size()) break;
  }
  closedir(d);
  return out;
}

std::string process_name(int pid, const std::string& proc) {
  std::ifstream in(fmt::format("{}/{}/comm", proc, pid));
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace tw
