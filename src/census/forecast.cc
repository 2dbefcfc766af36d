// SPDX-License-Identifier: Apache-2.0
#include "census/forecast.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace tw {

namespace {
// The projection's step: fine enough for an ETA read in whole seconds.
constexpr double kStepSeconds = 0.25;
}  // namespace

bool ForecastPolicy::reuse_applies(const GroupKey& tuple) const {
  if (!tw_reuse || !timestamps) return false;
  if (*tw_reuse == 1) return true;
  // 2: the kernel reuses only when the TIME_WAIT is on the loopback device or either address is
  // a loopback one (tcp_twsk_unique).
  return *tw_reuse == 2 && (tuple.remote.addr.is_loopback() || tuple.local.addr.is_loopback());
}

ForecastPolicy forecast_policy(const HostFacts& f) {
  ForecastPolicy p;
  if (f.os == "windows") {
    auto it = f.windows_params.find("TcpTimedWaitDelay");
    if (it != f.windows_params.end() && it->second > 0) {
      p.time_wait_seconds = static_cast<int>(it->second);
    } else {
      p.time_wait_seconds = 120;  // Server 2003 and later document 120 s (FACTS.md)
      p.time_wait_assumed = true;
    }
    return p;
  }
  if (auto v = f.sysctl_int("net.ipv4.tcp_tw_reuse")) p.tw_reuse = static_cast<int>(*v);
  if (auto v = f.sysctl_int("net.ipv4.tcp_timestamps")) p.timestamps = *v != 0;
  if (auto v = f.sysctl_int("net.ipv4.tcp_tw_reuse_delay"); v && *v > 0) p.reuse_delay_s = *v / 1e3;
  if (auto v = f.sysctl_int("net.ipv4.tcp_max_tw_buckets"))
    p.max_tw_buckets = std::max<int64_t>(0, *v);
  return p;
}

std::string_view pool_state_name(PoolState s) {
  switch (s) {
    case PoolState::kOk:
      return "ok";
    case PoolState::kRising:
      return "rising";
    case PoolState::kExhausted:
      return "exhausted";
  }
  return "?";
}

double Forecast::held_percent() const {
  return available ? 100.0 * (available - free_ports) / available : 0;
}

Severity Forecast::level() const {
  const double held = held_percent();
  if (state == PoolState::kExhausted || (eta_s && *eta_s <= kCriticalEtaSeconds) ||
      held >= kPressureCriticalPercent)
    return Severity::kCritical;
  if (state == PoolState::kRising || held >= kPressureWarnPercent) return Severity::kWarning;
  if (reuse_unverified() && percent >= kPressureWarnPercent) return Severity::kWarning;
  return Severity::kOk;
}

