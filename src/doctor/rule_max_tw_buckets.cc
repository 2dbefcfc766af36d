// tcp_max_tw_buckets: past it a closing socket gets no TIME_WAIT at all and TCPTimeWaitOverflow
// grows. Raising the limit is safe (memory); lowering it to "fix" TIME_WAIT is not.
#include <fmt/format.h>

#include <algorithm>

#include "census/report.h"
#include "doctor/rules.h"

namespace tw {

namespace {
constexpr double kWarnShare = 0.8;
constexpr int64_t kBytesPerTimeWait = 200;  // tcp_timewait_sock ~168 B plus its bind bucket share
}  // namespace

std::vector<Finding> rule_max_tw_buckets(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  constexpr const char* kName = "net.ipv4.tcp_max_tw_buckets";
  auto limit = in.facts.sysctl_int(kName);
  if (!limit) return {not_checked("tcp-max-tw-buckets", kName, {"tcp_max_tw_buckets"})};
  Finding f;
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
  f.data = {{"tcp_max_tw_buckets", *limit},
            {"time_wait", tw ? nlohmann::json(*tw) : nlohmann::json(nullptr)},
            {"percent", tw && *limit ? nlohmann::json(round_to(100.0 * *tw / *limit, 1))
                                     : nlohmann::json(nullptr)},
            {"TCPTimeWaitOverflow", overflow ? nlohmann::json(*overflow) : nlohmann::json(nullptr)},
            {"overflow_delta", delta ? nlohmann::json(*delta) : nlohmann::json(nullptr)},
            {"interval_s", delta ? nlohmann::json(in.interval_seconds) : nlohmann::json(nullptr)},
            {"counters_since", in.counters_since()}};
  f.why =
      "tcp_max_tw_buckets caps the TIME_WAIT sockets of a namespace; past it, a closing "
      "connection skips TIME_WAIT entirely (kernel log \"TCP: time wait bucket table overflow\"), "
      "losing the protection against a lost last ACK and old duplicates (RFC 1337).";
  // Twice the limit or the count, or with --interval twice what the closes of the last interval
  // need for 60 s (TIME_WAITs made plus those the full table skipped); at least 1,024, so a
  // limit of 0 is raised too.
  int64_t suggested = std::max(*limit * 2, tw.value_or(0) * 2);
  if (auto made = in.counter_delta("TW"); made && in.interval_seconds > 0) {
    const double per_second =
        (*made + std::max<int64_t>(0, delta.value_or(0))) / in.interval_seconds;
    suggested = std::max(suggested, static_cast<int64_t>(2 * per_second * kLinuxTimeWaitSeconds));
  }
  suggested = std::max<int64_t>(1024, (suggested + 1023) / 1024 * 1024);
  auto raise = [&] {
    f.sysctls = {{kName, fmt::format("{}", suggested), true}};
    f.evidence.push_back(fmt::format("raising the limit to {} costs at most ~{} MB of memory",
                                     with_commas(suggested),
                                     std::max<int64_t>(1, suggested * kBytesPerTimeWait >> 20)));
    f.application = {
        "The cure for the cause: fewer short-lived connections (keep-alive, pools; "
        "see port-pressure and server-time-wait)."};
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
  return {f};
}

}  // namespace tw
