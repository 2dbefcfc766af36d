// SPDX-License-Identifier: Apache-2.0
#include "plan/planner.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tw::plan {
namespace {

PlanInput base(double rate) {
  PlanInput in;
  in.rate = rate;
  return in;
}

PortPool range(uint16_t low, uint16_t high) {
  PortPool p;
  p.low = low;
  p.high = high;
  return p;
}

// The seed arithmetic: "an LB NAT's one source address: ~60,000 ports / 240 s ≈ 300
// connections/s". 240 s is RFC 793's 2 MSL with RFC 1122's MSL of 2 minutes (and Windows 2000's
// TcpTimedWaitDelay); exactly, 60,000 / 240 = 250/s, which the "≈ 300" rounds up.
TEST(Planner, SeedSixtyThousandPortsOverTwoMslIs250PerSecond) {
  PlanInput in = base(300);
  in.platform = Platform::kOther;
  in.pool = range(5001, 65000);
  auto p = make_plan(in);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->time_wait_s, 240);
  EXPECT_EQ(p->pool.usable(), 60000);
  ASSERT_TRUE(p->sustainable_per_tuple);
  EXPECT_DOUBLE_EQ(*p->sustainable_per_tuple, 250);
  // 300/s is over it: the ports run out after 60,000 / 300 = 200 s.
  ASSERT_TRUE(p->exhausted_after_s);
  EXPECT_DOUBLE_EQ(*p->exhausted_after_s, 200);
  EXPECT_DOUBLE_EQ(*p->headroom, 250.0 / 300);
  EXPECT_EQ(*p->months_to_exhaustion, 0);
}

// On Linux TIME_WAIT is 60 s, so the same 60,000 ports carry 1,000/s, and the default range
// 28,232 / 60 s = 470.5/s (FACTS.md "Capacity").
TEST(Planner, LinuxTimeWaitIsSixtySeconds) {
  PlanInput in = base(300);
  in.pool = range(5001, 65000);
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->sustainable_per_tuple, 1000);
  auto d = make_plan(base(300));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pool.usable(), 28232);
  EXPECT_DOUBLE_EQ(*d->sustainable_per_tuple, 28232.0 / 60);
  EXPECT_FALSE(d->exhausted_after_s);
  // At 300/s a tuple holds 300 x 60 = 18,000 TIME_WAITs on the client.
  EXPECT_EQ(d->time_wait_side, Closer::kClient);
  EXPECT_EQ(d->time_wait_count, 18000);
  EXPECT_EQ(d->time_wait_bytes, 18000 * kTimeWaitBytes);
}

// The seed's other sum: 1,000 requests/s x 240 s = 240,000 TIME_WAITs, on the server when it
// closes first (many clients, so every 4-tuple is distinct).
TEST(Planner, SeedThousandPerSecondTimes240IsTwoHundredFortyThousand) {
  PlanInput in = base(1000);
  in.platform = Platform::kOther;
  in.who_closes = Closer::kServer;
  in.source_addrs = 100;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->time_wait_side, Closer::kServer);
  EXPECT_EQ(p->time_wait_count, 240000);
  EXPECT_EQ(p->time_wait_bytes, int64_t{240000} * 256);
  // The server's TIME_WAITs do not hold the clients' ports.
  EXPECT_FALSE(p->sustainable_total);
}

TEST(Planner, ServerTimeWaitIsBoundedByTheDistinctFourTuples) {
  PlanInput in = base(1000);
  in.who_closes = Closer::kServer;
  in.pool = range(40000, 40063);
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->time_wait_count, 64);
}

TEST(Planner, WindowsUsesTcpTimedWaitDelayAndTheDynamicRange) {
  PlanInput in = base(10);
  in.platform = Platform::kWindows;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->time_wait_s, 120);
  EXPECT_EQ(p->pool.usable(), 16384);
  EXPECT_NEAR(*p->sustainable_per_tuple, 16384.0 / 120, 1e-9);
  in.time_wait_s = 30;
  in.tw_reuse = 1;  // a Linux setting: no effect here
  auto q = make_plan(in);
  ASSERT_TRUE(q);
  EXPECT_NEAR(*q->sustainable_per_tuple, 16384.0 / 30, 1e-9);
}

