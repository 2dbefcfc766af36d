// The live census source: the BPF iterator for a large table (where built and allowed), else
// inet_diag when the kernel has it, else /proc/net/tcp, with retries when a dump is interrupted.
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

// Auto reads the socket table with the BPF iterator (sources/tcp_iter.h) from this many sockets
// (/proc/net/sockstat TCP inuse + TCP6 inuse + tw). Measured on Linux 6.18 (docs/performance.md,
// "The bpf source"): the iterator's walk alone costs more per socket than the whole inet_diag
// dump, and loading it adds 30-90 ms, so at no table size is it faster and auto never picks it;
// `--source bpf` reads it for what only it tells (TIME_WAIT reuse). Lower this where a kernel is
// measured faster.
inline constexpr int64_t kBpfAutoMinSockets = std::numeric_limits<int64_t>::max();

struct LiveReport {
  std::string source;  // "bpf", "netlink" or "proc"
  std::string note;    // why a fallback or retry happened, for the user; empty if none
  int64_t sockets = 0;
};

// Streams the sockets of the calling thread's namespace to `sink`. If a dump is interrupted it is
// started again: `restart` is called first so the caller can drop what it counted. `on_source`,
// when given, is told "bpf", "netlink" or "proc" before the first socket of each attempt (a
// snapshot records where its sockets came from before writing them).
using SourceFn = std::function<void(std::string_view source)>;
Result<LiveReport> read_live_sockets(SourceKind kind, StateMask mask, const SocketSink& sink,
                                     const std::function<void()>& restart,
                                     const SourceFn& on_source = {});

// The same with the netlink dump passed in, so tests can play a kernel without inet_diag or one
// whose dumps keep being interrupted.
using DumpFn = std::function<DumpResult(StateMask, const SocketSink&)>;
Result<LiveReport> read_live_sockets_with(const DumpFn& dump, SourceKind kind, StateMask mask,
                                          const SocketSink& sink,
                                          const std::function<void()>& restart,
                                          const SourceFn& on_source = {});

// The same with every reader passed in: `iter` plays the BPF iterator and `table_size` the
// sockets /proc/net/sockstat counts (-1: unknown), so tests can play any host.
struct LiveReaders {
  DumpFn dump;
  DumpFn iter;
  std::function<int64_t()> table_size;
};
Result<LiveReport> read_live_sockets_from(const LiveReaders& readers, SourceKind kind,
                                          StateMask mask, const SocketSink& sink,
                                          const std::function<void()>& restart,
                                          const SourceFn& on_source = {});

}  // namespace tw
