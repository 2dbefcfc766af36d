// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;

TEST(RuleTimestamps, OnIsOk) {
  InputBuilder b;
  auto f = rule_timestamps(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  b.set("net.ipv4.tcp_timestamps", "2");
  EXPECT_EQ(rule_timestamps(b.build())[0].severity, Severity::kOk);
}

TEST(RuleTimestamps, OffWarnsWithFix) {
  InputBuilder b;
  b.set("net.ipv4.tcp_timestamps", "0");
  auto f = rule_timestamps(b.build());
  EXPECT_EQ(f[0].id, "tcp-timestamps");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_timestamps", "1"));
  EXPECT_TRUE(testing::evidence_has(f[0], "net.ipv4.tcp_timestamps = 0"));
}

}  // namespace
}  // namespace tw
