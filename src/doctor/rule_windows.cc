// Windows: TcpTimedWaitDelay (TIME_WAIT length), MaxUserPort (pre-Vista pool), the dynamic port
// range against TIME_WAIT per destination. Inputs: an imported `netstat -ano` dump, a `reg export`
// of Tcpip\Parameters, `netsh int ipv4 show dynamicport tcp`.
#include <fmt/format.h>

#include "census/report.h"
#include "doctor/pressure.h"
#include "doctor/rules.h"

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
    return f;
  }
  f.evidence = {fmt::format("TcpTimedWaitDelay = {} s", *v)};
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
  return f;
}

Finding dynamic_range(const DoctorInput& in) {
  Finding f;
  f.id = "windows-dynamic-range";
  f.topics = {"windows", "port-pressure"};
  f.sources = {
      "Microsoft: Vista and later use the dynamic range 49152-65535 (16,384 ports), "
      "`netsh int ipv4 show|set dynamicport tcp`",
      "RFC 6335 (dynamic ports 49152-65535)", "Windows event 4231: ephemeral ports exhausted"};
  auto start = param(in, "DynamicPortStart");
  auto num = param(in, "DynamicPortNumber");
  bool assumed = false;
  const int tw_seconds = in.time_wait_seconds(&assumed);
  const int64_t size = num.value_or(16384);
  f.evidence.push_back(start && num
                           ? fmt::format("dynamic port range {}-{}: {} ports", *start,
                                         *start + *num - 1, with_commas(*num))
                           : "dynamic port range not given: assuming 49152-65535 (16,384)");
  f.evidence.push_back(fmt::format("TIME_WAIT {} s{} -> {} new connections per destination",
                                   tw_seconds, assumed ? " (assumed default)" : "",
                                   format_rate(static_cast<double>(size) / tw_seconds)));
  PressureSummary p = summarize_pressure(in);
  std::optional<TuplePressure> worst = p.worst_remote;
  if (!worst || (p.worst_loopback && p.worst_loopback->in_use > worst->in_use))
    worst = p.worst_loopback;
  if (worst)
    f.evidence.push_back(fmt::format("worst destination {}: {} ports in use, {} in TIME_WAIT",
                                     worst->key.remote.to_string(), with_commas(worst->in_use),
                                     with_commas(worst->time_wait)));
  f.why =
      "Outgoing connections take their source port from the dynamic range; each stays taken in "
      "TIME_WAIT for TcpTimedWaitDelay after closing, so one destination sustains about range "
      "size / TcpTimedWaitDelay new connections (event 4231 when the range runs out).";
  if (size < 16384) {
    // Per-destination pressure is the port-pressure finding's; this one is about the setting.
    f.severity = Severity::kWarning;
    f.title =
        fmt::format("the dynamic port range has only {} ports (default 16,384)", with_commas(size));
    f.commands = {"netsh int ipv4 set dynamicport tcp start=49152 num=16384",
                  "netsh int ipv6 set dynamicport tcp start=49152 num=16384"};
  } else {
    f.severity = Severity::kOk;
    f.title = fmt::format("dynamic port range: {} ports", with_commas(size));
  }
  return f;
}

Finding max_user_port(int64_t v) {
  Finding f;
  f.id = "windows-maxuserport";
  f.topics = {"windows"};
  f.sources = {
      "Microsoft: MaxUserPort 5000-65534, default 5000, Windows Server 2003 and earlier; "
      "Vista and later use the dynamic port range"};
  f.evidence = {fmt::format("MaxUserPort = {}", v)};
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
  return f;
}

}  // namespace

std::vector<Finding> rule_windows(const DoctorInput& in) {
  if (!in.is_windows()) return {};
  std::vector<Finding> out;
  bool registry = in.windows_registry || in.facts.windows_params.count("TcpTimedWaitDelay") ||
                  in.facts.windows_params.count("MaxUserPort");
  if (registry) {
    out.push_back(timed_wait_delay(in));
    if (auto m = param(in, "MaxUserPort")) out.push_back(max_user_port(*m));
  } else {
    out.push_back(
        not_checked("windows-tcptimedwaitdelay", "registry export (--windows-reg)", {"windows"}));
  }
  if (in.windows_dynamicport || in.facts.windows_params.count("DynamicPortStart") || in.sockets)
    out.push_back(dynamic_range(in));
  else
    out.push_back(not_checked("windows-dynamic-range",
                              "dynamic port range (--windows-dynamicport) or sockets",
                              {"windows"}));
  return out;
}

}  // namespace tw
