// SPDX-License-Identifier: Apache-2.0
#include "sources/netns.h"

#include <dirent.h>
#include <errno.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "os/netns.h"

namespace tw {

namespace {

Status check_name(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return fail(fmt::format("'{}' is not a network namespace name", name));
  return {};
}

Result<uint64_t> inode_of(const std::string& path, const std::string& what) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return fail(fmt::format("{} does not exist (`ip netns list` shows the names)", what));
    return fail(fmt::format("cannot read {} ({}): {}", what, path, std::strerror(errno)));
  }
  return static_cast<uint64_t>(st.st_ino);
}

}  // namespace

Status enter_netns_by_name(const std::string& name) {
  auto ns = os::Netns::by_name(name);
  return ns ? ns->enter() : fail(ns.error());
}

Status enter_netns_of_pid(int pid) {
  auto ns = os::Netns::of_pid(pid);
  return ns ? ns->enter() : fail(ns.error());
}

Result<uint64_t> netns_inode_by_name(const std::string& name) {
  if (auto st = check_name(name); !st) return fail(st.error());
  return inode_of("/run/netns/" + name, fmt::format("network namespace '{}'", name));
}

Result<uint64_t> netns_inode_of_self() {
  return inode_of("/proc/thread-self/ns/net", "this thread's network namespace");
}

uint64_t netns_cookie_of_self() {
#ifndef SO_NETNS_COOKIE
  constexpr int SO_NETNS_COOKIE = 71;  // include/uapi/asm-generic/socket.h (Linux 5.14)
#endif
  // A socket belongs to the namespace of the thread that makes it.
  os::UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return 0;
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (getsockopt(fd.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0) cookie = 0;
  return cookie;
}

namespace {

// pid 2 is kthreadd when its parent is 0 (the initial pid namespace); its namespace is then the
// initial one, which is PID 1's on any machine that boots normally.
bool is_kthreadd(const std::string& proc) {
  std::ifstream in(proc + "/2/status");
  bool named = false, orphan = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "Name:\tkthreadd") named = true;
    if (line == "PPid:\t0") orphan = true;
  }
  return named && orphan;
}

}  // namespace

Result<uint64_t> host_netns_inode(const std::string& proc) {
  struct stat st;
  const std::string init_path = proc + "/1/ns/net";
  if (stat(init_path.c_str(), &st) == 0) return static_cast<uint64_t>(st.st_ino);
  const int err = errno;
  if ((err == EACCES || err == EPERM) && is_kthreadd(proc) &&
      stat((proc + "/2/ns/net").c_str(), &st) == 0)
    return static_cast<uint64_t>(st.st_ino);
  return fail(fmt::format("cannot tell which is the host's network namespace: {}: {}", init_path,
                          std::strerror(err)));
}

Result<NetnsIdentity> netns_identity_of_self(const std::string& proc,
                                             const std::string& run_netns) {
  NetnsIdentity id;
  struct stat self;
  const std::string self_path = proc + "/thread-self/ns/net";
  if (stat(self_path.c_str(), &self) != 0)
    return fail(fmt::format("cannot read this thread's network namespace ({}): {}", self_path,
                            std::strerror(errno)));
  id.dev = self.st_dev;
  id.inode = self.st_ino;
  id.cookie = netns_cookie_of_self();
  struct stat init;
  const std::string init_path = proc + "/1/ns/net";
  if (stat(init_path.c_str(), &init) != 0) {
    const int err = errno;
    if ((err != EACCES && err != EPERM) || !is_kthreadd(proc) ||
        stat((proc + "/2/ns/net").c_str(), &init) != 0)
      return fail(fmt::format(
          "cannot tell whether this is the host's network namespace: {}: {} (run as root)",
          init_path, std::strerror(err)));
  }
  id.host = init.st_dev == self.st_dev && init.st_ino == self.st_ino;
  id.host_inode = init.st_ino;
  // A name makes a namespace recognisable to a person (and to `--netns`); `ip netns exec NAME`
  // leaves no other trace of it.
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(run_netns.c_str()), closedir);
  if (dir && !id.host)
    while (const dirent* e = readdir(dir.get())) {
      const std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      struct stat st;
      if (stat((run_netns + "/" + n).c_str(), &st) == 0 && st.st_dev == self.st_dev &&
          st.st_ino == self.st_ino && (id.name.empty() || n < id.name))
        id.name = n;  // the first name in order when a namespace has two
    }
  return id;
}

}  // namespace tw
