// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_nat_lb.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

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

// Whether the backend refused SYNs by PAWS in a step: the failure of a shared SNAT pool (a reused
// port's SYN carries an older timestamp), about (connections - pool) / 2 of them. The counters
// also take a segment of a live connection that arrived after a newer one (veth queues each packet
// on the sending CPU, so a client thread that migrates can reorder two): CI saw 2 such in 128
// connections through 8 addresses. A few refusals are that noise, not a reused pool.
bool paws_refused(const NatLbStep& st) {
  return st.backend_paws >= std::max<int64_t>(4, st.stats.attempted / 20);
}

// The first step at which the pool failed. Unlike "any failure", a late SYN-ACK counted as a
// retransmission on a busy machine cannot produce it.
double first_paws_rate(const NatLbRun& run) {
  for (const NatLbStep& st : run.steps)
    if (paws_refused(st)) return st.rate;
  return 0;
}

// Each step of a run, for a failure message.
std::string steps_text(const NatLbRun& run) {
  std::string out;
  for (const NatLbStep& st : run.steps)
    out += fmt::format("\n  {:g}/s: {}/{} ok, {} SYN retransmissions, PAWS {} (TIME_WAIT {})",
                       st.rate, st.stats.ok, st.stats.attempted, st.syn_retransmits,
                       st.backend_paws, st.backend_paws_timewait);
  return out;
}

TEST(NatLbScenario, OneAddressFailsNearThePoolAndSeveralMoveItUp) {
  // Every step: on a loaded machine a late SYN-ACK counts as a failure in a low step, and stopping
  // there would never reach the pool's limit.
  NatLbSetup one_setup = small(1, true, {8, 16, 32, 64, 128});
  one_setup.stop_after_failure = false;
  auto one = measure_nat_lb(one_setup);
  ASSERT_TRUE(one) << one.error();
  const double f1 = one->first_failing_rate();
  const double p1 = first_paws_rate(*one);
  EXPECT_GT(f1, 0) << "no failures up to 128/s with a 64-port pool" << steps_text(*one);
  EXPECT_GT(p1, 0) << "no PAWS refusals on the backend up to 128/s" << steps_text(*one);
  EXPECT_GE(p1, one->naive_step_limit() / 2) << steps_text(*one);
  EXPECT_LE(p1, one->naive_step_limit() * 2) << steps_text(*one);
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
      << "PAWS refusals: 1 address from " << p1 << "/s, 8 from " << p8 << "/s"
      << steps_text(*eight);
  EXPECT_TRUE(p8 == 0 || p8 >= eight->naive_step_limit() / 2) << p8 << steps_text(*eight);
  // At the rate where one address was refused, eight addresses carry every connection.
  for (const NatLbStep& st : eight->steps)
    if (st.rate <= p1) {
      EXPECT_FALSE(paws_refused(st)) << st.rate << "/s: " << st.backend_paws;
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

namespace tw::lab {
namespace {

// The balancer: 4 client addresses -> DNAT + SNAT to 64 ports -> a backend closing
// first, 16/s for 8 s from an empty SNAT: the 64 connections past the pool reuse 4-tuples in the
// backend's TIME_WAIT and PAWS drops about half their SYNs. With tcp_rfc1337=0 the client's RST
// ends the TIME_WAIT and the SYN is resent: nothing fails. With 1 the TIME_WAIT survives and the
// retries are dropped too: connections fail.
TEST(NatLbScenario, SeveralClientsBehindOneSnatAddressAreResentNotFailed) {
  NatLbSetup s = small(1, true, {16});
  s.clients = 4;
  s.dnat = true;
  s.step_seconds = 8;
  s.connect_timeout_ms = 8000;
  auto run = measure_nat_lb(s);
  ASSERT_TRUE(run) << run.error();
  ASSERT_EQ(run->steps.size(), 1u);
  const NatLbStep& st = run->steps[0];
  EXPECT_EQ(st.stats.attempted, 128);
  EXPECT_EQ(st.stats.failures(), 0) << st.stats.first_error;
  EXPECT_GE(st.backend_paws_timewait, 16);  // (128 - 64) / 2 = 32 expected
  EXPECT_LE(st.backend_paws_timewait, 50);
  EXPECT_GE(st.syn_retransmits, st.backend_paws_timewait / 2);
  ASSERT_FALSE(st.backend_time_wait_by_peer.empty());
  EXPECT_EQ(st.backend_time_wait_by_peer[0].peer, "10.77.2.11");
  EXPECT_EQ(st.backend_time_wait_by_peer.size(), 1u);  // the backend sees only the SNAT address

  s.backend_rfc1337 = true;
  auto strict = measure_nat_lb(s);
  ASSERT_TRUE(strict) << strict.error();
  const NatLbStep& f = strict->steps.at(0);
  // The TIME_WAIT outlives the RST: the dropped SYNs' retries are dropped too and wait seconds.
  const int64_t late = f.delayed() + f.stats.timed_out, late0 = st.delayed() + st.stats.timed_out;
  EXPECT_GE(late, 12) << "tcp_rfc1337=1: " << f.delayed() << " delayed, " << f.stats.timed_out
                      << " timed out";
  EXPECT_GT(late, 2 * late0);
  EXPECT_GT(f.backend_paws_timewait, st.backend_paws_timewait);
}

}  // namespace
}  // namespace tw::lab
