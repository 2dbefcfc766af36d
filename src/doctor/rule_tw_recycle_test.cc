// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;

TEST(RuleTwRecycle, AbsentSaysObsolete) {
  InputBuilder b;
  auto f = rule_tw_recycle(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "tcp-tw-recycle");
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_NE(f[0].why.find("obsolete"), std::string::npos);
  EXPECT_TRUE(f[0].sysctls.empty());
}

TEST(RuleTwRecycle, OnIsCriticalAndFixIsZero) {
  InputBuilder b;
  b.set("net.ipv4.tcp_tw_recycle", "1");
  auto f = rule_tw_recycle(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_tw_recycle", "0"));
  EXPECT_NE(f[0].why.find("NAT"), std::string::npos);
}

TEST(RuleTwRecycle, OffOnOldKernelIsOk) {
  InputBuilder b;
  b.set("net.ipv4.tcp_tw_recycle", "0");
  EXPECT_EQ(rule_tw_recycle(b.build())[0].severity, Severity::kOk);
}

TEST(RuleTwRecycle, NoSysctlsIsNotChecked) {
  InputBuilder b;
  b.facts.sysctls.clear();
  auto f = rule_tw_recycle(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].checked);
  EXPECT_EQ(f[0].title, "not checked: no sysctls");
}

TEST(RuleTwRecycle, NotForWindows) {
  InputBuilder b;
  b.facts.os = "windows";
  EXPECT_TRUE(rule_tw_recycle(b.build()).empty());
}

}  // namespace
}  // namespace tw
