// SPDX-License-Identifier: Apache-2.0
// Reads /proc/net/tcp and /proc/net/tcp6: the fallback where inet_diag is missing, and the parser
// for such text pasted from another machine.
#pragma once

#include <istream>
#include <string>
#include <string_view>

#include "model/result.h"
#include "model/socket.h"
#include "model/state_mask.h"

namespace tw {

// One data line of /proc/net/tcp{,6} ("  0: 0100007F:0016 00000000:0000 0A ..."). The family is
// told by the address width (8 hex digits IPv4, 32 IPv6). The header line is not a data line:
// returns an error for it and for anything malformed. TIME_WAIT rows carry the timer in
// "tr tm->when" (tr 3, when in clock ticks of USER_HZ = 100).
Result<Socket> parse_proc_tcp_line(std::string_view line);

// True for the header line ("  sl  local_address rem_address   st ...").
bool is_proc_tcp_header(std::string_view line);

// Reads the calling thread's namespace's /proc/net/tcp and tcp6 (via /proc/thread-self/net).
Result<int64_t> read_proc_net_tcp(StateMask mask, const SocketSink& sink);

}  // namespace tw
