// SPDX-License-Identifier: Apache-2.0
// Reads TCP sockets from the kernel with a NETLINK_SOCK_DIAG dump (inet_diag), the interface `ss`
// uses. The state filter is sent to the kernel, so unwanted sockets never reach user space, and
// each socket is handed to the sink as it is parsed: nothing is kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// Saved dumps: `ss -D FILE` writes the kernel's inet_diag replies as it received them (one
// SOCK_DIAG_BY_FAMILY message a socket, an NLMSG_DONE after each family's dump). These read them
// with the live parser, timers included.
inline constexpr size_t kMaxDiagMessage = 64 * 1024;  // a message is far smaller (~100 bytes)

// True when `bytes` start with an inet_diag reply message.
bool looks_like_inet_diag(std::string_view bytes);

struct InetDiagBuffer {
  size_t used = 0;      // bytes of whole messages read; the rest is the start of the next one
  int64_t sockets = 0;  // handed to the sink
  int64_t done = 0;     // NLMSG_DONE messages (one per family dump)
  int64_t other = 0;    // messages holding no IPv4/IPv6 socket
  std::string error;    // set on a message that cannot be one, or a saved kernel error
};

// Reads whole messages from `bytes` (host byte order, as the kernel wrote them).
InetDiagBuffer parse_inet_diag_buffer(std::string_view bytes, const SocketSink& sink);

}  // namespace tw
