// Ephemeral-port pressure per destination tuple (local address, remote address, remote port):
// ports in use against the pool, the sustainable new-connection rate (usable ports / TIME_WAIT
// length) against the measured TIME_WAIT creation rate, and the real fixes in order.
#include <fmt/format.h>

#include <algorithm>

#include "census/report.h"
#include "doctor/reserved_ports.h"
#include "doctor/rules.h"

namespace tw {

namespace {

constexpr size_t kShown = 5;

const char* kNginxSnippet =
    "nginx to an upstream: keep connections open instead of one per request:\n"
    "    upstream backend {\n"
    "        server 10.0.0.9:8080;\n"
    "        keepalive 32;              # idle connections kept per worker\n"
    "    }\n"
    "    location / {\n"
    "        proxy_pass http://backend;\n"
    "        proxy_http_version 1.1;    # keep-alive needs HTTP/1.1 to the upstream\n"
    "        proxy_set_header Connection \"\";\n"
    "    }";

}  // namespace

std::vector<Finding> rule_port_pressure(const DoctorInput& in) {
  if (!in.sockets) return {not_checked("port-pressure", "sockets", {"port-pressure"})};
  if (!in.pool) return {not_checked("port-pressure", "port range", {"port-pressure"})};
  bool assumed = false;
  const int tw_seconds = in.time_wait_seconds(&assumed);
  auto tuples = in.sockets->pressure();
  Finding f;
  f.id = "port-pressure";
  f.topics = {"port-pressure", "time-wait", "ip_local_port_range", "tcp_tw_reuse"};
  f.sources = {"RFC 793 and RFC 1122 4.2.2.13 (TIME_WAIT, 2MSL)", "RFC 6056 (ephemeral ports)",
               in.is_windows() ? "Windows: TcpTimedWaitDelay (TIME_WAIT length)"
                               : "Linux TCP_TIMEWAIT_LEN = 60 s (include/net/tcp.h)",
               "IP_BIND_ADDRESS_NO_PORT, Linux 4.2; Cloudflare, \"How to stop running out of "
               "ephemeral ports\" (2022)",
               "V. Bernat, \"Coping with the TCP TIME-WAIT state on busy Linux servers\" (2014)"};
  const int64_t usable = in.pool->usable();
  const double sustainable = static_cast<double>(usable) / tw_seconds;
  f.evidence.push_back(fmt::format(
      "ephemeral range {}-{}{}: {} usable ports; TIME_WAIT lasts {} s{} -> each tuple sustains "
      "{} new connections",
      in.pool->low, in.pool->high, in.pool_assumed ? " (assumed default)" : "", with_commas(usable),
      tw_seconds, assumed ? " (assumed default)" : "", format_rate(sustainable)));
  const TimeWaitAges& ages = in.sockets->time_wait_ages();
  if (ages.with_timer)
    f.evidence.push_back(
        fmt::format("all TIME_WAITs of the host: made at {} over the last 60 s, {} "
                    "over the last 10 s (from their timers)",
                    format_rate(ages.rate(60)), format_rate(ages.rate(10))));
  // A dump taken without -n: tuples holding names cannot be measured, so "ok" would overstate.
  const size_t unmeasured = in.sockets->unmeasured_pressure_count();
  if (unmeasured)
    f.evidence.push_back(fmt::format(
        "{} {} not measured: the input gives host or service names instead of numbers "
        "(capture with -n for port pressure)",
        with_commas(static_cast<int64_t>(unmeasured)), unmeasured == 1 ? "tuple" : "tuples"));
  if (tuples.empty()) {
    f.severity = unmeasured ? Severity::kInfo : Severity::kOk;
    f.title = unmeasured ? "not checked: the outgoing connections are given by name (capture "
                           "with -n for port pressure)"
                         : "no outgoing connections hold ephemeral ports";
    return {f};
  }
  const TuplePressure& worst = tuples.front();
  for (size_t i = 0; i < tuples.size() && i < kShown; ++i) {
    const TuplePressure& t = tuples[i];
    f.evidence.push_back(fmt::format(
        "{} -> {}: {} of {} ports in use ({:.1f} %), {} in TIME_WAIT = {} new connections "
        "(sustainable {})",
        t.key.local.addr.to_string(), t.key.remote.to_string(), with_commas(t.in_use),
        with_commas(t.available), t.percent(), with_commas(t.time_wait),
        format_rate(static_cast<double>(t.time_wait) / tw_seconds), format_rate(sustainable)));
  }
  if (tuples.size() > kShown)
    f.evidence.push_back(fmt::format("{} more tuples", tuples.size() - kShown));
  const double pct = worst.percent();
  const std::string dest = worst.key.remote.to_string();
  if (pct < kPressureWarnPercent) {
    f.severity = Severity::kOk;
    f.title =
        fmt::format("worst tuple uses {:.1f} % of the ephemeral ports (toward {})", pct, dest);
    return {f};
  }
  f.severity = pct >= kPressureCriticalPercent ? Severity::kCritical : Severity::kWarning;
  f.title = fmt::format("{} -> {} holds {:.0f} % of the ephemeral ports: new connections to it {}",
                        worst.key.local.addr.to_string(), dest, pct,
                        pct >= kPressureCriticalPercent ? "are about to fail (EADDRNOTAVAIL)"
                                                        : "will fail if the rate grows");
  f.why = fmt::format(
      "Every connection to one destination (address, port) from one source address needs its own "
      "source port, and the side that closes first keeps that port in TIME_WAIT for {} s (2MSL, "
      "RFC 793). So one tuple sustains about usable ports / {} s = {} new connections; beyond that "
      "connect() fails with EADDRNOTAVAIL (Windows: event 4231).",
      tw_seconds, tw_seconds, format_rate(sustainable));
  f.application = {
      "1. Reuse connections: HTTP keep-alive and connection pools, so one port carries many "
      "requests. " +
          std::string(kNginxSnippet),
      "2. Spread over more tuples: more destination addresses or ports (several backend "
      "addresses), or several source addresses; bind() each socket to a source address with "
      "IP_BIND_ADDRESS_NO_PORT (Linux 4.2) set first, so the port is chosen at connect() per "
      "4-tuple and one port serves many destinations.",
      "3. A wider ephemeral range (the commands in this fix), reserving listening ports inside "
      "it."};
  if (!in.is_windows())
    f.application.push_back(
        "4. Last, for outgoing connections only: tcp_tw_reuse=1 (needs tcp_timestamps=1).");
  if (in.is_windows()) {
    f.commands = {"netsh int ipv4 set dynamicport tcp start=10000 num=55536",
                  "netsh int ipv6 set dynamicport tcp start=10000 num=55536"};
  } else {
    // The widened range starts at 10000 (even) and ends at 65535 (odd): different parity, as the
    // kernel prefers. Listeners inside it must be reserved; a person checks for services that
    // are not running now, so --apply leaves this one to them.
    std::vector<uint16_t> listeners;
    if (in.by_local_port)
      for (const GroupRow& row : in.by_local_port->groups())
        if (row.counts[state_index(TcpState::kListen)] && row.key.local.port >= 10000)
          listeners.push_back(row.key.local.port);
    if (usable < 65535 - 10000 + 1) {
      f.sysctls.push_back({"net.ipv4.ip_local_port_range", "10000 65535", false});
      if (!listeners.empty()) {
        std::string existing = in.facts.sysctl("net.ipv4.ip_local_reserved_ports").value_or("");
        f.sysctls.push_back(
            {"net.ipv4.ip_local_reserved_ports", reserved_ports_with(existing, listeners), false});
      }
    }
    auto reuse = in.facts.sysctl_int("net.ipv4.tcp_tw_reuse");
    auto ts = in.facts.sysctl_int("net.ipv4.tcp_timestamps");
    if (!worst.key.remote.addr.is_loopback() && reuse && *reuse != 1 && (!ts || *ts != 0))
      f.sysctls.push_back({"net.ipv4.tcp_tw_reuse", "1", true});
  }
  if (in.is_windows()) {
    f.dont = {
        "Do not make TcpTimedWaitDelay the first fix: a short TIME_WAIT weakens its "
        "protections; reuse connections first (see windows-tcptimedwaitdelay).",
        "SO_LINGER with a zero timeout (RST on close) only as a last resort: see so-linger."};
  } else {
    f.dont = {
        "Do not lower tcp_fin_timeout: it governs orphaned FIN_WAIT2, not TIME_WAIT.",
        "Do not set tcp_tw_recycle (removed in 4.12; it broke clients behind NAT).",
        "Do not lower tcp_max_tw_buckets to get rid of TIME_WAIT: sockets then close without the "
        "protection TIME_WAIT gives (RFC 1337).",
        "SO_LINGER with a zero timeout (RST on close) only as a last resort: see so-linger."};
  }
  return {f};
}

}  // namespace tw
