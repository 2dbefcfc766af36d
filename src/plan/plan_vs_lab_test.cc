// SPDX-License-Identifier: Apache-2.0
// The planner checked against the kernel: the lab's churn (tw_reuse 0 and 1) and nat-lb
// scenarios run at small sizes in private namespaces, and the failure points the planner
// predicts for the same settings must match the measured ones within the tolerances below.
// Counts are compared tightly, times loosely: the machine is shared and pacing can slip.
#include <gtest/gtest.h>

#include "lab/scenario_churn.h"
#include "lab/scenario_nat_lb.h"
#include "plan/planner.h"

namespace tw::plan {
namespace {

// Connections before the first failure: within 10 % below the predicted count (connections in
// flight when the pool ran out are not counted), never above it.
constexpr double kCountTolerance = 0.10;
// Time of the first failure: from 20 % early to 1 s late.
constexpr double kEarly = 0.20, kLateSeconds = 1.0;

PlanInput churn_input(const lab::ChurnVariant& v) {
  PlanInput in;
  in.rate = v.setup.rate;
  PortPool pool;
  pool.low = static_cast<uint16_t>(v.setup.port_low);
  pool.high = static_cast<uint16_t>(v.setup.port_high);
  in.pool = pool;
  in.tw_reuse = v.setup.tw_reuse;
  in.timestamps = v.setup.timestamps;
  in.reuse_delay_s = v.reuse_delay_ms / 1000.0;  // as the namespace has it
  return in;
}

lab::ChurnSetup churn(int reuse, double rate, double seconds) {
  lab::ChurnSetup s;
  s.port_low = 40000;
  s.port_high = 40063;
  s.rate = rate;
  s.seconds = seconds;
  s.tw_reuse = reuse;
  return s;
}

TEST(PlanVsLab, ChurnWithoutReuseFailsWhereThePlannerSays) {
  auto v = lab::measure_churn(churn(0, 40, 2.6));
  ASSERT_TRUE(v) << v.error();
  auto p = make_plan(churn_input(*v));
  ASSERT_TRUE(p) << p.error();
  // 64 ports at 40/s, each held 60 s: 1.07/s sustainable, exhausted after 64 / 40 = 1.6 s.
  ASSERT_TRUE(p->exhausted_after_s);
  const double predicted_s = *p->exhausted_after_s;
  const double predicted_connections = predicted_s * v->setup.rate;
  EXPECT_DOUBLE_EQ(predicted_connections, 64);
  ASSERT_GE(v->stats.first_eaddrnotavail_s, 0) << "no EADDRNOTAVAIL where the planner expects one";
  EXPECT_LE(v->stats.started_before_failure, predicted_connections);
  EXPECT_GE(v->stats.started_before_failure, predicted_connections * (1 - kCountTolerance));
  EXPECT_GE(v->stats.first_eaddrnotavail_s, predicted_s * (1 - kEarly));
  EXPECT_LE(v->stats.first_eaddrnotavail_s, predicted_s + kLateSeconds);
  // Steady state: every port in TIME_WAIT on the client, none on the server.
  EXPECT_EQ(p->time_wait_count, 64);
  EXPECT_GE(v->client_time_wait, p->time_wait_count * (1 - kCountTolerance));
  EXPECT_LE(v->client_time_wait, p->time_wait_count);
  EXPECT_EQ(v->server_time_wait, 0);
}

TEST(PlanVsLab, TwReuseHoldsBelowPortsPerDelayAndFailsAbove) {
  // Below ports / delay (64/s with the 1 s default): the planner sees headroom, the kernel
  // refuses nothing.
  auto below = lab::measure_churn(churn(1, 40, 2.6));
  ASSERT_TRUE(below) << below.error();
  auto pb = make_plan(churn_input(*below));
  ASSERT_TRUE(pb);
  ASSERT_TRUE(pb->headroom);
  EXPECT_GT(*pb->headroom, 1);
  EXPECT_FALSE(pb->exhausted_after_s);
  EXPECT_EQ(below->stats.eaddrnotavail, 0);
  EXPECT_GT(below->tw_recycled, 0);

  // Above it (200/s): exhausted after 64 / 200 = 0.32 s, then at most 64/s.
  auto above = lab::measure_churn(churn(1, 200, 3));
  ASSERT_TRUE(above) << above.error();
  auto pa = make_plan(churn_input(*above));
  ASSERT_TRUE(pa);
  ASSERT_TRUE(pa->exhausted_after_s);
  const double sustainable = *pa->sustainable_per_tuple;
  EXPECT_DOUBLE_EQ(sustainable, 64000.0 / above->reuse_delay_ms);
  ASSERT_GE(above->stats.first_eaddrnotavail_s, 0);
  const double predicted_connections = *pa->exhausted_after_s * above->setup.rate;
  EXPECT_LE(above->stats.started_before_failure, predicted_connections);
  EXPECT_GE(above->stats.started_before_failure, predicted_connections * (1 - kCountTolerance));
  const double window = above->stats.seconds - above->stats.first_eaddrnotavail_s;
  ASSERT_GT(window, 0);
  const double after = (above->stats.started - above->stats.started_before_failure) / window;
  // The measured rate after exhaustion stays under the sustainable rate (+10 %) and reaches at
  // least a third of it (reuse starts only once the first TIME_WAITs are 1 s old).
  EXPECT_LE(after, sustainable * 1.1);
  EXPECT_GE(after, sustainable / 3);
}

// The nat-lb steps: `rates` for `step` seconds each through a 64-port SNAT, the backend closing
// first. The planner's failure point for a step is the first rate whose pool runs out within it.
double predicted_first_failure(const lab::NatLbSetup& s, bool timestamps) {
  for (double rate : s.rates) {
    PlanInput in;
    in.rate = rate;
    in.who_closes = Closer::kServer;
    in.nat = NatKind::kLinuxSnat;
    in.nat_addrs = s.addresses;
    in.nat_ports = s.port_high - s.port_low + 1;
    in.timestamps = timestamps;
    auto p = make_plan(in);
    EXPECT_TRUE(p) << p.error();
    if (p && p->exhausted_after_s && *p->exhausted_after_s < s.step_seconds) return rate;
  }
  return 0;
}

// The first step the backend refused SYNs by PAWS: the shared pool's failure, which scheduling
// noise cannot fake (a late SYN-ACK counts as a retransmission, not as a PAWS reject).
double measured_first_failure(const lab::NatLbRun& run) {
  for (const lab::NatLbStep& st : run.steps)
    if (st.backend_paws > 0) return st.rate;
  return 0;
}

TEST(PlanVsLab, NatLbFailurePointWithinOneRateStep) {
  lab::NatLbSetup s;
  s.port_low = 40000;
  s.port_high = 40063;
  s.step_seconds = 2;
  s.rates = {8, 16, 32, 64, 128};
  s.stop_after_failure = false;  // every step: a noisy early step (a late SYN-ACK) hides nothing
  const double predicted = predicted_first_failure(s, true);
  EXPECT_EQ(predicted, 64);  // 64 ports / 2 s = 32/s: the first step above it
  auto run = lab::measure_nat_lb(s);
  ASSERT_TRUE(run) << run.error();
  const double measured = measured_first_failure(*run);
  ASSERT_GT(measured, 0) << "no PAWS refusal up to 128/s";
  // Tolerance: one rate step (a factor of 2) either way; the kernel refuses a reused tuple's SYN
  // only about half the time, so the first refusal can come one step early or late.
  EXPECT_GE(measured, predicted / 2);
  EXPECT_LE(measured, predicted * 2);
  // The backend holds at most one TIME_WAIT per (NAT address, port), as the planner counts.
  PlanInput in;
  in.rate = run->steps.back().rate;
  in.who_closes = Closer::kServer;
  in.nat = NatKind::kLinuxSnat;
  in.nat_ports = 64;
  auto p = make_plan(in);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->time_wait_count, 64);
  EXPECT_LE(run->steps.back().backend_time_wait, p->time_wait_count);
  EXPECT_GE(run->steps.back().backend_time_wait, p->time_wait_count * (1 - kCountTolerance));
}

TEST(PlanVsLab, NatLbWithoutTimestampsHasNoTimeWaitLimit) {
  lab::NatLbSetup s;
  s.client_timestamps = false;
  s.rates = {128};
  EXPECT_EQ(predicted_first_failure(s, false), 0);
  auto run = lab::measure_nat_lb(s);
  ASSERT_TRUE(run) << run.error();
  ASSERT_EQ(run->steps.size(), 1u);
  EXPECT_EQ(run->steps[0].failures(), 0);
  EXPECT_EQ(run->steps[0].stats.ok, 256);
}

}  // namespace
}  // namespace tw::plan
