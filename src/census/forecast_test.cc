// SPDX-License-Identifier: Apache-2.0
#include "census/forecast.h"

#include <gtest/gtest.h>

#include "census/report.h"

namespace tw {
namespace {

// A tuple toward 10.0.0.9:8080 in a pool of `available` ports, with TIME_WAITs made at `per_second`
// for the last `seconds` seconds (timers as inet_diag gives them) and `established` other sockets.
TuplePressure churned(int available, double per_second, int seconds, int established = 0) {
  TuplePressure t;
  t.key.local.addr = *Address::parse("10.0.0.1");
  t.key.remote.addr = *Address::parse("10.0.0.9");
  t.key.remote.port = 8080;
  t.available = available;
  const int n = static_cast<int>(per_second * seconds);
  for (int i = 0; i < n; ++i) {
    const double age = (i + 0.5) / per_second;  // seconds since it entered TIME_WAIT
    t.ages.add(static_cast<int64_t>((kLinuxTimeWaitSeconds - age) * 1000));
  }
  t.time_wait = n;
  t.in_use = n + established;
  return t;
}

ForecastPolicy no_reuse() {
  ForecastPolicy p;
  p.tw_reuse = 0;
  return p;
}

// The case: 1,000 ports, 40 connections/s for 11 s: 440 in use, 43.7 %, which the old
// doctor called ok. At 40/s the 560 free ports last 14 s (nothing expires before 60 s).
TEST(Forecast, ChurnAboveTheSustainableRateIsRisingWithTheRightEta) {
  Forecast f = forecast(churned(1000, 40, 11), no_reuse());
  EXPECT_EQ(f.in_use, 440);
  EXPECT_NEAR(f.percent, 44.0, 0.01);
  EXPECT_TRUE(f.rates_measured);
  ASSERT_TRUE(f.rate_10s);
  EXPECT_DOUBLE_EQ(*f.rate_10s, 40.0);
  EXPECT_NEAR(f.rate_60s, 440 / 60.0, 1e-9);
  EXPECT_NEAR(f.sustainable, 1000 / 60.0, 1e-9);
  EXPECT_EQ(f.state, PoolState::kRising);
  ASSERT_TRUE(f.eta_s);
  EXPECT_NEAR(*f.eta_s, 14.0, 0.3);
  EXPECT_EQ(f.level(), Severity::kCritical);  // under 30 s to go, whatever the percent
  EXPECT_EQ(eta_text(f), "~14 s");
}

TEST(Forecast, SteadyRateBelowSustainableIsOkEvenWhenBusy) {
  // 10/s for a full minute: 600 of 1,000 held, and as many expire as are made.
  Forecast f = forecast(churned(1000, 10, 60), no_reuse());
  EXPECT_EQ(f.state, PoolState::kOk);
  EXPECT_FALSE(f.eta_s);
  EXPECT_EQ(f.level(), Severity::kWarning);  // 60 % in use: a burst has little room
  EXPECT_EQ(eta_text(f), "-");
}

TEST(Forecast, ExpiringTimeWaitsGiveBackPorts) {
  // 15/s (below 1,000 / 60 = 16.7/s) for 60 s: 900 held. At 15/s in and 15/s expiring the pool
  // never fills, though it is at 90 %.
  Forecast f = forecast(churned(1000, 15, 60), no_reuse());
  EXPECT_EQ(f.state, PoolState::kOk);
  // 18/s for 52 s: 936 held; 18/s in, ~18/s expiring from 8 s on: 64 free ports last ~3.6 s.
  Forecast g = forecast(churned(1000, 18, 52), no_reuse());
  EXPECT_EQ(g.state, PoolState::kRising);
  ASSERT_TRUE(g.eta_s);
  EXPECT_NEAR(*g.eta_s, 3.6, 0.5);
}

// Nearly every port held and TIME_WAITs made at the sustainable rate: the few free ports are
// those just expired, taken at once, and connects beyond fail. That is exhausted (critical), not
// an ETA that swings with each expiry (the nginx lab: 0 to 34 s while connect() failed).
TEST(Forecast, ASaturatedPoolIsExhaustedNotAnEta) {
  Forecast f = forecast(churned(1000, 16.5, 60), no_reuse());  // 990 held, 16.5/s of 16.7
  EXPECT_EQ(f.state, PoolState::kExhausted);
  EXPECT_EQ(f.eta_s, 0.0);
  EXPECT_EQ(f.level(), Severity::kCritical);
  // The same pool at a third of that rate is busy, not failing.
  Forecast g = forecast(churned(1000, 5.5, 60, 660), no_reuse());  // 330 TW + 660 others
  EXPECT_NE(g.state, PoolState::kExhausted);
}

// A sudden rise: 2/s for 40 s, then 30/s for the last 3 s. The 10 s rate (~10.6/s) lags it; the
// ETA follows the recent rate within the 3 s, as the pool would fill at 30/s.
TEST(Forecast, TheEtaFollowsASuddenRiseWithinSeconds) {
  TuplePressure t = churned(400, 0, 0);
  auto add = [&](double age) {
    t.ages.add(static_cast<int64_t>((kLinuxTimeWaitSeconds - age) * 1000));
    ++t.time_wait;
    ++t.in_use;
  };
  for (int i = 0; i < 90; ++i) add(0.05 + i / 30.0);  // 30/s over the last 3 s
  for (int i = 0; i < 80; ++i) add(3.25 + i / 2.0);   // 2/s before
  Forecast f = forecast(t, no_reuse());
  ASSERT_TRUE(f.rate_10s && f.rate_recent);
  EXPECT_NEAR(*f.rate_recent, 30.0, 0.5);
  EXPECT_LT(*f.rate_10s, 12.0);
  ASSERT_TRUE(f.eta_s);
  // 230 free at 30/s: ~7.7 s (nothing expires that soon); at the 10 s rate it would be ~22 s.
  EXPECT_NEAR(*f.eta_s, 230 / 30.0, 0.5);
}

// bind() cannot take a TIME_WAIT's port, whatever tcp_tw_reuse says: an address pool is forecast
// without reuse.
TEST(Forecast, AnAddressPoolIgnoresTcpTwReuse) {
  TuplePressure t = churned(1000, 40, 11);
  t.kind = PoolKind::kAddress;
  ForecastPolicy reuse;
  reuse.tw_reuse = 1;
  Forecast f = forecast(t, reuse);
  EXPECT_FALSE(f.reuse);
  EXPECT_EQ(f.state, PoolState::kRising);
  EXPECT_NEAR(*f.eta_s, 14.0, 0.3);
  t.kind = PoolKind::kTuple;
  EXPECT_TRUE(forecast(t, reuse).reuse);
}

TEST(Forecast, NoFreePortIsExhaustedNow) {
  Forecast f = forecast(churned(1000, 40, 25), no_reuse());
  EXPECT_EQ(f.state, PoolState::kExhausted);
  EXPECT_EQ(f.free_ports, 0);
  EXPECT_EQ(f.eta_s, 0.0);
  EXPECT_EQ(f.level(), Severity::kCritical);
  EXPECT_EQ(eta_text(f), "now");
}

TEST(Forecast, WithoutTimersNoRateNoEta) {
  TuplePressure t = churned(1000, 0, 0);
  for (int i = 0; i < 600; ++i) t.ages.add(-1);
  t.time_wait = t.in_use = 600;
  Forecast f = forecast(t, no_reuse());
  EXPECT_FALSE(f.rates_measured);
  EXPECT_FALSE(f.rate_10s);
  EXPECT_DOUBLE_EQ(f.rate_60s, 10.0);  // 600 / 60 s, a lower bound
  EXPECT_FALSE(f.eta_s);
  EXPECT_EQ(f.state, PoolState::kOk);
  EXPECT_EQ(f.level(), Severity::kWarning);
}

TEST(Forecast, TwReuseCarriesPortsPerDelay) {
  ForecastPolicy p;
  p.tw_reuse = 1;
  p.reuse_delay_s = 1;
  // Every port in TIME_WAIT, but older than the delay: connect() takes them back.
  Forecast f = forecast(churned(1000, 40, 25), p);
  EXPECT_TRUE(f.reuse);
  EXPECT_DOUBLE_EQ(f.sustainable, 1000.0);
  EXPECT_EQ(f.state, PoolState::kOk);
  EXPECT_EQ(f.free_ports, 960);  // 40 made within the last second
  // Whether the peer's timestamps let reuse take them is not known from this input: a peer
  // without timestamps leaves connect() no port at all, so this is not "ok".
  EXPECT_TRUE(f.reuse_unverified());
  EXPECT_EQ(f.level(), Severity::kWarning);
  // Without timestamps reuse does nothing.
  p.timestamps = false;
  EXPECT_EQ(forecast(churned(1000, 40, 25), p).state, PoolState::kExhausted);
}

// Where the source told each TIME_WAIT's reuse (the bpf source), the free ports with reuse are
// the kernel's answer, not an estimate from the rate: here 100 TIME_WAITs have no timestamps and
// hold their ports, which the rate alone cannot know.
TEST(Forecast, MeasuredReuseReplacesTheEstimate) {
  ForecastPolicy p;
  p.tw_reuse = 1;
  p.reuse_delay_s = 1;
  TuplePressure t = churned(1000, 40, 25);  // 1000 TIME_WAITs, 40 of them under a second old
  t.reuse.not_yet = 40;
  t.reuse.no_timestamps = 100;
  t.reuse.reusable = 860;
  Forecast f = forecast(t, p);
  ASSERT_TRUE(f.free_with_reuse);
  EXPECT_EQ(*f.free_with_reuse, 860);
  EXPECT_EQ(f.free_ports, 860);  // the estimate says 960
  // With reuse off the free ports stay what they are, and free_with_reuse says what it would buy.
  Forecast off = forecast(t, no_reuse());
  EXPECT_EQ(off.free_ports, 0);
  EXPECT_EQ(*off.free_with_reuse, 860);
  // Unknown per socket (the dump, /proc, an import): no claim.
  EXPECT_FALSE(forecast(churned(1000, 40, 25), p).free_with_reuse);
}

TEST(Forecast, LoopbackOnlyReuseAppliesToLoopbackTuples) {
  ForecastPolicy p;
  p.tw_reuse = 2;
  GroupKey remote, loop;
  remote.local.addr = *Address::parse("10.0.0.1");
  remote.remote.addr = *Address::parse("10.0.0.9");
  loop.local.addr = loop.remote.addr = *Address::parse("127.0.0.1");
  EXPECT_FALSE(p.reuse_applies(remote));
  EXPECT_TRUE(p.reuse_applies(loop));
}

TEST(Forecast, PolicyFromTheHostsSettings) {
  HostFacts h;
  h.os = "linux";
  h.sysctls = {{"net.ipv4.tcp_tw_reuse", "1"},
               {"net.ipv4.tcp_timestamps", "1"},
               {"net.ipv4.tcp_tw_reuse_delay", "2000"}};
  ForecastPolicy p = forecast_policy(h);
  EXPECT_EQ(p.tw_reuse, 1);
  EXPECT_DOUBLE_EQ(p.reuse_delay_s, 2.0);
  EXPECT_EQ(p.time_wait_seconds, 60);
  HostFacts w;
  w.os = "windows";
  EXPECT_EQ(forecast_policy(w).time_wait_seconds, 120);
  EXPECT_TRUE(forecast_policy(w).time_wait_assumed);
  EXPECT_FALSE(forecast_policy(w).tw_reuse);
  w.windows_params["TcpTimedWaitDelay"] = 30;
  EXPECT_EQ(forecast_policy(w).time_wait_seconds, 30);
}

TEST(Forecast, TuplesSortSoonestExhaustionFirst) {
  CensusOptions o;
  o.pool = *parse_port_range("40000 40999");
  Census c(o);
  auto add = [&](const char* remote, int n, int64_t timer_ms, int first_port) {
    for (int i = 0; i < n; ++i) {
      Socket s;
      s.state = TcpState::kTimeWait;
      s.local = {*Address::parse("10.0.0.1"), static_cast<uint16_t>(first_port + i)};
      s.remote = {*Address::parse(remote), 80};
      s.timer_ms = timer_ms;
      c.add(s);
    }
  };
  add("10.0.0.8", 500, 20000, 40000);  // more ports in use, all made 40 s ago: not growing
  add("10.0.0.9", 300, 58000, 40500);  // fewer, all made 2 s ago: 30/s
  auto rows = forecast_tuples(c, no_reuse());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].tuple.key.remote.addr.to_string(), "10.0.0.9");
  EXPECT_EQ(rows[0].forecast.state, PoolState::kRising);
  EXPECT_EQ(rows[1].forecast.state, PoolState::kOk);
  EXPECT_EQ(forecast_tuples(c, no_reuse(), 1).size(), 1u);
}

