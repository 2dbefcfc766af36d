// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;

TEST(RuleConntrack, NotLoadedIsNotChecked) {
  InputBuilder b;
  auto f = rule_conntrack(b.build());
  EXPECT_FALSE(f[0].checked);
  EXPECT_NE(f[0].title.find("not checked: no conntrack"), std::string::npos);
}

TEST(RuleConntrack, Levels) {
  InputBuilder b;
  b.set("net.netfilter.nf_conntrack_max", "1000").set("net.netfilter.nf_conntrack_count", "100");
  b.set("net.netfilter.nf_conntrack_tcp_timeout_time_wait", "120");
  auto f = rule_conntrack(b.build());
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_TRUE(testing::evidence_has(f[0], "nf_conntrack_tcp_timeout_time_wait = 120 s"));
  b.set("net.netfilter.nf_conntrack_count", "800");
  EXPECT_EQ(rule_conntrack(b.build())[0].severity, Severity::kWarning);
  b.set("net.netfilter.nf_conntrack_count", "950");
  f = rule_conntrack(b.build());
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.netfilter.nf_conntrack_max", "2000"));
}

}  // namespace
}  // namespace tw
