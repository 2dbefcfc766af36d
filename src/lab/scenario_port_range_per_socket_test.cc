// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_port_range_per_socket.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tw::lab {
namespace {

// Not a skip: on a kernel without IP_LOCAL_PORT_RANGE (before 6.3) these fail, naming what would
// unblock them.
#define REQUIRE_PORT_RANGE_OPTION()                 \
  if (auto missing = port_range_option_missing()) { \
    FAIL() << "blocked, unsupported: " << *missing; \
  }

TEST(PortRangePerSocketScenario, TwoClientsSplitOneAddress) {
  REQUIRE_PORT_RANGE_OPTION();
  auto r = measure_range_split(40000, 40063);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->a.before_failure, 32);
  EXPECT_EQ(r->a.first_errno, EADDRNOTAVAIL) << r->a.first_error;
  EXPECT_EQ(r->a_outside, 0);
  // A's ports are all in TIME_WAIT, and B still has all of its own.
  EXPECT_EQ(r->b.before_failure, 32);
  EXPECT_EQ(r->b_outside, 0);
}

TEST(PortRangePerSocketScenario, ConnectTakesEvenPortsFirstUnlessTheSocketHasItsOwnRange) {
  REQUIRE_PORT_RANGE_OPTION();
  auto global = measure_parity(40000, 41999, false);
  ASSERT_TRUE(global) << global.error();
  EXPECT_EQ(global->stats.before_failure, 2000);
  EXPECT_EQ(global->first_half, 1000);
  EXPECT_GE(global->first_half_low_parity, 990);
  auto own = measure_parity(40000, 41999, true);
  ASSERT_TRUE(own) << own.error();
  EXPECT_EQ(own->stats.before_failure, 2000);
  EXPECT_GT(own->first_half_low_parity, 300);
  EXPECT_LT(own->first_half_low_parity, 700);
}

}  // namespace
}  // namespace tw::lab