Forecast forecast(const TuplePressure& t, const ForecastPolicy& p) {
  Forecast f;
  f.in_use = t.in_use;
  f.time_wait = t.time_wait;
  f.available = t.available;
  f.percent = t.percent();
  f.rates_measured = t.ages.with_timer > 0 && t.ages.without_timer == 0;
  if (f.rates_measured) {
    f.rate_10s = t.ages.rate(10);
    f.rate_60s = t.ages.rate(60);
    f.rate_recent = t.ages.young_rate();
  } else {
    f.rate_60s = static_cast<double>(t.time_wait) / p.time_wait_seconds;
  }
  f.reuse = t.kind == PoolKind::kTuple && p.reuse_applies(t.key);
  if (t.time_wait > 0 && t.reuse.known() == t.time_wait) f.free_with_reuse = t.free_with_reuse();
  const int64_t not_time_wait = t.in_use - t.time_wait;
  if (f.reuse && f.free_with_reuse) {
    f.free_ports = *f.free_with_reuse;
    f.sustainable = t.available / p.reuse_delay_s;
  } else if (f.reuse) {
    // Only TIME_WAITs younger than the delay hold their port; the pool then carries
    // ports / delay, far above any TIME_WAIT-length limit.
    const double young =
        f.rate_10s ? std::min<double>(t.time_wait, *f.rate_10s * p.reuse_delay_s) : 0;
    f.free_ports = t.available - not_time_wait - std::llround(young);
    f.sustainable = t.available / p.reuse_delay_s;
  } else {
    f.free_ports = t.available - t.in_use;
    f.sustainable = static_cast<double>(t.available) / p.time_wait_seconds;
  }
  // Saturated: the ports cycle at the pool's sustainable rate and the few free ones are taken as
  // they come (measured in the nginx lab: an ETA swinging 0-34 s while connect() failed).
  const bool saturated = !f.reuse && f.rate_10s &&
                         *f.rate_10s >= kSaturatedRateShare * f.sustainable &&
                         f.held_percent() >= kSaturatedHeldPercent;
  if (f.free_ports <= 0 || saturated) {
    f.free_ports = std::max<int64_t>(f.free_ports, 0);
    f.state = PoolState::kExhausted;
    f.eta_s = 0;
    return f;
  }
  if (f.reuse || !f.rate_10s || f.eta_rate() <= 0) return f;
  // Ports held t seconds from now at the last rate: those in use, plus the new ones, less the
  // TIME_WAITs whose timers run out by then. After one TIME_WAIT length only the new ones are
  // left, so looking that far decides.
  const double r = f.eta_rate();
  // Even with nothing expiring the pool would not fill within one TIME_WAIT length: skip the
  // projection (most tuples of a busy host, so a million of them stay cheap).
  if (t.in_use + r * p.time_wait_seconds < t.available) return f;
  for (double s = kStepSeconds; s <= p.time_wait_seconds + kStepSeconds / 2; s += kStepSeconds) {
    const double time_wait = t.time_wait + r * s - t.ages.expiring_within(s);
    if (not_time_wait + time_wait < t.available) continue;
    if (p.max_tw_buckets && not_time_wait + *p.max_tw_buckets < t.available) {
      f.capped_by_max_tw_buckets = true;
      break;
    }
    f.state = PoolState::kRising;
    f.eta_s = s;
    break;
  }
  return f;
}

namespace {
// By level first: a tuple 99 % held (critical, no rate) goes before one rising toward exhaustion
// in a minute (warning), so the first row's level is the worst of all of them.
auto rank(const Forecast& f) {
  const int level = -static_cast<int>(f.level());  // critical first
  const int state = f.state == PoolState::kExhausted ? 0 : f.state == PoolState::kRising ? 1 : 2;
  return std::tuple(level, state, f.eta_s.value_or(0), -f.in_use);
}
}  // namespace

bool worse(const Forecast& a, const Forecast& b) { return rank(a) < rank(b); }

std::vector<TupleForecast> forecast_tuples(const Census& c, const ForecastPolicy& p, size_t top) {
  std::vector<TupleForecast> rows;
  for (TuplePressure& t : c.pressure()) {
    Forecast f = forecast(t, p);
    rows.push_back({std::move(t), f});
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const TupleForecast& a, const TupleForecast& b) {
    return worse(a.forecast, b.forecast);
  });
  if (top && rows.size() > top) rows.resize(top);
  return rows;
}

std::vector<SourceForecast> forecast_source_pools(const Census& c, const ForecastPolicy& p) {
  std::vector<SourceForecast> rows;
  for (SourcePool& s : c.source_pools())
    if (s.binds) {
      Forecast f = forecast(s.pressure, p);
      rows.push_back({std::move(s), f});
    }
  std::stable_sort(rows.begin(), rows.end(), [&](const SourceForecast& a, const SourceForecast& b) {
    return worse(a.forecast, b.forecast);
  });
  return rows;
}

bool WorstPool::source_is_worse() const {
  return source && (!tuple || worse(source->forecast, tuple->forecast));
}

const Forecast* WorstPool::forecast() const {
  if (source_is_worse()) return &source->forecast;
  return tuple ? &tuple->forecast : nullptr;
}

WorstPool worst_pool(const std::vector<TupleForecast>& tuples,
                     const std::vector<SourceForecast>& sources) {
  WorstPool w;
  if (!tuples.empty()) w.tuple = tuples.front();
  if (!sources.empty()) w.source = sources.front();
  return w;
}

std::string eta_text(const Forecast& f) {
  if (f.state == PoolState::kExhausted) return "now";
  if (!f.eta_s) return "-";
  if (*f.eta_s < 1) return "<1 s";
  return fmt::format("~{:.0f} s", *f.eta_s);
}

}  // namespace tw
