// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/finding_json.h"
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
  ASSERT_EQ(f[0].sysctls.size(), 1u);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_port_range", "32768 60999"));
  // Inside the kernel's default, listeners known: safe for --apply.
  EXPECT_TRUE(f[0].sysctls[0].apply);
  EXPECT_TRUE(
      testing::evidence_has(f[0], "proposed: 32768-60999: 28,232 usable ports instead of 100"));
  EXPECT_EQ(to_json(f[0].data)["proposed"]["usable"], 28232);
}

// The kernel refuses a range that starts below ip_unprivileged_port_start (EINVAL, measured):
// the proposal starts no lower, and it is still the default's own range where it fits inside.
TEST(RuleEphemeralRange, ProposalStartsNoLowerThanTheUnprivilegedPortStart) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40999");
  b.set("net.ipv4.ip_unprivileged_port_start", "40000");
  auto f = rule_ephemeral_range(b.build());
  ASSERT_EQ(f[0].severity, Severity::kWarning);
  ASSERT_EQ(f[0].sysctls.size(), 1u);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_port_range", "40000 60999"));
  EXPECT_TRUE(f[0].sysctls[0].apply);
}

// A proposal's ends differ in parity (the kernel warns otherwise), and it keeps today's ports.
TEST(RuleEphemeralRange, ProposalEndsDifferInParity) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "30001 31001");  // the hull 30001-60999: both odd
  auto f = rule_ephemeral_range(b.build());
  ASSERT_EQ(f[0].sysctls.size(), 1u);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_port_range", "30000 60999"));
  EXPECT_FALSE(f[0].sysctls[0].apply);  // below the default's 32768: a person decides
  InputBuilder c;
  c.set("net.ipv4.ip_local_port_range", "10001 10999");
  c.set("net.ipv4.ip_unprivileged_port_start", "10001");  // no room below: one more on top
  auto g = rule_ephemeral_range(c.build());
  ASSERT_EQ(g[0].sysctls.size(), 1u);
  EXPECT_TRUE(testing::has_sysctl(g[0], "net.ipv4.ip_local_port_range", "10001 61000"));
}

// Widening over a listener reserves it in the same change, agreeing with listener-in-range.
TEST(RuleEphemeralRange, WideningReservesListenersInTheSameChange) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.add(testing::sock(TcpState::kListen, "0.0.0.0:33000", "0.0.0.0:0"));
  b.add(testing::sock(TcpState::kListen, "0.0.0.0:40050", "0.0.0.0:0"));
  auto f = rule_ephemeral_range(b.build());
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_reserved_ports", "33000,40050"));
  for (auto& s : f[0].sysctls) EXPECT_TRUE(s.apply) << s.name;
  auto l = rule_listener_in_range(b.build());
  EXPECT_TRUE(testing::has_sysctl(l[0], "net.ipv4.ip_local_reserved_ports", "33000,40050"));
}

// Without sockets the listeners inside a wider range are unknown: a person decides.
TEST(RuleEphemeralRange, WideningWithoutKnownListenersIsNotApplied) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.with_sockets = false;
  auto f = rule_ephemeral_range(b.build());
  ASSERT_FALSE(f[0].sysctls.empty());
  for (auto& s : f[0].sysctls) EXPECT_FALSE(s.apply) << s.name;
}

// The range 10000-65535 with 10000-50000 reserved has 15,535 usable ports: "32768 60999" would
// leave 10,999. No proposal with fewer usable ports, and none that gives up a port.
TEST(RuleEphemeralRange, NeverProposesFewerUsablePorts) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "10000 65535")
      .set("net.ipv4.ip_local_reserved_ports", "10000-50000");
  auto f = rule_ephemeral_range(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::evidence_has(f[0], "15,535 usable"));
  EXPECT_TRUE(f[0].sysctls.empty());
  EXPECT_TRUE(to_json(f[0].data)["proposed"].is_null());
  // A small range above the default widens to the hull: every port of today's range stays.
  InputBuilder c;
  c.set("net.ipv4.ip_local_port_range", "61000 61999");
  auto g = rule_ephemeral_range(c.build());
  EXPECT_TRUE(testing::has_sysctl(g[0], "net.ipv4.ip_local_port_range", "32768 61999"));
  for (auto& s : g[0].sysctls) EXPECT_FALSE(s.apply);  // beyond the kernel's default
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