TEST(Planner, ReservedPortsLeaveThePool) {
  PlanInput in = base(10);
  PortPool pool = range(32768, 60999);
  pool.reserved = {{40000, 40999}};
  in.pool = pool;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->sustainable_per_tuple, 27232.0 / 60);
}

TEST(Planner, TwReuseNeedsTimestampsAndTheClientClosing) {
  PlanInput in = base(1000);
  in.tw_reuse = 1;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->limits[0].reuse);
  EXPECT_DOUBLE_EQ(*p->sustainable_per_tuple, 28232.0);  // ports / 1 s reuse delay
  in.reuse_delay_s = 2;
  EXPECT_DOUBLE_EQ(*make_plan(in)->sustainable_per_tuple, 14116.0);
  in.timestamps = false;
  EXPECT_DOUBLE_EQ(*make_plan(in)->sustainable_per_tuple, 28232.0 / 60);
  in.timestamps = true;
  in.tw_reuse = 2;  // loopback only: the planner's destinations are not loopback
  EXPECT_DOUBLE_EQ(*make_plan(in)->sustainable_per_tuple, 28232.0 / 60);
}

TEST(Planner, SourceAddressesAndDestinationsMultiplyTheTotal) {
  PlanInput in = base(100);
  in.source_addrs = 3;
  in.dest_addrs = 2;
  in.dest_ports = 5;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->sustainable_per_tuple, 28232.0 / 60);
  EXPECT_DOUBLE_EQ(*p->sustainable_total, 28232.0 / 60 * 3 * 10);
  EXPECT_DOUBLE_EQ(p->total_rate, 1000);
  EXPECT_DOUBLE_EQ(p->limits[0].rate, 100.0 / 3);
}

TEST(Planner, BindBeforeConnectSharesOnePoolAcrossDestinations) {
  // 150/s toward each of 4 destinations: 600/s on one pool that sustains 470.5/s.
  PlanInput in = base(150);
  in.dest_addrs = 4;
  in.bind_before_connect = true;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->sustainable_total, 28232.0 / 60);
  EXPECT_DOUBLE_EQ(*p->sustainable_per_tuple, 28232.0 / 60 / 4);
  EXPECT_DOUBLE_EQ(p->limits[0].rate, 600);
  ASSERT_TRUE(p->exhausted_after_s);
  EXPECT_DOUBLE_EQ(*p->exhausted_after_s, 28232.0 / 600);
  // Without the bind each destination has its own pool: 150/s each fits.
  in.bind_before_connect = false;
  EXPECT_FALSE(make_plan(in)->exhausted_after_s);
}

TEST(Planner, NatKindsUseTheirDocumentedNumbers) {
  auto total = [](NatKind kind, std::optional<int64_t> ports = std::nullopt) {
    PlanInput in = base(0.1);
    in.nat = kind;
    in.nat_ports = ports;
    auto p = make_plan(in);
    EXPECT_TRUE(p);
    EXPECT_EQ(p->binding, 1u) << nat_name(kind);
    return *p->sustainable_total;
  };
  // Behind a NAT the client's own pool (470/s) is larger than these, except AWS and Azure.
  EXPECT_DOUBLE_EQ(total(NatKind::kGcp), 64.0 / 120);
  EXPECT_DOUBLE_EQ(total(NatKind::kGcp, 1024), 1024.0 / 120);
  PlanInput in = base(100);
  in.nat = NatKind::kAws;
  auto aws = make_plan(in);
  ASSERT_TRUE(aws);
  EXPECT_DOUBLE_EQ(*aws->limits[1].sustainable, 55000.0 / 60);
  EXPECT_EQ(aws->binding, 0u);  // the client's 28,232 ports bind first
  in.nat = NatKind::kAzure;
  in.source_addrs = 4;  // four clients behind one public IP
  auto az = make_plan(in);
  ASSERT_TRUE(az);
  EXPECT_DOUBLE_EQ(*az->limits[1].sustainable, 50000.0 / 60);
  EXPECT_EQ(az->binding, 1u);
  EXPECT_DOUBLE_EQ(*az->sustainable_total, 50000.0 / 60);
  in.nat_addrs = 2;
  EXPECT_DOUBLE_EQ(*make_plan(in)->sustainable_total, 2 * 50000.0 / 60);
}

