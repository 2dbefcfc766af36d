// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply_target.h"

#include <fmt/format.h>

#include <fstream>

#include "model/safe_text.h"

namespace tw {

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

ApplyTarget with_this_boot(ApplyTarget t) {
  t.boot_id = first_line("/proc/sys/kernel/random/boot_id");
  t.machine_id = first_line("/etc/machine-id");
  t.kernel = first_line("/proc/sys/kernel/osrelease");
  return t;
}

std::string describe(const ApplyTarget& t) {
  const std::string on = t.hostname.empty() ? "an unnamed host" : printable_line(t.hostname);
  if (t.host_netns)
    return fmt::format("the host's network namespace (inode {}) on {}", t.inode, on);
  if (!t.name.empty())
    return fmt::format("netns {} (inode {}) on {}", printable_line(t.name), t.inode, on);
  if (t.pid)
    return fmt::format("the network namespace of pid {} (inode {}) on {}", t.pid, t.inode, on);
  return fmt::format("an unnamed network namespace (inode {}) on {}", t.inode, on);
}

std::string target_options(const ApplyTarget& t) {
  if (t.host_netns) return "";
  if (!t.name.empty()) return " --netns " + shell_quote(t.name);
  if (t.pid) return fmt::format(" --pid {}", t.pid);
  return "";
}

bool same_namespace(const ApplyTarget& was, const ApplyTarget& now) {
  const bool other_machine =
      !was.machine_id.empty() && !now.machine_id.empty() && was.machine_id != now.machine_id;
  if (other_machine) return false;
  if ((was.machine_id.empty() || now.machine_id.empty()) && was.hostname != now.hostname)
    return false;
  if (was.host_netns || now.host_netns) return was.host_netns == now.host_netns;
  // Another namespace lives as long as its boot, and its inode is given again once it is gone.
  const bool other_boot =
      !was.boot_id.empty() && !now.boot_id.empty() && was.boot_id != now.boot_id;
  const bool other_cookie = was.cookie && now.cookie && was.cookie != now.cookie;
  return !other_boot && !other_cookie && was.inode == now.inode;
}

}  // namespace tw
