// SPDX-License-Identifier: Apache-2.0
// One TCP socket as a census sees it, whatever the source (inet_diag, /proc/net/tcp, a text dump,
// a snapshot). Small and copyable: sources stream these to a sink one at a time, so memory stays
// proportional to the groups counted, not to the sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "model/endpoint.h"
#include "model/tcp_state.h"

namespace tw {

// For a TIME_WAIT socket: could tcp_tw_reuse give its port to a new connect() now, where reuse
// applies (tcp_tw_reuse=1, or 2 and loopback)? It needs the connection to have used TCP timestamps
// and, since Linux 6.14, the socket to be in TIME_WAIT longer than tcp_tw_reuse_delay
// (tcp_twsk_unique). Only the kernel knows: the bpf source tells, the others leave kUnknown.
enum class TwReuse : uint8_t { kUnknown, kReusable, kNotYet, kNoTimestamps };

struct Socket {
  TcpState state = TcpState::kClose;
  Endpoint local;
  Endpoint remote;
  // Milliseconds until the socket's timer fires, when the source knows it (-1 otherwise). For a
  // TIME_WAIT socket this is what is left of the 60 s TIME_WAIT period.
  int64_t timer_ms = -1;
  // True for a TIME_WAIT mini-socket (struct inet_timewait_sock). Its state is TIME_WAIT or, for an
  // orphaned socket closed in FIN_WAIT2, FIN_WAIT2 (the kernel's tw_substate).
  bool mini = false;
  TwReuse reuse = TwReuse::kUnknown;  // TIME_WAIT only
  uint32_t uid = 0;
  uint64_t inode = 0;  // 0 when unknown or for mini-sockets
  int32_t pid = -1;    // owning process where the source tells (ss -p, netstat -p/-o), else -1
  // The owning process's command where the source tells: /proc/PID/comm in a snapshot, the
  // program or service Windows netstat -b names ("RpcSs [svchost.exe]"); else empty. Points into
  // storage owned by the source for the duration of the callback.
  std::string_view command;
  // The state as the source spelled it ("LISTENING", "TimeWait"), empty for live sources. Points
  // into storage owned by the source for the duration of the callback.
  std::string_view original_state;
};

using SocketSink = std::function<void(const Socket&)>;

}  // namespace tw