// A tuple 95 % held (critical, not growing) goes before one running out in ~40 s (warning): the
// first row, the one the doctor's finding takes its severity from, is the worst level.
Census critical_and_rising() {
  CensusOptions o;
  o.pool = *parse_port_range("40000 40999");
  Census c(o);
  auto add = [&](const char* remote, int n, int64_t timer_ms) {
    for (int i = 0; i < n; ++i) {
      Socket s;
      s.state = TcpState::kTimeWait;
      s.local = {*Address::parse("10.0.0.1"), static_cast<uint16_t>(40000 + i)};
      s.remote = {*Address::parse(remote), 80};
      s.timer_ms = timer_ms;
      c.add(s);
    }
  };
  add("10.0.0.8", 950, 20000);  // made 40 s ago
  add("10.0.0.9", 200, 55000);  // made 5 s ago: 20/s over 10 s, 1,000 held in ~40 s
  return c;
}

TEST(Forecast, TuplesSortByLevelFirst) {
  const Census c = critical_and_rising();
  auto rows = forecast_tuples(c, no_reuse());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].forecast.state, PoolState::kRising);
  EXPECT_EQ(rows[1].forecast.level(), Severity::kWarning);
  EXPECT_EQ(rows[0].tuple.key.remote.addr.to_string(), "10.0.0.8");
  EXPECT_EQ(rows[0].forecast.level(), Severity::kCritical);
}

