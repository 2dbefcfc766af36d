// Reads TCP sockets from the kernel with a NETLINK_SOCK_DIAG dump (inet_diag), the interface `ss`
// uses. The state filter is sent to the kernel, so unwanted sockets never reach user space, and
// each socket is handed to the sink as it is parsed: nothing is kept.
#pragma once

#include <cstdint>

#include "model/result.h"
#include "model/socket.h"
#include "model/state_mask.h"

namespace tw {

enum class DumpFailure {
  kNone,
  kUnavailable,  // no sock_diag / tcp_diag in this kernel: fall back to /proc/net/tcp
  kInterrupted,  // NLM_F_DUMP_INTR or ENOBUFS: the set changed during the dump; start over
  kError,
};

struct DumpResult {
  DumpFailure failure = DumpFailure::kNone;
  std::string message;  // set when failure != kNone
  int64_t sockets = 0;  // sockets handed to the sink
};

// How to ask: kOneWalk sends the legacy TCPDIAG_GETSOCK request (both families in one walk of the
// kernel's hash), kPerFamily one SOCK_DIAG_BY_FAMILY request per family; kAuto tries the first and
// falls back to the second.
enum class DumpMethod { kAuto, kOneWalk, kPerFamily };

// Dumps the IPv4 and IPv6 TCP sockets of the calling thread's network namespace whose state is
// in `mask`. Mini-sockets in FIN_WAIT2 live in the kernel's TIME_WAIT table: asking for fin-wait-2
// also asks the kernel for time-wait and filters here.
DumpResult dump_inet_diag(StateMask mask, const SocketSink& sink,
                          DumpMethod method = DumpMethod::kAuto);

}  // namespace tw
