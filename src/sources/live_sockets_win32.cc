// SPDX-License-Identifier: Apache-2.0
// The Windows build's live source: the TCP table of iphlpapi (sources/tcp_table_win32.h).
// inet_diag and /proc are Linux's; on Windows --source takes auto only.
#include <fmt/format.h>

#include "sources/live_sockets.h"
#include "sources/tcp_table_win32.h"

namespace tw {

Result<LiveReport> read_live_sockets(SourceKind kind, StateMask mask, const SocketSink& sink,
                                     const std::function<void()>& /*restart*/,
                                     const SourceFn& on_source) {
  if (kind != SourceKind::kAuto)
    return fail(
        "--source netlink and proc are Linux's interfaces; on Windows the census reads "
        "GetExtendedTcpTable (leave --source out)");
  if (on_source) on_source("iphlpapi");
  // One call per family returns a consistent table each: no dump to restart.
  auto n = read_tcp_table(mask, sink);
  if (!n) return fail(n.error());
  return LiveReport{"iphlpapi", "", *n};
}

}  // namespace tw
