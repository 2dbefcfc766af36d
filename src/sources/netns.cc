#include "sources/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace tw {

namespace {

Status enter(const std::string& path, const std::string& what, const std::string& how_to_list) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return fail(fmt::format("{} does not exist ({})", what, how_to_list));
    if (errno == EACCES || errno == EPERM)
      return fail(fmt::format("cannot open {}: permission denied (run as root)", what));
    return fail(fmt::format("cannot open {} ({}): {}", what, path, std::strerror(errno)));
  }
  int rc = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (rc != 0) {
    if (err == EPERM)
      return fail(fmt::format("entering {} needs root (CAP_SYS_ADMIN): run with sudo", what));
    return fail(fmt::format("cannot enter {}: {}", what, std::strerror(err)));
  }
  return {};
}

}  // namespace

Status enter_netns_by_name(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return fail(fmt::format("'{}' is not a network namespace name", name));
  return enter("/run/netns/" + name, fmt::format("network namespace '{}'", name),
               "`ip netns list` shows the names");
}

Status enter_netns_of_pid(int pid) {
  if (pid <= 0) return fail(fmt::format("'{}' is not a process id", pid));
  return enter(fmt::format("/proc/{}/ns/net", pid),
               fmt::format("the network namespace of pid {}", pid), "no such process");
}

Result<uint64_t> netns_inode_of_self() {
  struct stat st;
  if (stat("/proc/thread-self/ns/net", &st) != 0)
    return fail(
        fmt::format("cannot read this thread's network namespace (/proc/thread-self/ns/net): {}",
                    std::strerror(errno)));
  return static_cast<uint64_t>(st.st_ino);
}

}  // namespace tw