TEST(Planner, LinuxSnatNeverRunsOutAndCostsDroppedSynsNotFailures) {
  PlanInput in = base(128);
  in.nat = NatKind::kLinuxSnat;
  in.nat_ports = 64;
  in.who_closes = Closer::kServer;
  in.timestamps = false;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->sustainable_total);
  EXPECT_FALSE(p->snat);  // without timestamps SYNs into TIME_WAIT pass on sequence numbers
  in.timestamps = true;
  auto q = make_plan(in);
  ASSERT_TRUE(q);
  // The SNAT evicts closed entries: nothing runs out, but half the first SYNs are dropped.
  EXPECT_FALSE(q->exhausted_after_s);
  ASSERT_TRUE(q->snat);
  EXPECT_NEAR(q->snat->into_time_wait, 1, 1e-6);
  EXPECT_NEAR(q->snat->dropped, 0.5, 1e-6);
  EXPECT_EQ(q->snat->failed, 0);
  EXPECT_NEAR(q->snat->delayed, 0.5 * kDelayedShareOfDropped, 1e-6);
  // The seed's case: 100 ports at 4/s: 1 - e^-2.4 of the connections meet a TIME_WAIT.
  in.rate = 4;
  in.nat_ports = 100;
  auto seed = make_plan(in);
  ASSERT_TRUE(seed && seed->snat);
  EXPECT_NEAR(seed->snat->dropped, (1 - std::exp(-2.4)) / 2, 1e-9);
  // Slower than conntrack frees ports (100 / 120 s): no TIME_WAIT is met.
  in.rate = 0.5;
  EXPECT_EQ(make_plan(in)->snat->dropped, 0);
  // tcp_rfc1337=1 on the server: the TIME_WAIT survives the client's RST, the retries wait.
  in.rate = 8;
  in.rfc1337 = true;
  auto strict = make_plan(in);
  EXPECT_GT(strict->snat->delayed, 0.45);
  EXPECT_EQ(strict->snat->delayed, strict->snat->dropped);
  // The client closing first keeps the backend free of TIME_WAIT: no drops to predict.
  in.who_closes = Closer::kClient;
  EXPECT_FALSE(make_plan(in)->snat);
}

TEST(Planner, MonthsToExhaustionAtGrowth) {
  PlanInput in = base(28232.0 / 60 / 2);  // headroom 2x
  in.growth_percent = 10;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_NEAR(*p->headroom, 2, 1e-12);
  EXPECT_NEAR(*p->months_to_exhaustion, std::log(2) / std::log(1.1), 1e-9);
  in.growth_percent = 0;
  EXPECT_FALSE(make_plan(in)->months_to_exhaustion);
}

TEST(Planner, MaxTwBucketsCapsTheCount) {
  PlanInput in = base(1000);
  in.who_closes = Closer::kServer;
  in.source_addrs = 10;
  in.max_tw_buckets = 5000;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->over_max_tw_buckets);
  EXPECT_EQ(p->time_wait_count, 5000);
  EXPECT_FALSE(p->notes.empty());
}

TEST(Planner, BadInputIsRefused) {
  EXPECT_FALSE(make_plan(base(0)));
  EXPECT_FALSE(make_plan(base(NAN)));
  PlanInput in = base(1);
  in.time_wait_s = 0.5;
  EXPECT_FALSE(make_plan(in));
  in = base(1);
  in.source_addrs = 0;
  EXPECT_FALSE(make_plan(in));
}

}  // namespace
}  // namespace tw::plan
