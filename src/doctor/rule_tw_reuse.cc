// SPDX-License-Identifier: Apache-2.0
// tcp_tw_reuse (0 off, 1 on, 2 loopback only) and tcp_tw_reuse_delay: recommend 1 only where the
// census shows outbound port pressure toward a non-loopback destination.
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/pressure.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

namespace {
constexpr const char* kName = "net.ipv4.tcp_tw_reuse";
constexpr const char* kDelay = "net.ipv4.tcp_tw_reuse_delay";
const std::vector<std::string> kSources = {
    "kernel commit 79e9fed46038 (2018): tcp_tw_reuse=2, loopback only, the default",
    "kernel tcp_twsk_unique(): reuse needs the TIME_WAIT socket's timestamp (tw_ts_recent_stamp)",
    "RFC 7323 (timestamps, PAWS)"};

std::string tuple_text(const TupleForecast& r) {
  const TuplePressure& t = r.tuple;
  return fmt::format("{} -> {}: {} of {} ports ({}), {}", t.key.local.addr.to_string(),
                     t.key.remote.to_string(), with_commas(t.in_use), with_commas(t.available),
                     format_percent(r.forecast.percent), pool_state_name(r.forecast.state));
}

Finding delay_finding(int64_t delay) {
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "tcp-tw-reuse-delay";
  f.topics = {"tcp_tw_reuse_delay"};
  f.sources = {
      "net-next commit 154dee7c3265 (December 2024, about Linux 6.14): "
      "tcp_tw_reuse_delay, milliseconds, default 1000, max 60000",
      "RFC 7323 section 5 (PAWS)"};
  f.evidence = {fmt::format("{} = {} ms", kDelay, delay)};
  data = {{kDelay, delay}};
  f.why =
      "tcp_tw_reuse_delay is how long (ms) a TIME_WAIT socket must have existed before "
      "tcp_tw_reuse may take its port. The reused connection is protected only by timestamps: if "
      "the peer's timestamp clock has not ticked since the old connection, PAWS rejects the new "
      "one's segments.";
  if (delay < 1000) {
    f.severity = Severity::kWarning;
    f.title = fmt::format("tcp_tw_reuse_delay is {} ms, below the 1000 ms default", delay);
    f.sysctls = {{kDelay, "1000", true}};
    f.dont = {
        "Do not lower tcp_tw_reuse_delay below the peers' timestamp tick to squeeze out "
        "ports: PAWS then drops the new connection's segments."};
  } else {
    f.severity = Severity::kOk;
    f.title = fmt::format("tcp_tw_reuse_delay is {} ms (default 1000)", delay);
  }
  return with_data(std::move(f), data);
}
}  // namespace

