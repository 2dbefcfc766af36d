// SPDX-License-Identifier: Apache-2.0
// `doctor --trace SECONDS`: the census finds the tuple with the most TIME_WAITs but a TIME_WAIT
// socket has no owner (inet_diag reports uid and inode 0); the tracer saw the closes happen, so
// it can name the process that makes them, and every process that got EADDRNOTAVAIL.
#include <errno.h>
#include <fmt/format.h>

#include <algorithm>

#include "doctor/nat_signature.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

namespace {

std::string who(const TraceFlow& f) { return fmt::format("pid {} ({})", f.pid, f.comm); }

double per_second(uint64_t n, double seconds) { return seconds > 0 ? n / seconds : 0; }

// The pressure tuple with the most TIME_WAIT sockets.
std::optional<TuplePressure> worst_tuple(const DoctorInput& in) {
  if (!in.sockets) return std::nullopt;
  std::optional<TuplePressure> worst;
  for (const TuplePressure& p : in.sockets->pressure())
    if (p.time_wait && (!worst || p.time_wait > worst->time_wait)) worst = p;
  return worst;
}

bool on_tuple(const TraceFlow& f, const GroupKey& k) {
  return f.role == TraceRole::kClient && f.local.addr == k.local.addr && f.remote == k.remote;
}

}  // namespace

std::vector<Finding> rule_trace_owners(const DoctorInput& in) {
  if (!in.trace) return {};  // only with --trace: the sample is an extra, not a missing input
  const TraceSummary& t = *in.trace;
  Finding f;
  f.id = "trace-owners";
  f.topics = {"time-wait", "port-pressure"};
  f.sources = {
      "sock:inet_sock_set_state tracepoint (Linux 4.16): ESTABLISHED -> FIN_WAIT1 runs "
      "in the closing process, which keeps the TIME_WAIT",
      "syscalls:sys_exit_connect: the errno connect() returned"};
  f.severity = Severity::kInfo;

  std::string title;
  if (auto worst = worst_tuple(in)) {
    std::string tuple =
        fmt::format("{} -> {}", worst->key.local.addr.to_string(), worst->key.remote.to_string());
    std::vector<const TraceFlow*> closers;
    for (const TraceFlow& fl : t.flows)
      if (on_tuple(fl, worst->key) && fl.counts.active_closes) closers.push_back(&fl);
    std::sort(closers.begin(), closers.end(),
              [](auto* a, auto* b) { return a->counts.active_closes > b->counts.active_closes; });
    for (size_t i = 0; i < closers.size() && i < 3; ++i)
      f.evidence.push_back(fmt::format(
          "{}: closed first {} times toward {} in {:.0f} s ({}): its TIME_WAITs", who(*closers[i]),
          with_commas(closers[i]->counts.active_closes), tuple, t.seconds,
          format_rate(per_second(closers[i]->counts.active_closes, t.seconds))));
    if (closers.empty()) {
      f.evidence.push_back(fmt::format(
          "no process closed a connection toward {} (the tuple with the most TIME_WAIT, {}) "
          "during the {:.0f} s sample",
          tuple, with_commas(worst->time_wait), t.seconds));
      title = fmt::format("nobody made TIME_WAITs toward {} while traced", tuple);
    } else {
      title = fmt::format("the TIME_WAITs toward {} are made by {}", tuple, who(*closers[0]));
      // "Let the server close first" holds on a direct path only: behind a SNAT the server's
      // TIME_WAITs are what the balancer's reused ports hit (syn-into-time-wait).
      if (auto nat = nat_signature(in))
        f.application.push_back(fmt::format(
            "In {}: reuse connections toward {} (keep-alive, a pool). Not \"let the server close "
            "first\": this host's TIME_WAITs are held toward {}, a NAT or load balancer, whose "
            "reused ports then meet them and PAWS drops the SYNs",
            who(*closers[0]), worst->key.remote.to_string(), nat->names()));
      else
        f.application.push_back(fmt::format(
            "In {}: reuse connections toward {} (keep-alive, a pool); on a direct path, letting "
            "the server close first also moves the TIME_WAIT to the server, where it costs no "
            "ephemeral port (not behind a SNAT load balancer or NAT: there the server's "
            "TIME_WAITs drop the SYNs of the balancer's reused ports)",
            who(*closers[0]), worst->key.remote.to_string()));
    }
  }

  uint64_t eaddrnotavail = 0;
  for (const TraceFlow& fl : t.flows) {
    auto it = fl.counts.failed.find(EADDRNOTAVAIL);
    if (it == fl.counts.failed.end()) continue;
    eaddrnotavail += it->second;
    f.evidence.push_back(fmt::format("{}: {} connect() failed with EADDRNOTAVAIL toward {}",
                                     who(fl), with_commas(it->second), fl.remote.to_string()));
  }
  if (eaddrnotavail) {
    f.severity = Severity::kWarning;
    title += fmt::format("{}{} connect() calls failed with EADDRNOTAVAIL (no free local port)",
                         title.empty() ? "" : "; ", with_commas(eaddrnotavail));
  }
  for (const TraceProcess& p : t.processes())
    if (p.counts.bind_before_connect) {
      f.severity = std::max(f.severity, Severity::kWarning);
      f.evidence.push_back(fmt::format(
          "pid {} ({}): {} connect() calls on a socket bound to a port first: one port pool per "
          "source address",
          p.pid, p.comm, with_commas(p.counts.bind_before_connect)));
      f.application.push_back(fmt::format(
          "In pid {} ({}): set IP_BIND_ADDRESS_NO_PORT before bind(), or do not bind before "
          "connect()",
          p.pid, p.comm));
    }
  if (t.lost.total())
    f.evidence.push_back(fmt::format("the tracer lost {} counts (maps full): numbers are low",
                                     with_commas(t.lost.total())));
  if (title.empty())
    title =
        fmt::format("no TIME_WAIT build-up or failed connect to attribute in {:.0f} s", t.seconds);
  f.title = title;
  f.why =
      "A TIME_WAIT socket has no owner, so the census cannot name the process; the end that "
      "closes first keeps the TIME_WAIT, and the tracer saw which process that was. EADDRNOTAVAIL "
      "from connect() means no local port was free toward that destination.";
  f.dont = {
      "SO_LINGER 0 to skip TIME_WAIT: the reset can destroy data in flight (timewait lab run "
      "linger0)"};
  return {f};
}

}  // namespace tw