// 200 TIME_WAITs made in the last 5 s in a 1,000-port pool would fill it in ~40 s, but with
// tcp_max_tw_buckets at 200 the kernel frees every further close at once (measured: 1,500
// connects at 60/s, none failed): no ETA. A limit above what the pool holds changes nothing.
TEST(Forecast, TcpMaxTwBucketsBelowThePoolStopsTheExhaustion) {
  ForecastPolicy p = no_reuse();
  const TuplePressure t = churned(1000, 40, 5);
  Forecast uncapped = forecast(t, p);
  EXPECT_EQ(uncapped.state, PoolState::kRising);
  EXPECT_FALSE(uncapped.capped_by_max_tw_buckets);
  p.max_tw_buckets = 200;
  Forecast capped = forecast(t, p);
  EXPECT_EQ(capped.state, PoolState::kOk);
  EXPECT_FALSE(capped.eta_s);
  EXPECT_TRUE(capped.capped_by_max_tw_buckets);
  EXPECT_EQ(capped.level(), Severity::kOk);
  p.max_tw_buckets = 1000;
  EXPECT_EQ(forecast(t, p).state, PoolState::kRising);
}

// The census table prints that order, and its title must say so, not "soonest exhaustion first"
// (the rising tuple, the soonest to run out, is second).
TEST(Forecast, TheCensusTableTitleNamesThisOrder) {
  HostFacts facts;
  facts.os = "linux";
  facts.sysctls["net.ipv4.ip_local_port_range"] = "40000 40999";
  facts.sysctls["net.ipv4.tcp_tw_reuse"] = "0";
  const Census c = critical_and_rising();
  CensusReport r;
  r.facts = &facts;
  r.census = &c;
  r.width = 400;  // one line per row
  const std::string out = render_census_table(r);
  EXPECT_EQ(out.find("soonest exhaustion first"), std::string::npos) << out;
  EXPECT_NE(out.find(kTupleOrderText), std::string::npos) << out;
  const size_t critical = out.find("10.0.0.1 -> 10.0.0.8:80"),
               rising = out.find("10.0.0.1 -> 10.0.0.9:80");
  ASSERT_NE(critical, std::string::npos);
  ASSERT_NE(rising, std::string::npos);
  EXPECT_LT(critical, rising) << out;
}

}  // namespace
}  // namespace tw
