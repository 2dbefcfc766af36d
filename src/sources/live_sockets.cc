#include "sources/live_sockets.h"

#include <fmt/format.h>

#include "sources/netlink_diag.h"
#include "sources/procfs_tcp.h"

namespace tw {

namespace {
// A dump is interrupted when the socket table changes under it; on a busy host a few tries do.
constexpr int kDumpTries = 4;
}  // namespace

Result<LiveReport> read_live_sockets(SourceKind kind, StateMask mask, const SocketSink& sink,
                                     const std::function<void()>& restart,
                                     const SourceFn& on_source) {
  return read_live_sockets_with(
      [](StateMask m, const SocketSink& s) { return dump_inet_diag(m, s); }, kind, mask, sink,
      restart, on_source);
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
