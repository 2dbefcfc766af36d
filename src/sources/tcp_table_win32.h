// SPDX-License-Identifier: Apache-2.0
// Windows' TCP table: GetExtendedTcpTable(TCP_TABLE_OWNER_PID_ALL) for AF_INET and AF_INET6, the
// live source of the Windows build (live_input_win32.cc). The rows are decoded apart from the
// call so that tests can give rows wine cannot make (owning pids: wine reports 0 for all).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/result.h"
#include "model/socket.h"
#include "model/state_mask.h"

namespace tw {

// MIB_TCP_STATE (CLOSED = 1 ... TIME_WAIT = 11, DELETE_TCB = 12) as a TcpState; nullopt for
// DELETE_TCB and unknown values.
std::optional<TcpState> tcp_state_of_mib(uint32_t mib_state);

// One row of either table, as Windows gives it: addresses and ports in network byte order.
struct TcpTableRow {
  bool v6 = false;
  uint32_t state = 0;                                 // MIB_TCP_STATE
  uint8_t local_addr[16] = {}, remote_addr[16] = {};  // IPv4 in the first 4 bytes
  uint32_t local_port = 0, remote_port = 0;           // network order in the low 16 bits
  uint32_t pid = 0;
};

// The rows of a MIB_TCPTABLE_OWNER_PID (v6 false) or MIB_TCP6TABLE_OWNER_PID buffer.
std::vector<TcpTableRow> tcp_table_rows(const void* table, bool v6);

// The image name of a process ("nginx.exe"), "" when it cannot be opened (gone, or protected).
using ProcessNameFn = std::function<std::string(uint32_t pid)>;
std::string windows_process_name(uint32_t pid);

// Hands the rows whose state is in `mask` to `sink`, each with its owning pid and process name
// (looked up once per pid). Pid 0 (TIME_WAIT rows, and every row under wine) means no owner.
int64_t emit_tcp_rows(const std::vector<TcpTableRow>& rows, StateMask mask,
                      const ProcessNameFn& name_of, const SocketSink& sink);

// Both families of the live table, for `mask`. An error names the call that failed.
Result<int64_t> read_tcp_table(StateMask mask, const SocketSink& sink,
                               const ProcessNameFn& name_of = windows_process_name);

}  // namespace tw
