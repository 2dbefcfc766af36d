// SPDX-License-Identifier: Apache-2.0
// Which process holds a socket: the kernel gives a socket's inode (inet_diag, /proc/net/tcp) and
// every process's fds link to "socket:[INODE]". Reading other users' /proc/PID/fd needs root;
// processes we cannot read are skipped.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace tw {

// inode -> pid for the inodes found (first process found wins; a socket shared after fork()
// names one of its holders). `proc` is the procfs root (tests may point elsewhere).
std::map<uint64_t, int> pids_of_inodes(const std::set<uint64_t>& inodes,
                                       const std::string& proc = "/proc");

// inode -> pid for every socket some process holds (for a snapshot that keeps the owners).
std::map<uint64_t, int> pids_of_all_sockets(const std::string& proc = "/proc");

// /proc/PID/comm without the newline, "" when unreadable.
std::string process_name(int pid, const std::string& proc = "/proc");

}  // namespace tw
