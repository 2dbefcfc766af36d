// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_churn.h"

#include <gtest/gtest.h>

namespace tw::lab {
namespace {

// 64 ports at 40 connections/s: without reuse the ports run out after 1.6 s; with tw_reuse=1 a
// port is needed again after 1.6 s, later than tcp_tw_reuse_delay (1 s), so reuse keeps up.
ChurnSetup small(int reuse, bool ts) {
  ChurnSetup s;
  s.port_low = 40000;
  s.port_high = 40063;
  s.rate = 40;
  s.seconds = 2.6;
  s.tw_reuse = reuse;
  s.timestamps = ts;
  return s;
}

TEST(ChurnScenario, TinyRangeWithoutReuseRunsOutOfPorts) {
  auto v = measure_churn(small(0, true));
  ASSERT_TRUE(v) << v.error();
  EXPECT_GT(v->stats.eaddrnotavail, 0);
  EXPECT_LE(v->stats.started_before_failure, 64);
  EXPECT_GE(v->stats.started_before_failure, 60);
  EXPECT_EQ(v->tw_recycled, 0);
  EXPECT_GE(v->client_time_wait, 60);
  EXPECT_EQ(v->server_time_wait, 0);
}

TEST(ChurnScenario, TwReuseWithTimestampsKeepsUp) {
  auto v = measure_churn(small(1, true));
  ASSERT_TRUE(v) << v.error();
  ASSERT_GE(v->reuse_delay_ms, 0);
  EXPECT_EQ(v->stats.eaddrnotavail, 0) << "first after " << v->stats.connects_before_failure;
  EXPECT_GT(v->stats.connects, 90);
  EXPECT_GT(v->tw_recycled, 0);
}

TEST(ChurnScenario, TwReuseWithoutTimestampsDoesNothing) {
  auto v = measure_churn(small(1, false));
  ASSERT_TRUE(v) << v.error();
  EXPECT_GT(v->stats.eaddrnotavail, 0);
  EXPECT_EQ(v->tw_recycled, 0);
}

}  // namespace
}  // namespace tw::lab
