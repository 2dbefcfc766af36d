// SPDX-License-Identifier: Apache-2.0
// Where one destination tuple's ephemeral ports are heading: the TIME_WAIT creation rate over the
// last 10 s and 60 s (from the TIME_WAIT timers), the rate the pool sustains, and when, at the
// last 10 s rate, no source port toward it is left. The census table, the doctor, the exporter,
// `watch` and `plan` all read a tuple's state from here, so they never disagree.
#pragma once

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "census/census.h"
#include "model/host_facts.h"
#include "model/severity.h"

namespace tw {

// How long a closed connection keeps its port on this host, and whether tcp_tw_reuse lets
// connect() take a TIME_WAIT's port back sooner.
struct ForecastPolicy {
  int time_wait_seconds = kLinuxTimeWaitSeconds;  // Windows: TcpTimedWaitDelay
  bool time_wait_assumed = false;                 // a documented default, not a captured value
  std::optional<int> tw_reuse;                    // Linux tcp_tw_reuse 0/1/2; nullopt: unknown
  bool timestamps = true;                         // tcp_timestamps != 0 (reuse needs them)
  double reuse_delay_s = 1;                       // tcp_tw_reuse_delay (fixed 1 s before ~6.14)
  // tcp_max_tw_buckets: the namespace keeps at most this many TIME_WAITs; past it a closing
  // socket is freed at once with its port (measured: a 100-port range with the limit at 10 took
  // 300 connect-and-close in a row, 290 of them counted in TCPTimeWaitOverflow). So one tuple's
  // TIME_WAITs never hold more ports than this.
  std::optional<int64_t> max_tw_buckets;

  // tcp_tw_reuse=1, or =2 (loopback only) toward a loopback tuple, with timestamps on.
  bool reuse_applies(const GroupKey& tuple) const;
};

// From the host's captured settings: tcp_tw_reuse, tcp_timestamps, tcp_tw_reuse_delay (Linux),
// TcpTimedWaitDelay (Windows; 120 s, Server 2003 and later, when not given).
// tcp_max_tw_buckets (Linux).
ForecastPolicy forecast_policy(const HostFacts& facts);

enum class PoolState {
  kOk,      // at the last 10 s rate the free ports last
  kRising,  // at the last 10 s rate the free ports run out: eta_s says when
  // No free port now, or the pool is saturated (nearly every port held and TIME_WAITs made at its
  // sustainable rate: the few free ports are those whose TIME_WAIT just ended, taken at once, and
  // connects beyond fail): connect() fails with EADDRNOTAVAIL (bind(): EADDRINUSE).
  kExhausted,
};
std::string_view pool_state_name(PoolState s);  // "ok", "rising", "exhausted"

// Under this many seconds to exhaustion a tuple is critical whatever its percent.
inline constexpr double kCriticalEtaSeconds = 30;

struct Forecast {
  int64_t in_use = 0, time_wait = 0, available = 0;
  int64_t free_ports = 0;  // available minus the ports connect() cannot take now
  double percent = 0;
  // From TIME_WAIT timers; without them rate_60s is time_wait / TIME_WAIT length (a lower bound)
  // and rate_10s is unknown, so there is no ETA.
  bool rates_measured = false;
  std::optional<double> rate_10s;
  double rate_60s = 0;
  // Over the last PoolAges::kYoungSeconds: where it is above rate_10s (a sudden rise), the ETA
  // projects this one instead, so it follows the rise within a few seconds.
  std::optional<double> rate_recent;
  double eta_rate() const { return std::max(rate_10s.value_or(0), rate_recent.value_or(0)); }
  bool reuse = false;  // tcp_tw_reuse applies to this tuple
  // Ports connect() could take now with tcp_tw_reuse on for this tuple (free ones and those of
  // TIME_WAITs old enough, with timestamps), as the kernel checks them: only where the source
  // tells each TIME_WAIT's reuse (the bpf source). With reuse on, free_ports is this.
  std::optional<int64_t> free_with_reuse;
  // tcp_tw_reuse applies but the source did not tell which TIME_WAITs it can take: reuse needs
  // timestamps from the peer too, and toward a peer without them connect() fails with every port
  // in TIME_WAIT (measured: tcp_tw_reuse=1, 100 of 100 ports, EADDRNOTAVAIL). The free ports
  // assume reuse works; the level does not go below "warning" from kPressureWarnPercent in use.
  bool reuse_unverified() const { return reuse && !free_with_reuse; }
  // The share of the pool connect() cannot take now (with tcp_tw_reuse, TIME_WAITs older than
  // the delay are ports it can take).
  double held_percent() const;
  double sustainable = 0;       // new connections per second the pool carries for good
  std::optional<double> eta_s;  // seconds until no free port (0 when exhausted)
  PoolState state = PoolState::kOk;
  // At the last 10 s rate the TIME_WAITs would fill the free ports, but tcp_max_tw_buckets stops
  // them first: the closes past it skip TIME_WAIT (and its protection) and the ports last.
  bool capped_by_max_tw_buckets = false;

  // kCritical when exhausted, under kCriticalEtaSeconds to go or >= 90 % in use; kWarning when
  // rising or >= 50 % in use (counting TIME_WAITs reuse may take, while reuse_unverified()); else
  // kOk. Shown as severity_name(): "critical", "warning", "ok".
  Severity level() const;
};

// Over this share of the sustainable rate with this share of the pool held, a pool is saturated.
inline constexpr double kSaturatedRateShare = 0.9;
inline constexpr double kSaturatedHeldPercent = 97;

// One model for both kinds of pool (PoolKind): tcp_tw_reuse never applies to an address pool
// (it helps connect() only; bind() cannot take a TIME_WAIT's port).
Forecast forecast(const TuplePressure& t, const ForecastPolicy& p);

struct TupleForecast {
  TuplePressure tuple;
  Forecast forecast;
};

// Orders forecasts worst first: by level (critical, warning, ok), then exhausted before rising
// before ok, then the soonest ETA, then the most ports in use.
bool worse(const Forecast& a, const Forecast& b);

// A local address's pool that bind() draws from (SourcePool::binds), with its forecast.
struct SourceForecast {
  SourcePool pool;
  Forecast forecast;
};
// Every address pool bind() draws from, worst first (as forecast_tuples).
std::vector<SourceForecast> forecast_source_pools(const Census& c, const ForecastPolicy& p);

// The worst of every pool: the first tuple or the first bind pool, whichever is worse; nullopt
// when there is neither. The worst pool decides every view's level.
struct WorstPool {
  std::optional<TupleForecast> tuple;
  std::optional<SourceForecast> source;
  const Forecast* forecast() const;  // of the worse of the two
  bool source_is_worse() const;
};
WorstPool worst_pool(const std::vector<TupleForecast>& tuples,
                     const std::vector<SourceForecast>& sources);

// Every tuple under pressure in the census, worst first: by level (critical, warning, ok), then
// exhausted before rising before ok, then the soonest ETA, then the most ports in use; top = 0
// means all. A tuple 99 % held with no rate (critical) goes before one rising toward exhaustion
// in a minute (warning), so the first row's level is the worst of all of them.
//
// kTupleOrderText says so in the tables that print this order.
inline constexpr std::string_view kTupleOrderText =
    "worst level first, then soonest exhaustion, then most ports in use";
std::vector<TupleForecast> forecast_tuples(const Census& c, const ForecastPolicy& p,
                                           size_t top = 0);

// "in ~14 s", "now", "-" for a forecast's ETA column.
std::string eta_text(const Forecast& f);

}  // namespace tw
