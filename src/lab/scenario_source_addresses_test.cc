// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_source_addresses.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tw::lab {
namespace {

TEST(SourceAddressesScenario, ThreeAddressesCarryThreeTimesTheConnections) {
  auto one = measure_source_addresses(1, 40000, 40031);
  ASSERT_TRUE(one) << one.error();
  EXPECT_EQ(one->stats.first_errno, EADDRNOTAVAIL) << one->stats.first_error;
  EXPECT_EQ(one->stats.before_failure, 32);
  auto three = measure_source_addresses(3, 40000, 40031);
  ASSERT_TRUE(three) << three.error();
  EXPECT_EQ(three->stats.first_errno, EADDRNOTAVAIL) << three->stats.first_error;
  EXPECT_EQ(three->stats.before_failure, 96);
  EXPECT_LE(three->stats.client_time_wait, 96);
  EXPECT_GE(three->stats.client_time_wait, 90);
}

}  // namespace
}  // namespace tw::lab
