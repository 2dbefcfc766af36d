// SPDX-License-Identifier: Apache-2.0
// inet_diag is a Linux netlink interface: the Windows build has no live dump, and reads no saved
// `ss -D` dump (its messages are Linux's structs, whose headers mingw does not have); text dumps of
// ss, netstat and /proc are read everywhere.
#include "sources/netlink_diag.h"

namespace tw {

DumpResult dump_inet_diag(StateMask, const SocketSink&, DumpMethod) {
  return DumpResult{DumpFailure::kUnavailable, "inet_diag is Linux's", 0};
}

bool looks_like_inet_diag(std::string_view) { return false; }

InetDiagBuffer parse_inet_diag_buffer(std::string_view, const SocketSink&) {
  InetDiagBuffer r;
  r.error = "`ss -D` dumps are read by the Linux build of timewait; on Windows give `ss -tan` text";
  return r;
}

}  // namespace tw
