// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_linger0.h"

#include <gtest/gtest.h>

namespace tw::lab {
namespace {

TEST(Linger0Scenario, AbortLeavesNoTimeWaitAndLosesDataNormalCloseLosesNone) {
  auto m = measure_linger0(3, 1 << 20);
  ASSERT_TRUE(m) << m.error();
  const LingerPhase& a = m->linger0;
  EXPECT_EQ(a.trials, 3);
  EXPECT_EQ(a.client_time_wait, 0);
  EXPECT_GE(a.out_rsts, 3);
  EXPECT_GE(a.trials_losing, 1);
  EXPECT_GT(a.lost(), 0);
  EXPECT_GE(a.econnreset, 1);
  const LingerPhase& n = m->normal;
  EXPECT_EQ(n.trials, 3);
  EXPECT_GT(n.bytes_sent, 0);
  EXPECT_EQ(n.lost(), 0);
  EXPECT_EQ(n.econnreset, 0);
  EXPECT_EQ(n.client_time_wait, 3);
}

}  // namespace
}  // namespace tw::lab
