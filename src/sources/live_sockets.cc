// SPDX-License-Identifier: Apache-2.0
#include "sources/live_sockets.h"

#include <fmt/format.h>

#include "sources/netlink_diag.h"
#include "sources/procfs_tcp.h"

namespace tw {

namespace {
// A dump is interrupted when the socket table changes under it; on a busy host a few tries do.
constexpr int kDumpTries = 4;

}  // namespace

Result<LiveReport> read_live_sockets_from(const LiveReaders& readers, SourceKind kind,
                                          StateMask mask, const SocketSink& sink,
                                          const std::function<void()>& restart,
                                          const SourceFn& on_source) {
  std::string why_not_bpf;
  if (kind == SourceKind::kBpf ||
      (kind == SourceKind::kAuto && readers.table_size() >= kBpfAutoMinSockets && readers.walkers &&
       readers.walkers() >= 2)) {
    if (on_source) on_source("bpf");
    DumpResult r = readers.iter(mask, sink);
    if (r.failure == DumpFailure::kNone) return LiveReport{"bpf", "", r.sockets};
    if (kind == SourceKind::kBpf) return fail(r.message);
    // Whatever the iterator counted is dropped: the dump counts again from zero.
    restart();
    why_not_bpf = r.message + "; read the inet_diag dump instead";
  }
  auto report = read_live_sockets_with(readers.dump, kind, mask, sink, restart, on_source);
  if (report && !why_not_bpf.empty())
    report->note = report->note.empty() ? why_not_bpf : why_not_bpf + "; " + report->note;
  return report;
}

Result<LiveReport> read_live_sockets_with(const DumpFn& dump, SourceKind kind, StateMask mask,
                                          const SocketSink& sink,
                                          const std::function<void()>& restart,
                                          const SourceFn& on_source) {
  auto told = [&](std::string_view source) {
    if (on_source) on_source(source);
  };
  LiveReport report;
  if (kind != SourceKind::kProc) {
    for (int attempt = 1; attempt <= kDumpTries; ++attempt) {
      if (attempt > 1) restart();
      told("netlink");
      DumpResult r = dump(mask, sink);
      if (r.failure == DumpFailure::kNone) {
        report.source = "netlink";
        report.sockets = r.sockets;
        if (attempt > 1)
          report.note = fmt::format("the dump was interrupted and taken again ({} tries)", attempt);
        return report;
      }
      if (r.failure == DumpFailure::kInterrupted && attempt < kDumpTries) continue;
      if (r.failure == DumpFailure::kInterrupted)
        return fail(
            fmt::format("{}, {} times in a row; the counts would be inconsistent, so "
                        "none are shown; try again",
                        r.message, kDumpTries));
      if (r.failure == DumpFailure::kUnavailable && kind == SourceKind::kAuto) {
        report.note =
            fmt::format("{}; read /proc/net/tcp and tcp6 instead (slower, same counts)", r.message);
        restart();
        break;
      }
      return fail(r.message);
    }
  }
  told("proc");
  auto n = read_proc_net_tcp(mask, sink);
  if (!n) return fail(n.error());
  report.source = "proc";
  report.sockets = *n;
  return report;
}

}  // namespace tw
