// SPDX-License-Identifier: Apache-2.0
// On Windows the TCP table itself names each socket's owning pid (sources/tcp_table_win32.h):
// there are no socket inodes to look up.
#include "sources/socket_owners.h"
#include "sources/tcp_table_win32.h"

namespace tw {

std::map<uint64_t, int> pids_of_inodes(const std::set<uint64_t>&, const std::string&) { return {}; }

std::map<uint64_t, int> pids_of_all_sockets(const std::string&) { return {}; }

std::string process_name(int pid, const std::string&) {
  return pid > 0 ? windows_process_name(static_cast<uint32_t>(pid)) : "";
}

}  // namespace tw
