// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;

TEST(RuleSoLinger, AdviceWithCounters) {
  InputBuilder b;
  b.facts.counters["TCPAbortOnData"] = 7;
  auto f = rule_so_linger(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_TRUE(testing::evidence_has(f[0], "TCPAbortOnData = 7"));
  EXPECT_NE(f[0].why.find("RFC 1337"), std::string::npos);
  EXPECT_TRUE(f[0].sysctls.empty());
  b.outgoing(1500, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80");
  EXPECT_EQ(rule_so_linger(b.build())[0].severity, Severity::kInfo);
}

}  // namespace
}  // namespace tw
