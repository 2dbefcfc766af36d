// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_fin_timeout.h"

#include <gtest/gtest.h>

namespace tw::lab {
namespace {

TEST(FinTimeoutScenario, ShortFinTimeoutShortensOnlyTheOrphanedFinWait2) {
  auto r = measure_fin_timeout(3, true);
  ASSERT_TRUE(r) << r.error();
  EXPECT_GT(r->time_wait_left_s, 58);
  EXPECT_LE(r->time_wait_left_s, 60);
  EXPECT_GT(r->fin_wait2_left_s, 1);
  EXPECT_LE(r->fin_wait2_left_s, 3);
  // Gone after about 3 s (polled every 0.2 s; generous on a loaded machine), TIME_WAIT still there.
  EXPECT_GE(r->fin_wait2_gone_after_s, 1);
  EXPECT_LE(r->fin_wait2_gone_after_s, 6);
  EXPECT_TRUE(r->time_wait_still_there);
}

TEST(FinTimeoutScenario, DefaultFinTimeoutKeepsFinWait2SixtySeconds) {
  auto r = measure_fin_timeout(60, false);
  ASSERT_TRUE(r) << r.error();
  EXPECT_GT(r->fin_wait2_left_s, 58);
  EXPECT_GT(r->time_wait_left_s, 58);
}

}  // namespace
}  // namespace tw::lab
