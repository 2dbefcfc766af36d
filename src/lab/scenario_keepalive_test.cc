// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_keepalive.h"

#include <gtest/gtest.h>

namespace tw::lab {
namespace {

TEST(KeepaliveScenario, PersistentConnectionMakesOneTimeWait) {
  auto k = measure_keepalive(300, 20);
  ASSERT_TRUE(k) << k.error();
  EXPECT_EQ(k->persistent_requests, 300);
  EXPECT_EQ(k->per_request_requests, 300);
  EXPECT_EQ(k->persistent_time_wait, 1);
  EXPECT_EQ(k->per_request_time_wait, 300);
  // Requests per second are reported, not asserted: on a shared 2-CPU runner they follow the load.
}

}  // namespace
}  // namespace tw::lab
