// SPDX-License-Identifier: Apache-2.0
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

// The first step at which the backend refused SYNs by PAWS: the failure of a shared SNAT pool
// (a reused port's SYN carries an older timestamp). Unlike "any failure", scheduling noise on a
// busy machine (a late SYN-ACK counted as a retransmission) cannot produce it.
double first_paws_rate(const NatLbRun& run) {
  for (const NatLbStep& st : run.steps)
    if (st.backend_paws > 0) return st.rate;
  return 0;
}

TEST(NatLbScenario, OneAddressFailsNearThePoolAndSeveralMoveItUp) {
  auto one = measure_nat_lb(small(1, true, {8, 16, 32, 64, 128}));
  ASSERT_TRUE(one) << one.error();
  const double f1 = one->first_failing_rate();
  const double p1 = first_paws_rate(*one);
  EXPECT_GT(f1, 0) << "no failures up to 128/s with a 64-port pool";
  EXPECT_GT(p1, 0) << "no PAWS refusals on the backend up to 128/s";
  EXPECT_GE(p1, one->naive_step_limit() / 2);
  EXPECT_LE(p1, one->naive_step_limit() * 2);
  // Failures are SYNs refused by the backend's TIME_WAITs: they show as SYN retransmissions.
  EXPECT_GT(one->steps.back().syn_retransmits, 0);
  EXPECT_GT(one->steps.back().backend_time_wait, 0);
  EXPECT_GT(one->steps.back().conntrack, 0);

  NatLbSetup eight_setup = small(8, true, {32, 64, 128, 256, 512});
  eight_setup.stop_after_failure = false;  // every step, so a noisy step hides nothing
  auto eight = measure_nat_lb(eight_setup);
  ASSERT_TRUE(eight) << eight.error();
  ASSERT_EQ(eight->steps.size(), 5u);
  const double p8 = first_paws_rate(*eight);
  EXPECT_TRUE(p8 == 0 || p8 >= 2 * p1)
      << "PAWS refusals: 1 address from " << p1 << "/s, 8 from " << p8 << "/s";
  EXPECT_TRUE(p8 == 0 || p8 >= eight->naive_step_limit() / 2) << p8;
  // At the rate where one address was refused, eight addresses carry every connection.
  for (const NatLbStep& st : eight->steps)
    if (st.rate <= p1) {
      EXPECT_EQ(st.backend_paws, 0) << st.rate << "/s";
      EXPECT_EQ(st.stats.ok, static_cast<int64_t>(st.rate * eight_setup.step_seconds))
          << st.rate << "/s";
    }
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
