#include "lab/scenario_nat_lb.h"

#include <gtest/gtest.h>

namespace tw::lab {
namespace {

// A 64-port SNAT pool and 2 s steps: the naive limit of a step is 64 / 2 s = 32/s per address.
NatLbSetup small(int addresses, bool timestamps, std::vector<double> rates) {
  NatLbSetup s;
  s.addresses = addresses;
  s.client_timestamps = timestamps;
  s.port_low = 40000;
  s.port_high = 40063;
  s.step_seconds = 2;
  s.rates = std::move(rates);
  return s;
}

TEST(NatLbScenario, OneAddressFailsNearThePoolAndSeveralMoveItUp) {
  auto one = measure_nat_lb(small(1, true, {8, 16, 32, 64, 128}));
  ASSERT_TRUE(one) << one.error();
  const double f1 = one->first_failing_rate();
  EXPECT_GT(f1, 0) << "no failures up to 128/s with a 64-port pool";
  EXPECT_GE(f1, one->naive_step_limit() / 2);
  EXPECT_LE(f1, one->naive_step_limit() * 2);
  // Failures are SYNs refused by the backend's TIME_WAITs: they show as SYN retransmissions.
  EXPECT_GT(one->steps.back().syn_retransmits, 0);
  EXPECT_GT(one->steps.back().backend_time_wait, 0);
  EXPECT_GT(one->steps.back().conntrack, 0);

  auto eight = measure_nat_lb(small(8, true, {32, 64, 128, 256, 512}));
  ASSERT_TRUE(eight) << eight.error();
  const double f8 = eight->first_failing_rate();
  EXPECT_TRUE(f8 == 0 || f8 >= 2 * f1) << "1 address fails at " << f1 << "/s, 8 at " << f8;
  EXPECT_TRUE(f8 == 0 || f8 >= eight->naive_step_limit() / 2) << f8;
  EXPECT_GE(eight->highest_clean_rate(), 2 * one->highest_clean_rate());
}

TEST(NatLbScenario, WithoutTimestampsTimeWaitTuplesAreReusedWithoutFailures) {
  // 256 connections in 2 s through a 64-port pool: four times what the naive model allows.
  auto run = measure_nat_lb(small(1, false, {128}));
  ASSERT_TRUE(run) << run.error();
  ASSERT_EQ(run->steps.size(), 1u);
  const NatLbStep& st = run->steps[0];
  EXPECT_EQ(st.stats.ok, 256);
  EXPECT_EQ(st.failures(), 0) << "SYN retransmissions " << st.syn_retransmits;
  EXPECT_LE(st.backend_time_wait, 64);
}

}  // namespace
}  // namespace tw::lab
