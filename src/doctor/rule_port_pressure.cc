// SPDX-License-Identifier: Apache-2.0
// Ephemeral-port pressure per destination tuple (local address, remote address, remote port):
// where each tuple is heading (census/forecast: the last 10 s rate against the sustainable rate,
// the ETA to exhaustion, or no free port now), and the real fixes in order, best first.
#include <fmt/format.h>

#include <algorithm>

#include "census/report.h"
#include "doctor/range_proposal.h"
#include "doctor/rules.h"

namespace tw {

namespace {

constexpr size_t kShown = 5;
constexpr const char* kId = "port-pressure";

// nginx in front of the destination: keep connections to it open instead of one per request.
std::string nginx_snippet(const Endpoint& dest) {
  return fmt::format(
      "nginx to an upstream: keep connections open instead of one per request:\n"
      "    upstream backend {{\n"
      "        server {};\n"
      "        keepalive 32;              # idle connections kept per worker\n"
      "    }}\n"
      "    location / {{\n"
      "        proxy_pass http://backend;\n"
      "        proxy_http_version 1.1;    # keep-alive needs HTTP/1.1 to the upstream\n"
      "        proxy_set_header Connection \"\";\n"
      "    }}",
      dest.to_string());
}

std::string tuple_name(const TuplePressure& t) {
  return fmt::format("{} -> {}", t.key.local.addr.to_string(), t.key.remote.to_string());
}

// What the forecast says, as the end of an evidence line or a title.
std::string outlook(const Forecast& f) {
  switch (f.state) {
    case PoolState::kExhausted:
      return "no free port: connect() fails now (EADDRNOTAVAIL)";
    case PoolState::kRising:
      return fmt::format("exhausted in {} at the last 10 s rate", eta_text(f));
    case PoolState::kOk:
      break;
  }
  if (f.capped_by_max_tw_buckets)
    return "the free ports last only because tcp_max_tw_buckets stops the TIME_WAITs first (the "
           "closes past it skip TIME_WAIT: see tcp-max-tw-buckets)";
  return f.rate_10s ? "the free ports last at the last 10 s rate" : "";
}

std::string evidence_line(const TupleForecast& r) {
  const TuplePressure& t = r.tuple;
  const Forecast& f = r.forecast;
  std::string head = fmt::format("{}: {} of {} ports in use ({}), {} in TIME_WAIT", tuple_name(t),
                                 with_commas(t.in_use), with_commas(t.available),
                                 format_percent(f.percent), with_commas(t.time_wait));
  if (!f.rate_10s)
    return fmt::format(
        "{} = {} new connections (sustainable {}); no TIME_WAIT timers in this input: no 10 s "
        "rate, no ETA",
        head, format_rate(f.rate_60s), format_rate(f.sustainable));
  return fmt::format("{}; made at {} over the last 10 s, {} over 60 s (sustainable {}{}): {}", head,
                     format_rate(*f.rate_10s), format_rate(f.rate_60s), format_rate(f.sustainable),
                     f.reuse ? " with tcp_tw_reuse" : "", outlook(f));
}

nlohmann::json tuple_json(const TupleForecast& r) {
  nlohmann::json j = {{"local", r.tuple.key.local.addr.to_string()},
                      {"remote", r.tuple.key.remote.addr.to_string()},
                      {"remote_port", r.tuple.key.remote.port},
                      {"in_use", r.tuple.in_use},
                      {"time_wait", r.tuple.time_wait},
                      {"available", r.tuple.available}};
  j.update(forecast_json(r.forecast));
  return j;
}

std::string title(const TupleForecast& worst) {
  const Forecast& f = worst.forecast;
  const std::string name = tuple_name(worst.tuple);
  switch (f.state) {
    case PoolState::kExhausted:
      return fmt::format("{}: no free source port ({} of {} in use): connect() fails now", name,
                         with_commas(worst.tuple.in_use), with_commas(worst.tuple.available));
    case PoolState::kRising:
      return fmt::format(
          "{}: ephemeral ports exhausted in {} at the last 10 s rate ({}, "
          "sustainable {})",
          name, eta_text(f), format_rate(*f.rate_10s), format_rate(f.sustainable));
    case PoolState::kOk:
      break;
  }
  if (f.level() == "ok")
    return fmt::format("worst tuple uses {} of the ephemeral ports (toward {}){}",
                       format_percent(f.percent), worst.tuple.key.remote.to_string(),
                       f.capped_by_max_tw_buckets
                           ? "; at the last 10 s rate they would run out, but tcp_max_tw_buckets "
                             "stops its TIME_WAITs first (see tcp-max-tw-buckets)"
                           : "");
  if (f.held_percent() < kPressureWarnPercent)  // warning only because reuse is not verified
    return fmt::format(
        "{} holds {} of the ephemeral ports, {} in TIME_WAIT: tcp_tw_reuse takes them only if the "
        "peer uses TCP timestamps, which this input does not show (--source bpf asks the kernel)",
        name, format_percent(f.percent), with_commas(worst.tuple.time_wait));
  return fmt::format(
      "{} holds {} of the ephemeral ports{}", name, format_percent(f.percent),
      f.rate_10s ? fmt::format("; at the last 10 s rate ({}) they last", format_rate(*f.rate_10s))
                 : " (no TIME_WAIT timers: rate unknown)");
}

// Over this share of the pool held from one address toward several destinations with no port
// shared, the ports are bind()'s, not connect()'s: connect() alone takes ports of the range low
// end's parity first and shares those between destinations before it takes another, so it does
// not spread over most of the pool with each port serving one destination.
constexpr double kBoundPoolWarnPercent = 70;

std::optional<SourcePool> bound_pool(const Census& c) {
  for (const SourcePool& p : c.source_pools())
    if (p.tuples >= 2 && p.ports_shared == 0 && p.percent() >= kBoundPoolWarnPercent) return p;
  return std::nullopt;
}

void linux_fixes(const DoctorInput& in, const TupleForecast& worst, Finding* f) {
  auto range = propose_wider_range(in);
  f->application = {
      "Reuse connections: HTTP keep-alive and connection pools, so one port carries many "
      "requests. " +
          nginx_snippet(worst.tuple.key.remote),
      "Spread over more tuples: more destination addresses or ports (several backend "
      "addresses), or several source addresses; bind() each socket to a source address with "
      "IP_BIND_ADDRESS_NO_PORT (Linux 4.2) set first, so the port is chosen at connect() per "
      "4-tuple and one port serves many destinations."};
  if (range && range->apply) {
    // Safe to apply: the ephemeral-range finding carries it (same values), --apply writes it.
    f->application.push_back(fmt::format(
        "A wider ephemeral range, {}: the ephemeral-range finding's fix, which `timewait doctor "
        "--apply` writes{}.",
        range->summary(),
        range->reserved_listeners.empty() ? "" : " with the listening ports inside it reserved"));
  } else if (range) {
    f->application.push_back(fmt::format(
        "A wider ephemeral range, {}{} (under \"weigh first\": a service that is not running "
        "now may need a port in it).",
        range->summary(),
        range->reserved_listeners.empty() ? "" : ", reserving the listening ports inside it"));
    f->sysctls.insert(f->sysctls.end(), range->sysctls.begin(), range->sysctls.end());
  }
  auto reuse = in.facts.sysctl_int("net.ipv4.tcp_tw_reuse");
  auto ts = in.facts.sysctl_int("net.ipv4.tcp_timestamps");
  if (!worst.forecast.reuse && !worst.tuple.key.remote.addr.is_loopback() && reuse && *reuse != 1 &&
      (!ts || *ts != 0)) {
    f->application.push_back(
        "Last, for outgoing connections only: tcp_tw_reuse=1 (needs tcp_timestamps=1 on both "
        "ends), under \"weigh first\".");
    f->sysctls.push_back({"net.ipv4.tcp_tw_reuse", "1", false});
  }
  f->dont = {
      "Do not lower tcp_fin_timeout: it governs orphaned FIN_WAIT2, not TIME_WAIT.",
      "Do not set tcp_tw_recycle (removed in 4.12; it broke clients behind NAT).",
      "Do not lower tcp_max_tw_buckets to get rid of TIME_WAIT: sockets then close without the "
      "protection TIME_WAIT gives (RFC 1337).",
      "SO_LINGER with a zero timeout (RST on close) only as a last resort: see so-linger."};
}

void windows_fixes(const DoctorInput& in, const TupleForecast& worst, Finding* f) {
  f->application = {
      "Reuse connections: HTTP keep-alive and connection pools (in .NET one shared HttpClient), "
      "so one port carries many requests. " +
          nginx_snippet(worst.tuple.key.remote),
      "Spread over more tuples: more destination addresses or ports, or several source "
      "addresses; set SO_REUSE_UNICASTPORT (Windows 10 / Server 2016) before bind() so the port "
      "is chosen at connect() and one port serves many destinations."};
  if (auto range = propose_wider_range(in)) {
    std::string lines;
    for (auto& c : range->commands) lines += "\n    " + c;
    f->application.push_back(fmt::format(
        "A wider dynamic port range, {} (at least 255 ports, starting at 1025 or above; "
        "listening ports inside it excluded):{}",
        range->summary(), lines));
  } else if (!in.windows_dynamicport && !in.facts.windows_params.count("DynamicPortStart")) {
    f->application.push_back(
        "A wider dynamic port range: see it first with `netsh int ipv4 show dynamicport tcp` "
        "(give its output with --windows-dynamicport).");
  }
  f->application.push_back(
      "Last: a shorter TcpTimedWaitDelay (REG_DWORD, seconds; documented 30-300, Server 2003: "
      "0-300), which weakens what TIME_WAIT protects; see windows-tcptimedwaitdelay.");
  f->dont = {"SO_LINGER with a zero timeout (RST on close) only as a last resort: see so-linger."};
}

}  // namespace

std::vector<Finding> rule_port_pressure(const DoctorInput& in) {
  if (!in.sockets) return {not_checked(kId, "sockets", {"port-pressure"})};
  if (!in.pool) return {not_checked(kId, "port range", {"port-pressure"})};
  const ForecastPolicy policy = in.policy();
  const int tw_seconds = policy.time_wait_seconds;
  auto rows = forecast_tuples(*in.sockets, policy);
  Finding f;
  f.id = kId;
  f.topics = {"port-pressure", "time-wait"};
  if (in.is_windows()) {
    f.topics.push_back("windows");
    f.sources = {"RFC 793 and RFC 1122 4.2.2.13 (TIME_WAIT, 2MSL)", "RFC 6056 (ephemeral ports)",
                 "Windows: TcpTimedWaitDelay (TIME_WAIT length), the dynamic port range (`netsh "
                 "int ipv4 show dynamicport tcp`), event 4231 (ephemeral ports exhausted)",
                 "Microsoft: troubleshoot TCP/IP port exhaustion; SO_REUSE_UNICASTPORT"};
  } else {
    f.topics.insert(f.topics.end(), {"ip_local_port_range", "tcp_tw_reuse"});
    f.sources = {"RFC 793 and RFC 1122 4.2.2.13 (TIME_WAIT, 2MSL)", "RFC 6056 (ephemeral ports)",
                 "Linux TCP_TIMEWAIT_LEN = 60 s (include/net/tcp.h); inet_diag TIME_WAIT timers",
                 "IP_BIND_ADDRESS_NO_PORT, Linux 4.2; Cloudflare, \"How to stop running out of "
                 "ephemeral ports\" (2022)",
                 "V. Bernat, \"Coping with the TCP TIME-WAIT state on busy Linux servers\" (2014)"};
  }
  const int64_t usable = in.pool->usable();
  const double sustainable = static_cast<double>(usable) / tw_seconds;
  f.evidence.push_back(fmt::format(
      "{} {}-{}{}: {} usable ports; TIME_WAIT lasts {} s{} -> each tuple sustains {} new "
      "connections",
      in.is_windows() ? "dynamic port range" : "ephemeral range", in.pool->low, in.pool->high,
      in.pool_assumed ? " (assumed default)" : "", with_commas(usable), tw_seconds,
      policy.time_wait_assumed ? " (assumed default)" : "", format_rate(sustainable)));
  const TimeWaitAges& ages = in.sockets->time_wait_ages();
  if (ages.with_timer)
    f.evidence.push_back(
        fmt::format("all TIME_WAITs of the host: made at {} over the last 60 s, {} "
                    "over the last 10 s (from their timers)",
                    format_rate(ages.rate(60)), format_rate(ages.rate(10))));
  f.data = {{"range", {in.pool->low, in.pool->high}},
            {"range_assumed", in.pool_assumed},
            {"usable", usable},
            {"time_wait_seconds", tw_seconds},
            {"time_wait_seconds_assumed", policy.time_wait_assumed},
            {"sustainable_rate", round_to(sustainable, 2)},
            {"tuples_total", rows.size()}};
  for (const char* name :
       {"net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_tw_reuse",
        "net.ipv4.tcp_tw_reuse_delay", "net.ipv4.tcp_timestamps"})
    if (auto v = in.facts.sysctl(name)) f.data["sysctls"][name] = *v;
  // A dump taken without -n: tuples holding names cannot be measured, so "ok" would overstate.
  const size_t unmeasured = in.sockets->unmeasured_pressure_count();
  f.data["tuples_unmeasured"] = unmeasured;
  if (unmeasured)
    f.evidence.push_back(fmt::format(
        "{} {} not measured: the input gives host or service names instead of numbers "
        "(capture with -n for port pressure)",
        with_commas(static_cast<int64_t>(unmeasured)), unmeasured == 1 ? "tuple" : "tuples"));
  if (rows.empty()) {
    f.severity = unmeasured ? Severity::kInfo : Severity::kOk;
    f.title = unmeasured ? "not checked: the outgoing connections are given by name (capture "
                           "with -n for port pressure)"
                         : "no outgoing connections hold ephemeral ports";
    f.data["worst"] = nullptr;
    f.data["tuples"] = nlohmann::json::array();
    return {f};
  }
  const TupleForecast& worst = rows.front();
  f.data["worst"] = tuple_json(worst);
  f.data["tuples"] = nlohmann::json::array();
  for (size_t i = 0; i < rows.size() && i < kShown; ++i) {
    f.evidence.push_back(evidence_line(rows[i]));
    f.data["tuples"].push_back(tuple_json(rows[i]));
  }
  if (rows.size() > kShown)
    f.evidence.push_back(fmt::format("{} more tuples", with_commas(rows.size() - kShown)));
  const std::string_view level = worst.forecast.level();
  f.severity = level == "critical"  ? Severity::kCritical
               : level == "warning" ? Severity::kWarning
                                    : Severity::kOk;
  f.title = title(worst);
  f.data["bound_pool"] = nullptr;
  const auto bound = in.is_windows() ? std::nullopt : bound_pool(*in.sockets);
  if (bound) {
    const bool full = bound->ports_held >= bound->available;
    f.data["bound_pool"] = {{"local", bound->local.to_string()},
                            {"ports_held", bound->ports_held},
                            {"available", bound->available},
                            {"destinations", bound->tuples}};
    f.evidence.insert(
        f.evidence.begin() + 1,
        fmt::format("{}: {} of {} ports ({}) held toward {} destinations, none shared between "
                    "them: ports bind() takes before connect() serve one destination each, and "
                    "connect() toward any destination skips them",
                    bound->local.to_string(), with_commas(bound->ports_held),
                    with_commas(bound->available), format_percent(bound->percent()),
                    bound->tuples));
    const Severity s =
        bound->percent() >= kPressureCriticalPercent ? Severity::kCritical : Severity::kWarning;
    if (s > f.severity) {
      f.severity = s;
      f.title = fmt::format(
          "{}: {} of {} source ports held toward {} destinations, none shared: bind() before "
          "connect() takes them from one pool for all destinations{}",
          bound->local.to_string(), with_commas(bound->ports_held), with_commas(bound->available),
          bound->tuples, full ? ", and it is full: connect() and bind() fail now" : "");
    }
  }
  if (f.severity == Severity::kOk) return {f};
  f.why = fmt::format(
      "Every connection to one destination (address, port) from one source address needs its own "
      "source port, and the side that closes first keeps that port in TIME_WAIT for {} s (2MSL, "
      "RFC 793). So one tuple sustains about usable ports / {} s = {} new connections; made "
      "faster, the free ports run out (the ETA is the free ports against the last 10 s rate, "
      "less the TIME_WAITs that expire meanwhile) and connect() fails{}.",
      tw_seconds, tw_seconds, format_rate(sustainable),
      in.is_windows() ? " (Windows logs event 4231)" : " with EADDRNOTAVAIL");
  if (in.is_windows())
    windows_fixes(in, worst, &f);
  else
    linux_fixes(in, worst, &f);
  if (bound)
    f.application.insert(
        f.application.begin(),
        "Set IP_BIND_ADDRESS_NO_PORT (Linux 4.2) before bind(), or do not bind() before "
        "connect(): the port is then chosen at connect() for the 4-tuple, and one port serves "
        "every destination (`timewait lab run bind-before-connect` measures the difference).");
  for (size_t i = 0; i < f.application.size(); ++i)
    f.application[i] = fmt::format("{}. {}", i + 1, f.application[i]);
  return {f};
}

}  // namespace tw
