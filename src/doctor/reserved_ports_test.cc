// SPDX-License-Identifier: Apache-2.0
#include "doctor/reserved_ports.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(ReservedPorts, MergesAndCompacts) {
  EXPECT_EQ(reserved_ports_with("", {40000}), "40000");
  EXPECT_EQ(reserved_ports_with("8080,9000-9010", {9011, 40000, 8080}), "8080,9000-9011,40000");
  EXPECT_EQ(reserved_ports_with("100-200", {150}), "100-200");
}

}  // namespace
}  // namespace tw
