// SPDX-License-Identifier: Apache-2.0
#include "trace/render.h"

#include <fmt/format.h>
#include <string.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "model/format.h"
#include "model/safe_text.h"

namespace tw {

namespace {

constexpr const char* kEventRow = "{:>9} {:>7} {:<15} {:<24} {:<24} {}\n";
constexpr const char* kPodEventRow = "{:>9} {:>7} {:<15} {:<32} {:<16} {:<24} {:<24} {}\n";

std::string pod_text(const PodRef& p) { return p.empty() ? "-" : printable_line(p.ref()); }
std::string container_text(const PodRef& p) {
  return p.container.empty() ? "-" : printable_line(p.container);
}

// ", pod shop/cart, container cart" or "".
std::string pod_suffix(const PodRef& p) {
  if (p.empty()) return "";
  return fmt::format(", pod {}, container {}", pod_text(p), container_text(p));
}

// The pod's keys of an event, flow or process ("" when none), for JSON written by hand.
std::string pod_json_members(const PodRef& p) {
  if (p.empty()) return "";
  auto q = [](const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  return fmt::format(
      ",\"namespace\":{},\"pod\":{},\"pod_uid\":{},\"container\":{},"
      "\"container_id\":{}",
      q(p.namespace_name), q(p.name), q(p.uid), q(p.container), q(p.container_id));
}

void add_pod_json(const PodRef& p, nlohmann::json* j) {
  if (p.empty()) return;
  (*j)["namespace"] = p.namespace_name;
  (*j)["pod"] = p.name;
  (*j)["pod_uid"] = p.uid;
  (*j)["container"] = p.container;
  (*j)["container_id"] = p.container_id;
}

std::string pid_text(const TraceEvent& e) { return e.pid ? fmt::format("{}", e.pid) : "-"; }

std::string_view attribution_name(Attribution a) {
  switch (a) {
    case Attribution::kCaller:
      return "caller";
    case Attribution::kOwner:
      return "owner";
    case Attribution::kNone:
      break;
  }
  return "none";
}

// What a transition means for TIME_WAIT, where it means something.
std::string_view transition_meaning(uint8_t from, uint8_t to) {
  auto is = [&](TcpState a, TcpState b) {
    return from == static_cast<uint8_t>(a) && to == static_cast<uint8_t>(b);
  };
  using S = TcpState;
  if (is(S::kClose, S::kSynSent)) return "connect()";
  if (is(S::kSynSent, S::kEstablished)) return "connected";
  if (is(S::kSynSent, S::kClose)) return "connect failed";
  if (is(S::kEstablished, S::kFinWait1)) return "active close: this process gets the TIME_WAIT";
  if (is(S::kCloseWait, S::kLastAck)) return "passive close: the peer gets the TIME_WAIT";
  if (is(S::kFinWait2, S::kClose) || is(S::kClosing, S::kClose))
    return "socket gone; a TIME_WAIT usually takes its place";
  return "";
}

std::string event_text(const TraceEvent& e) {
  switch (e.kind) {
    case TraceEventKind::kState: {
      std::string t = fmt::format("{} -> {}", state_label(e.from), state_label(e.to));
      std::string_view m = transition_meaning(e.from, e.to);
      return m.empty() ? t : fmt::format("{}  {}", t, m);
    }
    case TraceEventKind::kConnectFailed:
      return fmt::format("connect() failed: {} ({})", errno_name(e.err), strerror(e.err));
    case TraceEventKind::kBindBeforeConnect:
      return fmt::format(
          "bind before connect: port {} held before connect() (no IP_BIND_ADDRESS_NO_PORT)",
          e.local.port);
    case TraceEventKind::kBindFailed:
      return fmt::format("bind() failed: {} ({})", errno_name(e.err), strerror(e.err));
  }
  return "";
}

std::string_view kind_name(TraceEventKind k) {
  switch (k) {
    case TraceEventKind::kState:
      return "state";
    case TraceEventKind::kConnectFailed:
      return "connect-failed";
    case TraceEventKind::kBindBeforeConnect:
      return "bind-before-connect";
    case TraceEventKind::kBindFailed:
      return "bind-failed";
  }
  return "";
}

double seconds_since(uint64_t ts, uint64_t t0) { return ts > t0 ? (ts - t0) / 1e9 : 0.0; }

std::string address_text(const Endpoint& e) {
  if (!e.addr.family) return "*";
  return e.port ? e.to_string() : e.addr.to_string();
}

std::string count_rate(uint64_t n, double seconds) {
  if (!n) return "-";
  return fmt::format("{} ({})", with_commas(static_cast<int64_t>(n)),
                     format_rate(seconds > 0 ? n / seconds : 0));
}

std::string errors_text(const std::map<int, uint64_t>& errors) {
  if (errors.empty()) return "-";
  std::string out;
  for (auto& [err, n] : errors)
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", errno_name(err),
                       with_commas(static_cast<int64_t>(n)));
  return out;
}
std::string failed_text(const FlowCounts& c) { return errors_text(c.failed); }

nlohmann::json counts_json(const FlowCounts& c, double seconds) {
  auto rate = [&](uint64_t n) { return seconds > 0 ? n / seconds : 0.0; };
  nlohmann::json failed = nlohmann::json::object();
  for (auto& [err, n] : c.failed) failed[errno_name(err)] = n;
  nlohmann::json bind_failed = nlohmann::json::object();
  for (auto& [err, n] : c.bind_failed) bind_failed[errno_name(err)] = n;
  return {{"connects", c.connects},
          {"connects_per_s", rate(c.connects)},
          {"active_closes", c.active_closes},
          {"active_closes_per_s", rate(c.active_closes)},
          {"passive_closes", c.passive_closes},
          {"passive_closes_per_s", rate(c.passive_closes)},
          {"failed_connects", failed},
          {"failed_connects_total", c.failed_total()},
          {"failed_binds", bind_failed},
          {"failed_binds_total", c.bind_failed_total()},
          {"bind_before_connect", c.bind_before_connect},
          {"closes_first", closes_first(c)}};
}

nlohmann::json loss_json(const TraceLoss& l) {
  return {{"events", l.events}, {"keys", l.keys}, {"sockets", l.sockets}};
}

std::string loss_text(const TraceLoss& l) {
  if (!l.total()) return "0 lost";
  std::string out;
  auto add = [&](uint64_t n, const char* what) {
    if (n) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", with_commas(n), what);
  };
  add(l.events, "events LOST (ring buffer full)");
  add(l.keys, "counts LOST (summary map full)");
  add(l.sockets, "socket owners LOST (owner map full)");
  return out;
}

}  // namespace

std::string render_event_header(bool pods) {
  if (pods)
    return fmt::format(kPodEventRow, "TIME(s)", "PID", "COMM", "POD", "CONTAINER", "LOCAL",
                       "REMOTE", "EVENT");
  return fmt::format(kEventRow, "TIME(s)", "PID", "COMM", "LOCAL", "REMOTE", "EVENT");
}

std::string render_event_line(const TraceEvent& e, uint64_t t0_ns, bool pods) {
  if (pods)
    return fmt::format(kPodEventRow, fmt::format("{:.3f}", seconds_since(e.ts_ns, t0_ns)),
                       pid_text(e), e.comm.empty() ? "-" : printable_line(e.comm), pod_text(e.pod),
                       container_text(e.pod), e.local.to_string(), e.remote.to_string(),
                       event_text(e));
  return fmt::format(kEventRow, fmt::format("{:.3f}", seconds_since(e.ts_ns, t0_ns)), pid_text(e),
                     e.comm.empty() ? "-" : printable_line(e.comm), e.local.to_string(),
                     e.remote.to_string(), event_text(e));
}

std::string render_event_json(const TraceEvent& e, uint64_t t0_ns) {
  // Only the command name can hold characters JSON must escape.
  std::string out = fmt::format(
      "{{\"t\":{:.6f},\"event\":\"{}\",\"pid\":{},\"comm\":{},\"attribution\":\"{}\","
      "\"role\":\"{}\",\"local\":\"{}\",\"remote\":\"{}\"",
      seconds_since(e.ts_ns, t0_ns), kind_name(e.kind), e.pid,
      nlohmann::json(e.comm).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      attribution_name(e.attribution), role_name(e.role), e.local.to_string(),
      e.remote.to_string());
  if (e.kind == TraceEventKind::kState)
    out += fmt::format(",\"skaddr\":\"{:#x}\",\"from\":\"{}\",\"to\":\"{}\"", e.skaddr,
                       state_label(e.from), state_label(e.to));
  else if (e.kind == TraceEventKind::kConnectFailed || e.kind == TraceEventKind::kBindFailed)
    out += fmt::format(",\"errno\":\"{}\",\"error\":\"{}\"", errno_name(e.err), strerror(e.err));
  out += pod_json_members(e.pod);
  out += "}\n";
  return out;
}

std::string render_stream_end(const StreamTotals& t) {
  return fmt::format("# {} events in {:.1f} s; {}\n", with_commas(t.events), t.seconds,
                     loss_text(t.lost));
}

nlohmann::json stream_end_to_json(const StreamTotals& t) {
  return {
      {"event", "end"}, {"seconds", t.seconds}, {"events", t.events}, {"lost", loss_json(t.lost)}};
}

std::string render_summary_table(const TraceSummary& s, const std::string& scope) {
  std::string out = fmt::format(
      "TCP connects and closes per process, {}, over {:.1f} s (counted in the kernel; {})\n", scope,
      s.seconds, loss_text(s.lost));
  if (s.flows.empty()) return out + "\nno TCP connect or close was seen\n";

  // Pod and container columns only where a row is a pod's: a host without pods reads as before.
  const bool pods = std::any_of(s.flows.begin(), s.flows.end(),
                                [](const TraceFlow& f) { return !f.pod.empty(); });
  auto who = [&](int pid, const std::string& comm, const PodRef& pod) {
    std::string out = fmt::format("{:>7} {:<15} ", pid, printable_line(comm));
    if (pods) out += fmt::format("{:<32} {:<16} ", pod_text(pod), container_text(pod));
    return out;
  };
  auto who_title = [&] {
    return fmt::format("{:>7} {:<15} ", "PID", "COMM") +
           (pods ? fmt::format("{:<32} {:<16} ", "POD", "CONTAINER") : "");
  };
  constexpr const char* kProc = "{:<18} {:<18} {:<18} {:<24} {}\n";
  out += "\nBY PROCESS\n";
  out += who_title() + fmt::format(kProc, "CONNECTS", "ACTIVE CLOSES", "PASSIVE CLOSES",
                                   "FAILED CONNECTS", "CLOSES FIRST");
  for (const TraceProcess& p : s.processes()) {
    std::string_view first = closes_first(p.counts);
    out +=
        who(p.pid, p.comm, p.pod) + fmt::format(kProc, count_rate(p.counts.connects, s.seconds),
                                                count_rate(p.counts.active_closes, s.seconds),
                                                count_rate(p.counts.passive_closes, s.seconds),
                                                failed_text(p.counts), first.empty() ? "-" : first);
  }

  size_t width = 6;
  for (const TraceFlow& f : s.flows)
    width = std::max({width, address_text(f.local).size(), address_text(f.remote).size()});
  std::string row = fmt::format(
      "{{:<7}} {{:<{0}}} {{:<{0}}} {{:<18}} {{:<18}} "
      "{{:<18}} {{:<24}} {{}}\n",
      width);
  out +=
      "\nBY PROCESS AND TUPLE (clients: local address -> remote address:port; servers: local "
      "address:port <- remote address)\n";
  out += who_title() + fmt::vformat(row, fmt::make_format_args(
                                             "ROLE", "LOCAL", "REMOTE", "CONNECTS", "ACTIVE CLOSES",
                                             "PASSIVE CLOSES", "FAILED CONNECTS", "CLOSES FIRST"));
  for (const TraceFlow& f : s.flows) {
    std::string_view first = closes_first(f.counts);
    std::string connects = count_rate(f.counts.connects, s.seconds),
                active = count_rate(f.counts.active_closes, s.seconds),
                passive = count_rate(f.counts.passive_closes, s.seconds),
                failed = failed_text(f.counts), local = address_text(f.local),
                remote = address_text(f.remote);
    std::string_view role = role_name(f.role), closer = first.empty() ? "-" : first;
    out += who(f.pid, f.comm, f.pod) +
           fmt::vformat(row, fmt::make_format_args(role, local, remote, connects, active, passive,
                                                   failed, closer));
  }

  std::string flagged;
  for (const TraceProcess& p : s.processes())
    if (p.counts.bind_before_connect)
      flagged += fmt::format("  {} ({}{}): {} connect() calls on a socket bound to a port first\n",
                             p.pid, printable_line(p.comm), pod_suffix(p.pod),
                             with_commas(p.counts.bind_before_connect));
  if (!flagged.empty())
    out +=
        "\nBIND BEFORE CONNECT (each source address becomes its own port pool; set "
        "IP_BIND_ADDRESS_NO_PORT before bind(), or do not bind)\n" +
        flagged;
  std::string binds;
  for (const TraceFlow& f : s.flows)
    if (!f.counts.bind_failed.empty())
      binds += fmt::format("  {} ({}{}) on {}: {}\n", f.pid, f.comm, pod_suffix(f.pod),
                           address_text(f.local), errors_text(f.counts.bind_failed));
  if (!binds.empty())
    out +=
        "\nFAILED BIND (EADDRINUSE with port 0: no port of that address is free; see `timewait "
        "doctor`, port-pressure)\n" +
        binds;
  return printable(out);
}

nlohmann::json summary_to_json(const TraceSummary& s, const std::string& scope) {
  nlohmann::json procs = nlohmann::json::array(), flows = nlohmann::json::array();
  for (const TraceProcess& p : s.processes()) {
    nlohmann::json j = counts_json(p.counts, s.seconds);
    j["pid"] = p.pid;
    j["comm"] = p.comm;
    add_pod_json(p.pod, &j);
    procs.push_back(j);
  }
  for (const TraceFlow& f : s.flows) {
    nlohmann::json j = counts_json(f.counts, s.seconds);
    j["pid"] = f.pid;
    j["comm"] = f.comm;
    j["role"] = role_name(f.role);
    j["local"] = address_text(f.local);
    j["remote"] = address_text(f.remote);
    add_pod_json(f.pod, &j);
    flows.push_back(j);
  }
  return {{"scope", scope},
          {"seconds", s.seconds},
          {"lost", loss_json(s.lost)},
          {"processes", procs},
          {"flows", flows}};
}

}  // namespace tw
