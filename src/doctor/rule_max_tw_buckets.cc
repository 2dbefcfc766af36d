// SPDX-License-Identifier: Apache-2.0
// tcp_max_tw_buckets: past it a closing socket gets no TIME_WAIT at all and TCPTimeWaitOverflow
// grows. Raising the limit is safe (memory); lowering it to "fix" TIME_WAIT is not.
#include <fmt/format.h>

#include <algorithm>

#include "doctor/finding_json.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

namespace {
constexpr double kWarnShare = 0.8;
constexpr int64_t kBytesPerTimeWait = 200;  // tcp_timewait_sock ~168 B plus its bind bucket share

// A tuple the raise would leave without a source port: the limit is what keeps its ports free.
struct RaiseRisk {
  std::string tuple;
  int64_t would_hold = 0;  // ports its TIME_WAITs and other sockets would hold with the new limit
  int64_t available = 0;
  std::optional<double> closes_per_s;  // the tuple's share of the measured closes
};

// Past the limit a close is freed at once, port and all; raised, every close keeps its port for
// the TIME_WAIT length again. Measured: a 1,000-port range, the limit at 200, 60 connections a
// second to one destination for 25 s: 1,500 connects, none failed; with the limit raised to
// 8,192, 1,000 connects and 500 EADDRNOTAVAIL. The tuple with the most TIME_WAITs is checked
// (tcp_tw_reuse aside: it takes TIME_WAIT ports back): with the close rate measured
// (--interval: TIME_WAITs made plus closes the table refused, shared by the tuples' TIME_WAITs),
// it holds that rate times the TIME_WAIT length; unmeasured, up to the new limit.
std::optional<RaiseRisk> raise_risk(const DoctorInput& in, int64_t new_limit,
                                    std::optional<double> closes_per_s) {
  if (!in.sockets || !in.pool) return std::nullopt;
  const ForecastPolicy policy = in.policy();
  const int64_t all_time_wait = in.sockets->count(TcpState::kTimeWait);
  // With no TIME_WAIT at all (a limit of 0) the closes cannot be told apart: the busiest tuple
  // is taken to make all of them.
  auto busier = [&](const TuplePressure& a, const TuplePressure& b) {
    return all_time_wait ? a.time_wait > b.time_wait : a.in_use > b.in_use;
  };
  std::optional<TuplePressure> worst;
  for (TuplePressure& t : in.sockets->pressure())
    if (!policy.reuse_applies(t.key) && (!worst || busier(t, *worst))) worst = std::move(t);
  if (!worst || (!all_time_wait && !closes_per_s)) return std::nullopt;  // no sign of closes
  RaiseRisk r;
  r.tuple = describe_key(worst->key, GroupBy::kTuple);
  r.available = worst->available;
  int64_t time_wait = new_limit;
  if (closes_per_s) {
    r.closes_per_s =
        all_time_wait ? *closes_per_s * worst->time_wait / all_time_wait : *closes_per_s;
    time_wait =
        std::min<int64_t>(new_limit, std::llround(*r.closes_per_s * policy.time_wait_seconds));
  }
  r.would_hold = worst->in_use - worst->time_wait + time_wait;
  if (r.would_hold < r.available) return std::nullopt;
  return r;
}
}  // namespace

