// SPDX-License-Identifier: Apache-2.0
// Moves the calling thread into another network namespace, by name (/run/netns/NAME, as
// `ip netns add` makes) or by process (/proc/PID/ns/net). Everything read afterwards (inet_diag,
// /proc/thread-self/net, /proc/sys/net) is that namespace's.
#pragma once

#include <cstdint>
#include <string>

#include "model/result.h"

namespace tw {

Status enter_netns_by_name(const std::string& name);
Status enter_netns_of_pid(int pid);

// The inode that identifies a network namespace (what `ls -i /run/netns/NAME` and the kernel's
// net->ns.inum show), by name, or of the calling thread.
Result<uint64_t> netns_inode_by_name(const std::string& name);
Result<uint64_t> netns_inode_of_self();

// The calling thread's namespace's cookie (SO_NETNS_COOKIE, Linux 5.14): unlike the inode, which
// a namespace made after another one is gone often gets again, it is never reused until reboot.
// 0 where the kernel has no cookies.
uint64_t netns_cookie_of_self();

// Who the calling thread's network namespace is, as `doctor --apply` records it in a backup.
struct NetnsIdentity {
  uint64_t dev = 0, inode = 0;  // stat() of /proc/thread-self/ns/net: the namespace's identity
  uint64_t cookie = 0;          // netns_cookie_of_self()
  // PID 1's namespace: the one the machine's own boot (systemd-sysctl, /etc/sysctl.d) sets up.
  bool host = false;
  uint64_t host_inode = 0;  // PID 1's namespace's inode
  std::string name;         // its name under /run/netns (`ip netns add`), "" when it has none
};
// "host" is decided by comparing with PID 1's namespace (dev and inode of /proc/1/ns/net), never
// by a constant inode: the initial namespace's number differs between kernels. Where PID 1's
// cannot be read (a sandbox's init that refuses ptrace access), kthreadd's is used (pid 2 with
// parent 0: kernel threads always live in the initial namespace). Fails when neither can be read.
// `proc` and `run_netns` are injectable for tests.
Result<NetnsIdentity> netns_identity_of_self(const std::string& proc = "/proc",
                                             const std::string& run_netns = "/run/netns");
// The host's namespace's inode alone, decided as above (PID 1's, else kthreadd's) under `proc`
// (the host's /proc mounted elsewhere), with no need of the caller's own entry in it.
Result<uint64_t> host_netns_inode(const std::string& proc = "/proc");

}  // namespace tw
