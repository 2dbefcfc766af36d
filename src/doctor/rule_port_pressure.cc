// SPDX-License-Identifier: Apache-2.0
// Ephemeral-port pressure per destination tuple (local address, remote address, remote port):
// where each tuple is heading (census/forecast: the last 10 s rate against the sustainable rate,
// the ETA to exhaustion, or no free port now), and the real fixes in order, best first.
#include <fmt/format.h>

#include <algorithm>

#include "census/port_pool.h"
#include "census/report.h"
#include "doctor/finding_json.h"
#include "doctor/range_proposal.h"
#include "doctor/rules.h"
#include "model/format.h"

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

// The processes holding pool ports on `local`, as the doctor found them (/proc, a dump's pid
// column) or the tracer counted them; empty when nobody could look.
std::vector<std::string> owner_names(const DoctorInput& in, const Address& local) {
  std::vector<std::string> names;
  auto add = [&](const std::string& n) {
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  if (auto it = in.outbound_owners.find(local.unmapped_v4()); it != in.outbound_owners.end())
    for (const ProcessRef& p : it->second) add(p.name);
  if (in.trace)
    for (const TraceFlow& fl : in.trace->flows)
      if (fl.local.addr.unmapped_v4() == local.unmapped_v4() && fl.role != TraceRole::kServer)
        add(fl.comm);
  return names;
}

bool holds(const std::vector<std::string>& owners, std::string_view name) {
  return std::find(owners.begin(), owners.end(), name) != owners.end();
}

std::string owners_text(const std::vector<std::string>& owners) {
  std::string out;
  for (size_t i = 0; i < owners.size() && i < 4; ++i) out += (i ? ", " : "") + owners[i];
  return out;
}

// Keep-alive, with the snippet of the application that holds the sockets where the doctor knows it
// (an nginx snippet for a client that is not nginx misleads).
std::string reuse_connections(const std::vector<std::string>& owners, const Endpoint& dest,
                              bool windows) {
  std::string out = windows ? "Reuse connections: HTTP keep-alive and connection pools (in .NET "
                              "one shared HttpClient), so one port carries many requests."
                            : "Reuse connections: HTTP keep-alive and connection pools, so one "
                              "port carries many requests.";
  if (holds(owners, "nginx")) return out + " " + nginx_snippet(dest);
  if (owners.empty())
    out +=
        " (Who holds these ports is unknown here: as root, or with --trace, the doctor names "
        "the process and shows its own setting.)";
  else
    out += fmt::format(" The ports are held by: {}.", owners_text(owners));
  return out;
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
  if (f.level() == Severity::kOk)
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

std::string source_name(const SourcePool& p) {
  return fmt::format("{} (bind() before connect(), {} destination{})", p.local.to_string(),
                     p.tuples, p.tuples == 1 ? "" : "s");
}

std::string source_evidence(const SourceForecast& r) {
  const SourcePool& p = r.pool;
  const Forecast& f = r.forecast;
  std::string head = fmt::format(
      "{}: {} of {} ports held ({}), {} bound only, {} in TIME_WAIT, {} of bind()'s parity, {} "
      "shared between destinations",
      source_name(p), with_commas(p.ports_held), with_commas(p.available),
      format_percent(f.percent), with_commas(p.bound_only), with_commas(f.time_wait),
      with_commas(p.bind_parity), with_commas(p.ports_shared));
  if (!f.rate_10s) return head + "; no TIME_WAIT timers in this input: no rate, no ETA";
  std::string out;
  switch (f.state) {
    case PoolState::kExhausted:
      out = "no free port: bind() fails now (EADDRINUSE), and connect() (EADDRNOTAVAIL)";
      break;
    case PoolState::kRising:
      out = fmt::format("exhausted in {} at the last rate", eta_text(f));
      break;
    case PoolState::kOk:
      out = "the free ports last at the last 10 s rate";
  }
  return fmt::format("{}; made at {} over the last 10 s (sustainable {}): {}", head,
                     format_rate(*f.rate_10s), format_rate(f.sustainable), out);
}

nlohmann::json source_json(const SourceForecast& r) {
  nlohmann::json j = {{"local", r.pool.local.to_string()},   {"destinations", r.pool.tuples},
                      {"ports_held", r.pool.ports_held},     {"bound_only", r.pool.bound_only},
                      {"ports_shared", r.pool.ports_shared}, {"time_wait", r.forecast.time_wait},
                      {"available", r.pool.available}};
  j.update(forecast_json(r.forecast));
  return j;
}

std::string source_title(const SourceForecast& r) {
  const SourcePool& p = r.pool;
  const Forecast& f = r.forecast;
  const std::string what = fmt::format(
      "{}: bind() before connect() takes its ports from one pool for all {} destinations",
      p.local.to_string(), p.tuples);
  switch (f.state) {
    case PoolState::kExhausted:
      return fmt::format("{}, and it is full ({} of {} held): bind() and connect() fail now", what,
                         with_commas(p.ports_held), with_commas(p.available));
    case PoolState::kRising:
      return fmt::format("{}: exhausted in {} at the last rate ({}, sustainable {})", what,
                         eta_text(f), format_rate(f.eta_rate()), format_rate(f.sustainable));
    case PoolState::kOk:
      break;
  }
  return fmt::format("{}: {} of {} held ({})", what, with_commas(p.ports_held),
                     with_commas(p.available), format_percent(f.percent));
}

// A bind pool's fixes, best first: the application's own option, a per-socket range, more source
// addresses, a wider range. Never tcp_tw_reuse: it helps connect() take a TIME_WAIT's port, and
// neither bind() nor connect() takes a port bind() made (measured: the client failed at 29 s
// instead of 28 s with it on).
// The wider range as a fix in the application list: applied by --apply when safe (the
// ephemeral-range finding carries the same values), else its sysctls under "weigh first".
void add_wider_range(const DoctorInput& in, Finding* f) {
  auto range = propose_wider_range(in);
  if (!range) return;
  if (range->apply) {
    f->application.push_back(fmt::format(
        "A wider ephemeral range, {}: the ephemeral-range finding's fix, which `timewait doctor "
        "--apply` writes{}.",
        range->summary(),
        range->reserved_listeners.empty() ? "" : " with the listening ports inside it reserved"));
    return;
  }
  f->application.push_back(fmt::format(
      "A wider ephemeral range, {}{} (under \"weigh first\": a service that is not running "
      "now may need a port in it).",
      range->summary(),
      range->reserved_listeners.empty() ? "" : ", reserving the listening ports inside it"));
  f->sysctls.insert(f->sysctls.end(), range->sysctls.begin(), range->sysctls.end());
}

void bind_fixes(const DoctorInput& in, const SourceForecast& worst, Finding* f) {
  const std::vector<std::string> owners = owner_names(in, worst.pool.local);
  std::string app =
      "The application's own fix: set IP_BIND_ADDRESS_NO_PORT (Linux 4.2) on the socket before "
      "bind(), or do not bind() before connect(); the port is then chosen at connect() for the "
      "4-tuple and one port serves every destination. C: `int one = 1; setsockopt(fd, "
      "IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);` before bind(). Go: a "
      "net.Dialer whose Control sets it (it runs before bind()): `c.Control(func(fd uintptr) { "
      "unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1) })` "
      "(golang.org/x/sys/unix). Java has no option for it: drop Socket.bind() and the "
      "local-address constructors, and choose the source address by route (`ip route replace "
      "DEST src ADDR`). Python: `s.setsockopt(socket.IPPROTO_IP, getattr(socket, "
      "\"IP_BIND_ADDRESS_NO_PORT\", 24), 1)` before s.bind((addr, 0)).";
  if (holds(owners, "nginx"))
    app +=
        " nginx (holds these ports): `proxy_bind ADDR;` without a port; nginx 1.11.4 and later "
        "set IP_BIND_ADDRESS_NO_PORT for it themselves.";
  if (holds(owners, "haproxy"))
    app +=
        " HAProxy (holds these ports): `source ADDR` without a port or port range, so the port "
        "is left to connect(); `source ADDR:LOW-HIGH` makes HAProxy bind() each port itself.";
  if (owners.empty())
    app +=
        " (Who holds these ports is unknown here: as root, or with --trace, the doctor names "
        "the process.)";
  else
    app += fmt::format(" Held by: {}.", owners_text(owners));
  f->application = {
      app,
      "Where the application must keep ports apart (several workers or hosts sharing an address), "
      "IP_LOCAL_PORT_RANGE (Linux 6.3) with IP_BIND_ADDRESS_NO_PORT gives each socket a slice of "
      "the range while connect() still shares ports between destinations: "
      "`setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &(uint32_t){hi << 16 | lo}, 4)`.",
      fmt::format("More source addresses: each local address has its own bind pool of {} ports, "
                  "so spreading the binds over N addresses multiplies what they sustain by N.",
                  with_commas(worst.pool.available))};
  add_wider_range(in, f);
  f->dont = {
      "Do not set tcp_tw_reuse for this: it lets connect() take a TIME_WAIT's port, but a port "
      "bind() took is skipped by connect() and refused to bind() until its TIME_WAIT ends "
      "(`timewait plan` marks it not applicable too).",
      "Do not set tcp_tw_recycle (removed in 4.12; it broke clients behind NAT).",
      "Do not lower tcp_max_tw_buckets to get rid of TIME_WAIT: sockets then close without the "
      "protection TIME_WAIT gives (RFC 1337).",
      "SO_LINGER with a zero timeout (RST on close) only as a last resort: see so-linger."};
}

void linux_fixes(const DoctorInput& in, const TupleForecast& worst, Finding* f) {
  f->application = {
      reuse_connections(owner_names(in, worst.tuple.key.local.addr), worst.tuple.key.remote, false),
      "Spread over more tuples: more destination addresses or ports (several backend "
      "addresses), or several source addresses; bind() each socket to a source address with "
      "IP_BIND_ADDRESS_NO_PORT (Linux 4.2) set first, so the port is chosen at connect() per "
      "4-tuple and one port serves many destinations."};
  add_wider_range(in, f);
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
      reuse_connections(owner_names(in, worst.tuple.key.local.addr), worst.tuple.key.remote, true),
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
  nlohmann::json data = nlohmann::json::object();
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
  data = {{"range", {in.pool->low, in.pool->high}},
          {"range_assumed", in.pool_assumed},
          {"usable", usable},
          {"time_wait_seconds", tw_seconds},
          {"time_wait_seconds_assumed", policy.time_wait_assumed},
          {"sustainable_rate", round_to(sustainable, 2)},
          {"tuples_total", rows.size()}};
  for (const char* name :
       {"net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_tw_reuse",
        "net.ipv4.tcp_tw_reuse_delay", "net.ipv4.tcp_timestamps"})
    if (auto v = in.facts.sysctl(name)) data["sysctls"][name] = *v;
  // A dump taken without -n: tuples holding names cannot be measured, so "ok" would overstate.
  const size_t unmeasured = in.sockets->unmeasured_pressure_count();
  data["tuples_unmeasured"] = unmeasured;
  if (unmeasured)
    f.evidence.push_back(fmt::format(
        "{} {} not measured: the input gives host or service names instead of numbers "
        "(capture with -n for port pressure)",
        with_commas(static_cast<int64_t>(unmeasured)), unmeasured == 1 ? "tuple" : "tuples"));
  const std::vector<SourceForecast> sources =
      in.is_windows() ? std::vector<SourceForecast>{} : forecast_source_pools(*in.sockets, policy);
  const BoundVisibility seen = bound_only_visibility(in.facts, in.sockets->bound_only());
  data["bound_only"] = {
      {"sockets", in.sockets->bound_only()},
      {"visible", seen.visible ? nlohmann::json(*seen.visible) : nlohmann::json(nullptr)}};
  if (!seen.note.empty()) f.evidence.push_back(seen.note);
  data["bind_pools"] = nlohmann::json::array();
  for (const SourceForecast& s : sources) data["bind_pools"].push_back(source_json(s));
  data["bound_pool"] = sources.empty() ? nlohmann::json(nullptr) : source_json(sources.front());
  if (rows.empty() && sources.empty()) {
    f.severity = unmeasured ? Severity::kInfo : Severity::kOk;
    f.title = unmeasured ? "not checked: the outgoing connections are given by name (capture "
                           "with -n for port pressure)"
                         : "no outgoing connections hold ephemeral ports";
    data["worst"] = nullptr;
    data["worst_pool"] = nullptr;
    data["tuples"] = nlohmann::json::array();
    return {with_data(std::move(f), data)};
  }
  const WorstPool worst = worst_pool(rows, sources);
  data["worst"] = worst.tuple ? tuple_json(*worst.tuple) : nlohmann::json(nullptr);
  data["worst_pool"] = worst.source_is_worse() ? "bind" : "tuple";
  data["tuples"] = nlohmann::json::array();
  for (size_t i = 0; i < rows.size() && i < kShown; ++i) {
    f.evidence.push_back(evidence_line(rows[i]));
    data["tuples"].push_back(tuple_json(rows[i]));
  }
  if (rows.size() > kShown)
    f.evidence.push_back(fmt::format("{} more tuples", with_commas(rows.size() - kShown)));
  // The bind pools right after the range line: where one is worse, it explains the tuples.
  for (size_t i = 0; i < sources.size() && i < kShown; ++i)
    f.evidence.insert(f.evidence.begin() + 1 + i, source_evidence(sources[i]));
  if (const int64_t made = in.sockets->bind_made_ports(); !sources.empty() && !rows.empty())
    f.evidence.push_back(fmt::format(
        "connect() toward any destination skips the {} ports bind() made (listeners, bound "
        "sockets, ports bound before connect()): each tuple above counts only the rest as "
        "available",
        with_commas(made)));
  f.severity = worst.forecast()->level();
  const bool bind_decides =
      worst.source_is_worse() || (worst.source && worst.source->forecast.level() != Severity::kOk);
  f.title = worst.source_is_worse() ? source_title(*worst.source) : title(*worst.tuple);
  if (f.severity == Severity::kOk) return {with_data(std::move(f), data)};
  if (bind_decides) {
    f.why = fmt::format(
        "bind(addr, 0) before connect() picks a port no socket on that address holds, for every "
        "destination at once, so the ports of one source address form one pool; each holds its "
        "port through TIME_WAIT ({} s), so the address sustains about {} / {} s = {} binds, and "
        "connect() toward any destination skips the ports bind() made. Made faster, bind() "
        "fails with EADDRINUSE and other processes' connect() with EADDRNOTAVAIL (the ETA is the "
        "free ports against the last rate, less the TIME_WAITs that expire meanwhile).",
        tw_seconds, with_commas(worst.source->pool.available), tw_seconds,
        format_rate(worst.source->forecast.sustainable));
    bind_fixes(in, *worst.source, &f);
  } else {
    f.why = fmt::format(
        "Every connection to one destination (address, port) from one source address needs its "
        "own source port, and the side that closes first keeps that port in TIME_WAIT for {} s "
        "(2MSL, RFC 793). So one tuple sustains about usable ports / {} s = {} new connections; "
        "made faster, the free ports run out (the ETA is the free ports against the last 10 s "
        "rate, less the TIME_WAITs that expire meanwhile) and connect() fails{}.",
        tw_seconds, tw_seconds, format_rate(sustainable),
        in.is_windows() ? " (Windows logs event 4231)" : " with EADDRNOTAVAIL");
    if (in.is_windows())
      windows_fixes(in, *worst.tuple, &f);
    else
      linux_fixes(in, *worst.tuple, &f);
  }
  for (size_t i = 0; i < f.application.size(); ++i)
    f.application[i] = fmt::format("{}. {}", i + 1, f.application[i]);
  return {with_data(std::move(f), data)};
}

}  // namespace tw