std::vector<Finding> rule_max_tw_buckets(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  constexpr const char* kName = "net.ipv4.tcp_max_tw_buckets";
  auto limit = in.facts.sysctl_int(kName);
  if (!limit) return {not_checked("tcp-max-tw-buckets", kName, {"tcp_max_tw_buckets"})};
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "tcp-max-tw-buckets";
  f.topics = {"tcp_max_tw_buckets", "time-wait"};
  f.sources = {
      "kernel inet_twsk_alloc(): no TIME_WAIT past tcp_max_tw_buckets, "
      "TCPTimeWaitOverflow counts it",
      "RFC 1337 (hazards of a missing TIME_WAIT)"};
  // sockstat "tw" counts TIME_WAIT and orphaned FIN_WAIT2 mini-sockets, as the limit does.
  std::optional<int64_t> tw;
  if (in.facts.sockstat)
    tw = in.facts.sockstat->tw;
  else if (in.sockets)
    tw = in.sockets->count(TcpState::kTimeWait) + in.sockets->fin_wait2_mini();
  if (tw)
    f.evidence.push_back(fmt::format("{} TIME_WAIT mini-sockets of a limit of {} ({})",
                                     with_commas(*tw), with_commas(*limit),
                                     format_percent(*limit ? 100.0 * *tw / *limit : 0.0)));
  else
    f.evidence.push_back(
        fmt::format("{} = {}; TIME_WAIT count unknown", kName, with_commas(*limit)));
  auto overflow = in.counter("TCPTimeWaitOverflow");
  auto delta = in.counter_delta("TCPTimeWaitOverflow");
  if (overflow)
    f.evidence.push_back(fmt::format("TcpExt TCPTimeWaitOverflow = {} ({})", with_commas(*overflow),
                                     in.counters_since()));
  if (delta)
    f.evidence.push_back(fmt::format("TCPTimeWaitOverflow grew by {} in {:.0f} s",
                                     with_commas(*delta), in.interval_seconds));
  // TcpExt TW counts TIME_WAITs entered: it is incremented when the TIME_WAIT timer is armed
  // (inet_twsk_schedule), not when it fires; measured here: +10 right after making 10.
  if (auto made = in.counter_delta("TW"); made && in.interval_seconds > 0)
    f.evidence.push_back(fmt::format("TcpExt TW grew by {} in {:.0f} s: {} TIME_WAITs made",
                                     with_commas(*made), in.interval_seconds,
                                     format_rate(*made / in.interval_seconds)));
  data = {{"tcp_max_tw_buckets", *limit},
          {"time_wait", tw ? nlohmann::json(*tw) : nlohmann::json(nullptr)},
          {"percent", tw && *limit ? nlohmann::json(round_to(100.0 * *tw / *limit, 1))
                                   : nlohmann::json(nullptr)},
          {"TCPTimeWaitOverflow", overflow ? nlohmann::json(*overflow) : nlohmann::json(nullptr)},
          {"overflow_delta", delta ? nlohmann::json(*delta) : nlohmann::json(nullptr)},
          {"interval_s", delta ? nlohmann::json(in.interval_seconds) : nlohmann::json(nullptr)},
          {"counters_since", in.counters_since()},
          {"raise_exhausts", nullptr}};
  f.why =
      "tcp_max_tw_buckets caps the TIME_WAIT sockets of a namespace; past it, a closing "
      "connection skips TIME_WAIT entirely (kernel log \"TCP: time wait bucket table overflow\"), "
      "losing the protection against a lost last ACK and old duplicates (RFC 1337).";
  // Twice the limit or the count, or with --interval twice what the closes of the last interval
  // need for 60 s (TIME_WAITs made plus those the full table skipped); at least 1,024, so a
  // limit of 0 is raised too.
  std::optional<double> closes_per_s;
  if (auto made = in.counter_delta("TW"); made && in.interval_seconds > 0)
    closes_per_s = (*made + std::max<int64_t>(0, delta.value_or(0))) / in.interval_seconds;
  int64_t suggested = std::max(*limit * 2, tw.value_or(0) * 2);
  if (closes_per_s)
    suggested =
        std::max(suggested, static_cast<int64_t>(2 * *closes_per_s * kLinuxTimeWaitSeconds));
  suggested = std::max<int64_t>(1024, (suggested + 1023) / 1024 * 1024);
  auto raise = [&] {
    const auto risk = raise_risk(in, suggested, closes_per_s);
    f.sysctls = {{kName, fmt::format("{}", suggested), !risk}};
    f.evidence.push_back(fmt::format("raising the limit to {} costs at most ~{} MB of memory",
                                     with_commas(suggested),
                                     std::max<int64_t>(1, suggested * kBytesPerTimeWait >> 20)));
    f.application = {
        "The cure for the cause: fewer short-lived connections (keep-alive, pools; "
        "see port-pressure and server-time-wait)."};
    if (!risk) return;
    data["raise_exhausts"] = {
        {"tuple", risk->tuple},
        {"would_hold", risk->would_hold},
        {"available", risk->available},
        {"closes_per_s", risk->closes_per_s ? nlohmann::json(round_to(*risk->closes_per_s, 2))
                                            : nlohmann::json(nullptr)}};
    const bool measured = risk->closes_per_s.has_value();
    f.evidence.push_back(fmt::format(
        "the limit is what keeps the ports toward {} free: raised, each close keeps its port for "
        "the TIME_WAIT length again, {} ports of its {}{}, and connect() {} with EADDRNOTAVAIL",
        risk->tuple, (measured ? "~" : "up to ") + with_commas(risk->would_hold),
        with_commas(risk->available),
        measured ? fmt::format(" (its closes at {} for 60 s)", format_rate(*risk->closes_per_s))
                 : " (close rate not measured: --interval measures it)",
        measured ? "fails" : "can fail"));
    f.application = {fmt::format(
        "First make fewer closes toward {} (keep-alive, connection pools; see port-pressure) or "
        "give it more ports (see ephemeral-range), then raise the limit: raised alone it moves "
        "the failure to connect().",
        risk->tuple)};
  };
  if (delta && *delta > 0) {
    f.severity = Severity::kCritical;
    f.title =
        fmt::format("TIME_WAIT table overflowing now: {} closes skipped TIME_WAIT in {:.0f} s",
                    with_commas(*delta), in.interval_seconds);
    raise();
  } else if (*limit <= 0) {
    // The kernel keeps no TIME_WAIT at all (inet_twsk_alloc refuses every one).
    f.severity = Severity::kWarning;
    f.title =
        fmt::format("tcp_max_tw_buckets is {}: no closing connection gets a TIME_WAIT", *limit);
    raise();
  } else if (tw && *tw >= kWarnShare * *limit) {
    f.severity = Severity::kWarning;
    f.title =
        fmt::format("TIME_WAIT at {} of tcp_max_tw_buckets", format_percent(100.0 * *tw / *limit));
    raise();
  } else if (!delta && overflow && *overflow > 0) {
    // A count left from long ago is no evidence of overflow now: say so, change nothing.
    f.severity = Severity::kInfo;
    f.title = fmt::format(
        "the TIME_WAIT table overflowed {} times {}, not necessarily now (--interval shows "
        "whether it still does)",
        with_commas(*overflow), in.counters_since());
  } else {
    f.severity = Severity::kOk;
    f.title = fmt::format("TIME_WAIT well below tcp_max_tw_buckets ({})", with_commas(*limit));
    f.sysctls.clear();
  }
  f.dont = {
      "Do not lower tcp_max_tw_buckets to get rid of TIME_WAIT: connections then close "
      "without it."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