std::vector<Finding> rule_tw_reuse(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  if (!in.has_sysctls()) return {not_checked("tcp-tw-reuse", "sysctls", {"tcp_tw_reuse"})};
  std::vector<Finding> out;
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "tcp-tw-reuse";
  f.topics = {"tcp_tw_reuse", "tcp_timestamps"};
  f.sources = kSources;
  f.why =
      "tcp_tw_reuse lets an outgoing connect() take a source port still held by a TIME_WAIT socket "
      "toward the same destination, when the new connection's timestamps are newer (PAWS protects "
      "it instead of TIME_WAIT). It does nothing for incoming connections or with "
      "tcp_timestamps=0.";
  auto v = in.facts.sysctl_int(kName);
  if (!v) {
    f.severity = Severity::kInfo;
    f.title = "tcp_tw_reuse was not captured or does not exist";
    f.evidence = {fmt::format("{} absent", kName)};
    return {with_data(std::move(f), data)};
  }
  f.evidence.push_back(fmt::format("{} = {} ({})", kName, *v,
                                   *v == 0   ? "off"
                                   : *v == 1 ? "on"
                                   : *v == 2 ? "loopback only, the default since 2018"
                                             : "unknown value"));
  auto ts = in.facts.sysctl_int("net.ipv4.tcp_timestamps");
  data = {{kName, *v},
          {"net.ipv4.tcp_timestamps", value_or_null(ts)},
          {"TWRecycled", value_or_null(in.counter("TWRecycled"))}};
  if (auto c = in.counter("TWRecycled"))
    f.evidence.push_back(
        fmt::format("TcpExt TWRecycled = {} (ports reused by tcp_tw_reuse)", with_commas(*c)));
  PressureSummary p = summarize_pressure(in);
  if (!in.sockets) f.evidence.push_back("no sockets read: outbound port pressure unknown");
  if (p.worst_remote) f.evidence.push_back("worst remote tuple " + tuple_text(*p.worst_remote));
  if (p.worst_loopback)
    f.evidence.push_back("worst loopback tuple " + tuple_text(*p.worst_loopback));
  // What the kernel says of each TIME_WAIT (the bpf source): what reuse would buy, measured.
  if (const ReuseCounts* r = in.sockets ? &in.sockets->time_wait_reuse() : nullptr;
      r && r->known()) {
    f.evidence.push_back(fmt::format(
        "of {} TIME_WAIT sockets, tcp_tw_reuse could take {} ports now; {} are younger than "
        "tcp_tw_reuse_delay; {} have no timestamps and never can be",
        with_commas(r->known()), with_commas(r->reusable), with_commas(r->not_yet),
        with_commas(r->no_timestamps)));
    data["time_wait_reusable_now"] = r->reusable;
    data["time_wait_without_timestamps"] = r->no_timestamps;
    if (p.worst_remote && p.worst_remote->forecast.free_with_reuse)
      f.evidence.push_back(fmt::format("toward {}: {} ports free now, {} with tcp_tw_reuse=1",
                                       p.worst_remote->tuple.key.remote.to_string(),
                                       with_commas(p.worst_remote->forecast.free_ports),
                                       with_commas(*p.worst_remote->forecast.free_with_reuse)));
  }

  if (ts && *ts == 0) {
    f.severity = *v == 0 ? Severity::kInfo : Severity::kWarning;
    f.title = fmt::format("tcp_tw_reuse={} has no effect: tcp_timestamps is off", *v);
    f.application = {"Turn timestamps back on (see the tcp-timestamps finding)."};
  } else if (under_pressure(p.worst_bind)) {
    // The pressure is bind()'s: a port bound before connect() is skipped by connect() and refused
    // to bind() until its TIME_WAIT ends, with or without reuse (measured: the client failed at
    // 29 s with tcp_tw_reuse=1 instead of 28 s).
    f.severity = Severity::kInfo;
    f.title = fmt::format(
        "tcp_tw_reuse={}: it cannot help the pressure on {}, where ports are bound before "
        "connect() (see port-pressure: IP_BIND_ADDRESS_NO_PORT)",
        *v, p.worst_bind->pool.local.to_string());
  } else if (under_pressure(p.worst_remote) && *v != 1) {
    f.severity = Severity::kWarning;
    f.title = fmt::format(
        "outbound port pressure toward {} and tcp_tw_reuse={}: reuse is off for remote "
        "destinations",
        p.worst_remote->tuple.key.remote.to_string(), *v);
    // The last of port-pressure's fixes, and a trade-off (PAWS guards the reused port instead of
    // TIME_WAIT): a person weighs it, --apply does not write it.
    f.sysctls = {{kName, "1", false}};
    f.application = {
        "First reuse connections (keep-alive, pools), then more tuples: see the port-pressure "
        "finding. tcp_tw_reuse=1 is the last of its fixes."};
  } else if (under_pressure(p.worst_loopback) && *v == 0) {
    f.severity = Severity::kWarning;
    f.title = "outbound port pressure on loopback and tcp_tw_reuse=0";
    f.sysctls = {{kName, "2", true}};
  } else if (*v == 0) {
    f.severity = Severity::kInfo;
    f.title = "tcp_tw_reuse is off; fine while there is no outbound port pressure";
  } else {
    f.severity = Severity::kOk;
    f.title = *v == 2 ? "tcp_tw_reuse=2 (loopback only, the default)"
                      : fmt::format("tcp_tw_reuse={}", *v);
  }
  f.dont = {
      "Do not expect tcp_tw_reuse to reduce TIME_WAIT on a server: it only affects outgoing "
      "connect(), and TIME_WAIT count on a server is harmless up to tcp_max_tw_buckets.",
      "Do not turn it on without timestamps (tcp_timestamps=1) on both ends."};
  out.push_back(with_data(std::move(f), data));
  if (auto d = in.facts.sysctl_int(kDelay)) out.push_back(delay_finding(*d));
  return out;
}

}  // namespace tw
