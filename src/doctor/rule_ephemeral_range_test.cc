#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;

TEST(RuleEphemeralRange, DefaultIsOkWithRate) {
  InputBuilder b;
  auto f = rule_ephemeral_range(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_TRUE(testing::evidence_has(f[0], "28,232 usable"));
  EXPECT_TRUE(testing::evidence_has(f[0], "~471/s"));  // 28,232 / 60 (FACTS: ~470/s)
}

TEST(RuleEphemeralRange, SmallRangeWarnsAndRestoresDefault) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  auto f = rule_ephemeral_range(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_port_range", "32768 60999"));
}

TEST(RuleEphemeralRange, ReservedPortsCountAndParity) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "20000 60000")
      .set("net.ipv4.ip_local_reserved_ports", "30000-30999");
  auto f = rule_ephemeral_range(b.build());
  EXPECT_TRUE(testing::evidence_has(f[0], "40,001 ports, 39,001 usable"));
  EXPECT_TRUE(testing::evidence_has(f[0], "same parity"));
  EXPECT_EQ(f[0].severity, Severity::kInfo);
}

TEST(RuleEphemeralRange, MissingIsNotChecked) {
  InputBuilder b;
  b.facts.sysctls.erase("net.ipv4.ip_local_port_range");
  auto f = rule_ephemeral_range(b.build());
  EXPECT_FALSE(f[0].checked);
  EXPECT_EQ(f[0].title, "not checked: no net.ipv4.ip_local_port_range");
}

}  // namespace
}  // namespace tw
