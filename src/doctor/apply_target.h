// SPDX-License-Identifier: Apache-2.0
// Whose /proc/sys `doctor --apply` writes: the network namespace and the machine, recorded in
// each backup so --revert never restores into another one.
#pragma once

#include <cstdint>
#include <string>

namespace tw {

// The network namespace (and machine) whose /proc/sys an apply wrote.
struct ApplyTarget {
  // PID 1's namespace, the one /etc/sysctl.d sets at boot: it is the same namespace after a
  // reboot, whatever its inode then.
  bool host_netns = false;
  std::string name;  // under /run/netns ("" when it has none)
  int pid = 0;       // --pid, to name the namespace to a person
  uint64_t inode = 0;
  // An inode is given again to a namespace made after one is gone; the cookie is not (0:
  // unknown, before Linux 5.14). Both hold for one boot only: boot_id tells which.
  uint64_t cookie = 0;
  uint64_t host_inode = 0;  // PID 1's namespace's inode now: tells an old backup's "host" apart
  std::string hostname;
  std::string boot_id;     // /proc/sys/kernel/random/boot_id
  std::string machine_id;  // /etc/machine-id: a host name can repeat across machines
  std::string kernel;      // uname release
  std::string timewait_version;
};
// The boot, machine and kernel of this process filled in (the rest is the caller's).
ApplyTarget with_this_boot(ApplyTarget t);
// "the host's network namespace (inode 4026531833) on web1", "netns blue (inode 4026532281) on
// web1", "the network namespace of pid 42 (inode ...) on web1".
std::string describe(const ApplyTarget& t);
// The options that select the namespace again: "", " --netns blue", " --pid 42".
std::string target_options(const ApplyTarget& t);

// True when a backup recorded for `was` belongs to the namespace `now`.
bool same_namespace(const ApplyTarget& was, const ApplyTarget& now);

}  // namespace tw
