// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_reuseaddr.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tw::lab {
namespace {

TEST(ReuseaddrScenario, RebindNeedsSoReuseaddr) {
  auto m = measure_reuseaddr(2);
  ASSERT_TRUE(m) << m.error();
  ASSERT_EQ(m->size(), 3u);
  for (const RebindOutcome& o : *m) {
    EXPECT_GE(o.left_count, 2) << o.left;
    EXPECT_EQ(o.without_errno, EADDRINUSE) << o.left;
  }
  EXPECT_EQ((*m)[0].with_errno, 0) << "established left, both with SO_REUSEADDR";
  EXPECT_EQ((*m)[1].with_errno, 0) << "TIME_WAIT left, both with SO_REUSEADDR";
  EXPECT_EQ((*m)[2].with_errno, EADDRINUSE) << "TIME_WAIT of a server without SO_REUSEADDR";
}

}  // namespace
}  // namespace tw::lab
