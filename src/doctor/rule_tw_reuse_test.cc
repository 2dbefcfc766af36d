// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::with_id;

TEST(RuleTwReuse, DefaultWithoutPressureIsOk) {
  InputBuilder b;
  b.outgoing(100, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80");
  auto all = rule_tw_reuse(b.build());
  auto f = with_id(all, "tcp-tw-reuse");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_TRUE(f[0].sysctls.empty());
  ASSERT_EQ(with_id(all, "tcp-tw-reuse-delay").size(), 1u);
  EXPECT_EQ(with_id(all, "tcp-tw-reuse-delay")[0].severity, Severity::kOk);
}

TEST(RuleTwReuse, RemotePressureRecommendsOne) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.outgoing(60, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80", 40000);
  auto f = with_id(rule_tw_reuse(b.build()), "tcp-tw-reuse");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_tw_reuse", "1"));
  // The last of port-pressure's fixes: shown to weigh, never what --apply writes for it.
  EXPECT_FALSE(f[0].sysctls[0].apply);
  EXPECT_TRUE(testing::evidence_has(f[0], "10.0.0.9:80: 60 of 100 ports (60.0 %), ok"));
}

// Ports bound before connect() (odd ports toward 4 destinations, plus a bound-only socket): the
// pressure is bind()'s, which tcp_tw_reuse cannot relieve, so it is not recommended.
TEST(RuleTwReuse, ABindPoolUnderPressureGetsNoReuseAdvice) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40199");
  const char* dest[] = {"10.0.0.9:80", "10.0.0.10:80", "10.0.0.11:80", "10.0.0.12:80"};
  for (int i = 0; i < 99; ++i)  // with the bound one: 100 of 200 held, a warning
    b.add(testing::sock(TcpState::kTimeWait, "10.0.0.1:" + std::to_string(40001 + 2 * i),
                        dest[i % 4], 30000));
  b.add(testing::sock(TcpState::kClose, "10.0.0.1:40199", "0.0.0.0:0"));
  auto f = with_id(rule_tw_reuse(b.build()), "tcp-tw-reuse");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_NE(f[0].title.find("cannot help the pressure on 10.0.0.1"), std::string::npos)
      << f[0].title;
  EXPECT_TRUE(f[0].sysctls.empty());
}

TEST(RuleTwReuse, LoopbackPressureIsCoveredByTwo) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.outgoing(95, TcpState::kTimeWait, "127.0.0.1", "127.0.0.1:80", 40000);
  auto f = with_id(rule_tw_reuse(b.build()), "tcp-tw-reuse");
  EXPECT_EQ(f[0].severity, Severity::kOk);
  b.set("net.ipv4.tcp_tw_reuse", "0");
  f = with_id(rule_tw_reuse(b.build()), "tcp-tw-reuse");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_tw_reuse", "2"));
}

TEST(RuleTwReuse, OffWithoutPressureIsOnlyInfo) {
  InputBuilder b;
  b.set("net.ipv4.tcp_tw_reuse", "0");
  auto f = with_id(rule_tw_reuse(b.build()), "tcp-tw-reuse");
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_TRUE(f[0].sysctls.empty());
}

TEST(RuleTwReuse, UselessWithoutTimestamps) {
  InputBuilder b;
  b.set("net.ipv4.tcp_tw_reuse", "1").set("net.ipv4.tcp_timestamps", "0");
  auto f = with_id(rule_tw_reuse(b.build()), "tcp-tw-reuse");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].title.find("no effect"), std::string::npos);
}

TEST(RuleTwReuse, LowDelayWarnsAndNeverLowers) {
  InputBuilder b;
  b.set("net.ipv4.tcp_tw_reuse_delay", "10");
  auto f = with_id(rule_tw_reuse(b.build()), "tcp-tw-reuse-delay");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_tw_reuse_delay", "1000"));
}

TEST(RuleTwReuse, OlderKernelWithoutDelayHasNoDelayFinding) {
  InputBuilder b;
  b.facts.sysctls.erase("net.ipv4.tcp_tw_reuse_delay");
  EXPECT_TRUE(with_id(rule_tw_reuse(b.build()), "tcp-tw-reuse-delay").empty());
}

}  // namespace
}  // namespace tw
