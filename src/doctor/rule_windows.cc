// SPDX-License-Identifier: Apache-2.0
// Windows: TcpTimedWaitDelay (TIME_WAIT length), MaxUserPort (pre-Vista pool), the dynamic port
// range against TIME_WAIT per destination. Inputs: an imported `netstat -ano` dump, a `reg export`
// of Tcpip\Parameters, `netsh int ipv4 show dynamicport tcp`.
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/pressure.h"
#include "doctor/range_proposal.h"
#include "doctor/rules.h"
#include "model/format.h"
#include "sources/windows_facts.h"

namespace tw {

namespace {

constexpr const char* kRegKey = R"(HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters)";

std::optional<int64_t> param(const DoctorInput& in, const char* name) {
  auto it = in.facts.windows_params.find(name);
  if (it == in.facts.windows_params.end()) return std::nullopt;
  return it->second;
}

Finding timed_wait_delay(const DoctorInput& in) {
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "windows-tcptimedwaitdelay";
  f.topics = {"windows", "2msl"};
  f.sources = {
      "Microsoft: TcpTimedWaitDelay, Windows 2000 (30-300 s, default 240) and Server "
      "2003 (0-300 s, default 120) documents disagree; the value present is reported",
      "RFC 1122 4.2.2.13 and RFC 793 (2MSL, MSL 2 minutes)"};
  auto v = param(in, "TcpTimedWaitDelay");
  if (!v) {
    f.severity = Severity::kOk;
    f.title = "TcpTimedWaitDelay not set: the default applies (120 s on Server 2003 and later)";
    f.evidence = {fmt::format("{} has no TcpTimedWaitDelay", kRegKey)};
    data = {{"TcpTimedWaitDelay", nullptr}};
    return with_data(std::move(f), data);
  }
  f.evidence = {fmt::format("TcpTimedWaitDelay = {} s", *v)};
  data = {{"TcpTimedWaitDelay", *v}};
  // Read live with it: what else of Tcpip\Parameters bears on TIME_WAIT, as found.
  for (const char* other : {"TcpNumConnections", "StrictTimeWaitSeqCheck"})
    if (auto o = param(in, other)) {
      f.evidence.push_back(fmt::format("{} = {}", other, *o));
      data[other] = *o;
    }
  f.why =
      "TcpTimedWaitDelay is how long Windows keeps a closed connection in TIME_WAIT (2MSL). A "
      "short "
      "delay frees ports sooner but lets a delayed segment of the old connection, or a "
      "retransmitted FIN whose ACK was lost, meet a new connection on the same 4-tuple.";
  if (*v < 30) {
    f.severity = Severity::kWarning;
    f.title = fmt::format(
        "TcpTimedWaitDelay = {} s, below 30 s (Windows 2000's documented minimum; "
        "Server 2003 documents 0-300)",
        *v);
    f.commands = {
        fmt::format(R"(reg add "{}" /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f)", kRegKey),
        "(takes effect after a reboot)"};
  } else if (*v > 300) {
    f.severity = Severity::kWarning;
    f.title = fmt::format("TcpTimedWaitDelay = {} s, above the documented maximum of 300 s", *v);
    f.commands = {fmt::format(R"(reg delete "{}" /v TcpTimedWaitDelay /f)", kRegKey),
                  "(takes effect after a reboot)"};
  } else {
    f.severity = Severity::kInfo;
    f.title = fmt::format("TcpTimedWaitDelay = {} s: TIME_WAIT lasts {} s", *v, *v);
  }
  f.dont = {
      "Do not shorten TcpTimedWaitDelay as the first fix for port exhaustion: reuse "
      "connections first (see port-pressure)."};
  return with_data(std::move(f), data);
}

Finding dynamic_range(const DoctorInput& in, int64_t start, int64_t num) {
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "windows-dynamic-range";
  f.topics = {"windows", "port-pressure"};
  f.sources = {
      "Microsoft: Vista and later use the dynamic range 49152-65535 (16,384 ports), "
      "`netsh int ipv4 show|set dynamicport tcp`; at least 255 ports, start at least 1025",
      "RFC 6335 (dynamic ports 49152-65535)", "Windows event 4231: ephemeral ports exhausted"};
  bool assumed = false;
  const int tw_seconds = in.time_wait_seconds(&assumed);
  f.evidence.push_back(
      fmt::format("dynamic port range {}-{}: {} ports", start, start + num - 1, with_commas(num)));
  f.evidence.push_back(fmt::format("TIME_WAIT {} s{} -> {} new connections per destination",
                                   tw_seconds, assumed ? " (assumed default)" : "",
                                   format_rate(static_cast<double>(num) / tw_seconds)));
  data = {{"DynamicPortStart", start},
          {"DynamicPortNumber", num},
          {"time_wait_seconds", tw_seconds},
          {"time_wait_seconds_assumed", assumed}};
  PressureSummary p = summarize_pressure(in);
  std::optional<TupleForecast> worst = p.worst_remote;
  if (!worst || (p.worst_loopback && p.worst_loopback->tuple.in_use > worst->tuple.in_use))
    worst = p.worst_loopback;
  if (worst)
    f.evidence.push_back(fmt::format("worst destination {}: {} ports in use, {} in TIME_WAIT",
                                     worst->tuple.key.remote.to_string(),
                                     with_commas(worst->tuple.in_use),
                                     with_commas(worst->tuple.time_wait)));
  f.why =
      "Outgoing connections take their source port from the dynamic range; each stays taken in "
      "TIME_WAIT for TcpTimedWaitDelay after closing, so one destination sustains about range "
      "size / TcpTimedWaitDelay new connections (event 4231 when the range runs out).";
  auto proposal = num < 16384 ? propose_wider_range(in) : std::nullopt;
  if (proposal) {
    // Per-destination pressure is the port-pressure finding's; this one is about the setting,
    // and proposes the same range port-pressure does.
    f.severity = Severity::kWarning;
    f.title =
        fmt::format("the dynamic port range has only {} ports (default 16,384)", with_commas(num));
    f.commands = proposal->commands;
    if (!proposal->listeners_known)
      f.evidence.push_back(
          "no sockets given: listening ports inside the new range are not known; exclude them "
          "(netsh int ipv4 add excludedportrange) before widening");
  } else {
    f.severity = Severity::kOk;
    f.title = fmt::format("dynamic port range: {} ports", with_commas(num));
  }
  return with_data(std::move(f), data);
}

Finding max_user_port(int64_t v) {
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "windows-maxuserport";
  f.topics = {"windows"};
  f.sources = {
      "Microsoft: MaxUserPort 5000-65534, default 5000, Windows Server 2003 and earlier; "
      "Vista and later use the dynamic port range"};
  f.evidence = {fmt::format("MaxUserPort = {}", v)};
  data = {{"MaxUserPort", v}};
  f.severity = Severity::kInfo;
  f.title = fmt::format(
      "MaxUserPort = {} is set: it applies only to Windows Server 2003 and "
      "earlier",
      v);
  f.why =
      "Windows Vista and later take ephemeral ports from the dynamic port range (netsh) and "
      "ignore MaxUserPort.";
  f.application = {
      "See the range in force with `netsh int ipv4 show dynamicport tcp`; widen it "
      "there, not with MaxUserPort."};
  return with_data(std::move(f), data);
}

Finding port_events(int64_t collisions, int64_t exhausted, int64_t window) {
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "windows-port-events";
  f.topics = {"windows", "port-pressure"};
  f.sources = {
      "Windows event 4227 (Tcpip, EVENT_TCPIP_TCP_TIME_WAIT_COLLISION) and 4231 "
      "(EVENT_TCPIP_TCP_GLOBAL_EPHEMERAL_PORT_SPACE_EXHAUSTED)",
      "Microsoft: troubleshoot-tcpip-port-exhaust (windows-itpro-docs)"};
  const std::string span =
      window % 3600 == 0 ? fmt::format("{} h", window / 3600) : fmt::format("{} s", window);
  f.evidence = {fmt::format("System log, last {}: {} event{} 4227, {} event{} 4231", span,
                            with_commas(collisions), collisions == 1 ? "" : "s",
                            with_commas(exhausted), exhausted == 1 ? "" : "s")};
  data = {{"event_4227", collisions}, {"event_4231", exhausted}, {"window_seconds", window}};
  if (exhausted > 0) {
    f.severity = Severity::kCritical;
    f.title = fmt::format("event 4231: the ephemeral port space ran out {} time{} in the last {}",
                          with_commas(exhausted), exhausted == 1 ? "" : "s", span);
  } else if (collisions > 0) {
    f.severity = Severity::kWarning;
    f.title = fmt::format(
        "event 4227: {} outgoing connection{} failed on a port still in TIME_WAIT in the last {}",
        with_commas(collisions), collisions == 1 ? "" : "s", span);
  } else {
    f.severity = Severity::kOk;
    f.title = fmt::format("no event 4227 or 4231 in the last {}", span);
    return with_data(std::move(f), data);
  }
  f.why =
      "Windows logs 4231 when no ephemeral port is left for an outgoing connection and 4227 when "
      "the port it chose still had a TIME_WAIT entry to the same destination: the failures the "
      "port-pressure and dynamic-range findings predict, seen happening.";
  f.application = {
      "Find who opens the connections: `netstat -anob` or `Get-NetTCPConnection | Group-Object "
      "-Property State, OwningProcess`, and reuse connections there first."};
  return with_data(std::move(f), data);
}

}  // namespace

std::vector<Finding> rule_windows(const DoctorInput& in) {
  if (!in.is_windows()) return {};
  std::vector<Finding> out;
  // Read on the host itself (the Windows build) rather than from files given.
  const bool live = in.facts.source == "iphlpapi";
  bool registry = in.windows_registry || in.facts.windows_params.count(kWinRegistryRead) ||
                  in.facts.windows_params.count("TcpTimedWaitDelay") ||
                  in.facts.windows_params.count("MaxUserPort");
  if (registry) {
    out.push_back(timed_wait_delay(in));
    if (auto m = param(in, "MaxUserPort")) out.push_back(max_user_port(*m));
  } else {
    out.push_back(not_checked(
        "windows-tcptimedwaitdelay",
        live ? "readable Tcpip\\Parameters registry key" : "registry export (--windows-reg)",
        {"windows"}));
  }
  // The range in force is evidence only when given: a default is not what the host has.
  auto start = param(in, "DynamicPortStart");
  auto num = param(in, "DynamicPortNumber");
  if (start && num)
    out.push_back(dynamic_range(in, *start, *num));
  else
    out.push_back(not_checked("windows-dynamic-range",
                              live ? "dynamic port range (`netsh int ipv4 show dynamicport tcp` "
                                     "printed none)"
                                   : "dynamic port range (--windows-dynamicport)",
                              {"windows"}));
  auto window = param(in, kWinEventWindow);
  if (window)
    out.push_back(port_events(param(in, kWinEvent4227).value_or(0),
                              param(in, kWinEvent4231).value_or(0), *window));
  else if (live)
    out.push_back(not_checked("windows-port-events", "count of events 4227/4231 (EvtQuery failed)",
                              {"windows"}));
  return out;
}

}  // namespace tw
