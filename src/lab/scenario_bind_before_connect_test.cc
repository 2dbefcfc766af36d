// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_bind_before_connect.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tw::lab {
namespace {

// 32 ports, 3 destinations: 96 connections with a pool per destination, 32 with one pool.
BindBeforeConnectSetup small(BindMode m) {
  BindBeforeConnectSetup s;
  s.port_low = 40000;
  s.port_high = 40031;
  s.destinations = 3;
  s.bind = m;
  return s;
}

TEST(BindBeforeConnectScenario, ConnectAloneHasAPoolPerDestination) {
  auto r = measure_bind_before_connect(small(BindMode::kNone));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->stats.first_errno, EADDRNOTAVAIL) << r->stats.first_error;
  EXPECT_EQ(r->stats.before_failure, 96);
  EXPECT_LE(r->distinct_ports, 32);
  EXPECT_GE(r->stats.client_time_wait, 90);
}

TEST(BindBeforeConnectScenario, BindFirstSharesOnePoolAcrossDestinations) {
  auto r = measure_bind_before_connect(small(BindMode::kBindPort));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->stats.first_errno, EADDRINUSE) << r->stats.first_error;
  EXPECT_LE(r->stats.before_failure, 32);
  EXPECT_GE(r->stats.before_failure, 29);
  EXPECT_EQ(r->distinct_ports, r->stats.before_failure);
}

TEST(BindBeforeConnectScenario, BindAddressNoPortRestoresThePoolPerDestination) {
  auto r = measure_bind_before_connect(small(BindMode::kBindNoPort));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->stats.first_errno, EADDRNOTAVAIL) << r->stats.first_error;
  EXPECT_EQ(r->stats.before_failure, 96);
}

}  // namespace
}  // namespace tw::lab
