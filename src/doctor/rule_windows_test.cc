#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::with_id;

InputBuilder windows() {
  InputBuilder b;
  b.facts.os = "windows";
  b.facts.sysctls.clear();
  b.facts.sockstat.reset();
  return b;
}

TEST(RuleWindows, NothingForLinux) {
  InputBuilder b;
  EXPECT_TRUE(rule_windows(b.build()).empty());
}

TEST(RuleWindows, TimedWaitDelayRanges) {
  auto b = windows();
  b.facts.windows_params["TcpTimedWaitDelay"] = 10;
  auto f = with_id(rule_windows(b.build()), "windows-tcptimedwaitdelay");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].commands[0].find("reg add"), std::string::npos);
  EXPECT_NE(f[0].commands[0].find("/d 30"), std::string::npos);
  b.facts.windows_params["TcpTimedWaitDelay"] = 400;
  EXPECT_EQ(with_id(rule_windows(b.build()), "windows-tcptimedwaitdelay")[0].severity,
            Severity::kWarning);
  b.facts.windows_params["TcpTimedWaitDelay"] = 60;
  EXPECT_EQ(with_id(rule_windows(b.build()), "windows-tcptimedwaitdelay")[0].severity,
            Severity::kInfo);
}

TEST(RuleWindows, MissingRegistryIsNotChecked) {
  auto b = windows();
  b.with_sockets = false;
  auto all = rule_windows(b.build());
  auto f = with_id(all, "windows-tcptimedwaitdelay");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].checked);
  EXPECT_EQ(f[0].title, "not checked: no registry export (--windows-reg)");
  EXPECT_FALSE(with_id(all, "windows-dynamic-range")[0].checked);
}

TEST(RuleWindows, MaxUserPortAndSmallRange) {
  auto b = windows();
  b.facts.windows_params = {
      {"MaxUserPort", 65534}, {"DynamicPortStart", 50000}, {"DynamicPortNumber", 1000}};
  auto all = rule_windows(b.build());
  auto m = with_id(all, "windows-maxuserport");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].title.find("Server 2003 and earlier"), std::string::npos);
  auto d = with_id(all, "windows-dynamic-range");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::evidence_has(d[0], "50000-50999: 1,000 ports"));
  EXPECT_TRUE(testing::evidence_has(d[0], "TIME_WAIT 120 s (assumed default)"));
  // The same range port-pressure proposes, and nothing narrower.
  ASSERT_FALSE(d[0].commands.empty());
  EXPECT_EQ(d[0].commands[0], "netsh int ipv4 set dynamicport tcp start=49152 num=16384");
  EXPECT_EQ(d[0].data["DynamicPortNumber"], 1000);
}

// Without --windows-dynamicport the range in force is unknown: a default is not evidence.
TEST(RuleWindows, DynamicRangeWithoutNetshIsNotChecked) {
  auto b = windows();
  b.facts.windows_params = {{"TcpTimedWaitDelay", 60}};
  b.outgoing(100, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:443", 49152);
  auto d = with_id(rule_windows(b.build()), "windows-dynamic-range");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].checked);
  EXPECT_EQ(d[0].title, "not checked: no dynamic port range (--windows-dynamicport)");
}

}  // namespace
}  // namespace tw
