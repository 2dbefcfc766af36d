// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_who_closes.h"

#include <gtest/gtest.h>

namespace tw::lab {
namespace {

TEST(WhoClosesScenario, TheActiveCloserHoldsTimeWait) {
  auto w = measure_who_closes(20);
  ASSERT_TRUE(w) << w.error();
  EXPECT_EQ(w->client_first_client_tw, 20);
  EXPECT_EQ(w->client_first_server_tw, 0);
  EXPECT_EQ(w->server_first_server_tw, 20);
  EXPECT_EQ(w->server_first_client_tw, 0);
}

}  // namespace
}  // namespace tw::lab
