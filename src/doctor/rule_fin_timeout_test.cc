// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;

TEST(RuleFinTimeout, ExplainsAndNeverRecommends) {
  InputBuilder b;
  auto f = rule_fin_timeout(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_NE(f[0].why.find("fixed at compile time"), std::string::npos);
  b.set("net.ipv4.tcp_fin_timeout", "15");
  f = rule_fin_timeout(b.build());
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_TRUE(f[0].sysctls.empty());
  EXPECT_NE(f[0].title.find("not TIME_WAIT"), std::string::npos);
}

}  // namespace
}  // namespace tw
