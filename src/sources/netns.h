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

}  // namespace tw
