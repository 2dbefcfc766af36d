// SPDX-License-Identifier: Apache-2.0
#include "plan/from_census.h"

#include <fmt/format.h>

#include "census/forecast.h"
#include "census/port_pool.h"
#include "model/format.h"

namespace tw::plan {

namespace {
// A tuple making TIME_WAITs at this share of what its pool sustains is at its limit.
constexpr double kLowerBoundShare = 0.95;
}  // namespace

Status apply_census(const Census& census, const HostFacts& facts, PlanInput* in) {
  const ForecastPolicy policy = forecast_policy(facts);
  in->platform = facts.os == "windows"                     ? Platform::kWindows
                 : facts.os == "linux" || facts.os.empty() ? Platform::kLinux
                                                           : Platform::kOther;
  // The TIME_WAIT length the census forecast used: Linux's fixed 60 s, Windows' setting.
  if (in->platform == Platform::kWindows && !policy.time_wait_assumed) {
    in->time_wait_s = policy.time_wait_seconds;
    in->time_wait_from_input = true;
  }
  PoolChoice choice = choose_pool(facts, std::nullopt);
  if (!choice.error.empty()) return fail(choice.error);
  if (choice.pool && !choice.assumed) {
    in->pool = choice.pool;
    in->pool_from_input = true;
  }
  if (policy.tw_reuse) in->tw_reuse = *policy.tw_reuse;
  in->timestamps = policy.timestamps;
  in->reuse_delay_s = policy.reuse_delay_s;
  if (auto v = facts.sysctl_int("net.ipv4.tcp_max_tw_buckets")) in->max_tw_buckets = *v;

  // The busiest outbound tuple: the client side of the traffic, which closes first (its
  // TIME_WAITs are on outbound tuples; inbound ones are left out of port pressure).
  std::optional<TupleForecast> busiest;
  for (TupleForecast& t : forecast_tuples(census, policy)) {
    if (t.tuple.time_wait == 0) continue;
    if (!busiest || t.forecast.rate_60s > busiest->forecast.rate_60s) busiest = t;
  }
  if (!busiest)
    return fail(
        "the input holds no outbound tuple with TIME_WAIT sockets, so it tells no connection "
        "rate; give --rate N");
  const Forecast& f = busiest->forecast;
  in->rate = f.rate_60s;
  in->tuple = MeasuredTuple{busiest->tuple.key.local.addr, busiest->tuple.key.remote};
  in->who_closes = Closer::kClient;
  // tcp_tw_reuse=2 acts on loopback tuples: where the census found it applies, plan with it on.
  const bool loopback_reuse = f.reuse && policy.tw_reuse == 2;
  if (f.reuse) in->tw_reuse = 1;
  // A pool at its limit lets through only what it sustains: connect() calls beyond it failed
  // with EADDRNOTAVAIL and left no TIME_WAIT, so the demand is higher than the rate seen. The
  // kernel counts no such failure (no TcpExt or Tcp counter); `timewait trace` does.
  if (f.free_ports <= 0 || (f.sustainable > 0 && f.rate_60s >= kLowerBoundShare * f.sustainable))
    in->rate_lower_bound = fmt::format(
        "at least {:.2f}/s: the busiest tuple was {} when the input was taken ({} of {} ports "
        "held, {:.0f} % of its sustainable rate), so connect() calls beyond it failed and left no "
        "TIME_WAIT; the demand is higher. `timewait trace --json` counts the failed connect() "
        "calls: give its output with --trace FILE, or the demand with --rate N",
        f.rate_60s, f.free_ports <= 0 ? "exhausted" : "at its limit", with_commas(f.in_use),
        with_commas(f.available), f.sustainable > 0 ? 100 * f.rate_60s / f.sustainable : 100.0);
  in->from = fmt::format("{}{}: busiest tuple {}, {} TIME_WAIT, {:.1f}/s over 60 s{}{}",
                         facts.source.empty() ? "input" : facts.source,
                         facts.hostname.empty() ? "" : " " + facts.hostname,
                         describe_key(busiest->tuple.key, GroupBy::kTuple),
                         with_commas(busiest->tuple.time_wait), f.rate_60s,
                         f.rates_measured ? "" : " (a lower bound: the input has no timers)",
                         loopback_reuse ? "; tcp_tw_reuse=2 applies (loopback)" : "");
  return {};
}

}  // namespace tw::plan
