// SPDX-License-Identifier: Apache-2.0
// The live census source: the `bpf` source for a large table (where built and allowed, with CPUs
// to split its walk), else inet_diag when the kernel has it, else /proc/net/tcp, with retries when
// a dump is interrupted.
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <string_view>

#include "model/result.h"
#include "model/socket.h"
#include "model/state_mask.h"
#include "sources/netlink_diag.h"

namespace tw {

enum class SourceKind { kAuto, kNetlink, kProc, kBpf };

// Auto reads the socket table with the `bpf` source (sources/tcp_iter.h: the hash walk) from
// this many sockets (/proc/net/sockstat TCP inuse + TCP6 inuse + tw), when the walk can run on two
// CPUs or more. Measured on Linux 6.18 (docs/performance.md, "The bpf source"): the walk costs
// about the CPU time of the inet_diag dump per socket and 45-60 ms to load, so it is faster only
// split between CPUs and on a table large enough to repay the load.
inline constexpr int64_t kBpfAutoMinSockets = 250000;

struct LiveReport {
  std::string source;  // "bpf", "netlink" or "proc"
  std::string note;    // why a fallback or retry happened, for the user; empty if none
  int64_t sockets = 0;
};

// Each reader streams the sockets of the calling thread's namespace to `sink`. If a dump is
// interrupted it is started again: `restart` is called first so the caller can drop what it
// counted. `on_source`, when given, is told "bpf", "netlink" or "proc" before the first socket of
// each attempt (a snapshot records where its sockets came from before writing them). The live
// input (sources/live_input.h) passes the kernel's readers.
using SourceFn = std::function<void(std::string_view source)>;

// With the netlink dump alone (inet_diag, else /proc/net/tcp), so tests can play a kernel without
// inet_diag or one whose dumps keep being interrupted.
using DumpFn = std::function<DumpResult(StateMask, const SocketSink&)>;
Result<LiveReport> read_live_sockets_with(const DumpFn& dump, SourceKind kind, StateMask mask,
                                          const SocketSink& sink,
                                          const std::function<void()>& restart,
                                          const SourceFn& on_source = {});

// With every reader: `iter` is the `bpf` source, `table_size` the sockets /proc/net/sockstat
// counts (-1: unknown) and `walkers` the walkers the bpf source would run; tests play any host.
struct LiveReaders {
  DumpFn dump;
  DumpFn iter;
  std::function<int64_t()> table_size;
  std::function<int()> walkers;
};
Result<LiveReport> read_live_sockets_from(const LiveReaders& readers, SourceKind kind,
                                          StateMask mask, const SocketSink& sink,
                                          const std::function<void()>& restart,
                                          const SourceFn& on_source = {});

}  // namespace tw
