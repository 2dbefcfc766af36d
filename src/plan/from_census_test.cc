// SPDX-License-Identifier: Apache-2.0
#include "plan/from_census.h"

#include <gtest/gtest.h>

#include "census/census.h"

namespace tw::plan {
namespace {

// A census of `count` TIME_WAITs toward one destination, one made every 0.5 s over the last
// count / 2 seconds, against a 100-port pool.
Census census_of(const char* local, const char* remote, int count) {
  CensusOptions o;
  o.by = GroupBy::kTuple;
  PortPool pool;
  pool.low = 40000;
  pool.high = 40099;
  o.pool = pool;
  Census c(o);
  for (int i = 0; i < count; ++i) {
    Socket s;
    s.state = TcpState::kTimeWait;
    s.local = *Endpoint::parse(std::string(local) + ":" + std::to_string(40000 + i));
    s.remote = *Endpoint::parse(remote);
    s.timer_ms = 60000 - 500 * i;
    s.mini = true;
    c.add(s);
  }
  return c;
}

HostFacts linux_facts(const char* tw_reuse) {
  HostFacts f;
  f.os = "linux";
  f.source = "snapshot";
  f.sysctls = {{"net.ipv4.ip_local_port_range", "40000 40099"},
               {"net.ipv4.tcp_tw_reuse", tw_reuse},
               {"net.ipv4.tcp_timestamps", "1"},
               {"net.ipv4.tcp_max_tw_buckets", "5000"}};
  return f;
}

TEST(FromCensus, TakesTheBusiestTuplesRateAndTheHostsSettings) {
  Census c = census_of("10.0.0.5", "10.0.0.9:8080", 60);  // 60 in 30 s: 1/s over 60 s
  PlanInput in;
  ASSERT_TRUE(apply_census(c, linux_facts("0"), &in));
  EXPECT_DOUBLE_EQ(in.rate, 1);
  EXPECT_EQ(in.effective_pool().usable(), 100);
  EXPECT_EQ(in.tw_reuse, 0);
  EXPECT_EQ(*in.max_tw_buckets, 5000);
  EXPECT_EQ(in.who_closes, Closer::kClient);
  EXPECT_NE(in.from.find("10.0.0.5 -> 10.0.0.9:8080"), std::string::npos) << in.from;
}

TEST(FromCensus, LoopbackTupleWithTwReuseTwoPlansWithReuse) {
  Census c = census_of("127.0.0.1", "127.0.0.1:8080", 20);
  PlanInput in;
  ASSERT_TRUE(apply_census(c, linux_facts("2"), &in));
  EXPECT_EQ(in.tw_reuse, 1) << "tcp_tw_reuse=2 acts on loopback: the census counts on it";
  EXPECT_NE(in.from.find("loopback"), std::string::npos) << in.from;
}

TEST(FromCensus, NoOutboundTimeWaitTellsNoRate) {
  Census c = census_of("10.0.0.5", "10.0.0.9:8080", 0);
  PlanInput in;
  auto st = apply_census(c, linux_facts("0"), &in);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("--rate"), std::string::npos);
}

}  // namespace
}  // namespace tw::plan
