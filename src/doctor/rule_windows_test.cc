// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/finding_json.h"
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
  EXPECT_EQ(to_json(d[0].data)["DynamicPortNumber"], 1000);
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

// On a Windows host every finding's advice is Windows advice: no Linux sysctl, socket option,
// command or source.
TEST(RuleWindows, NoLinuxAdviceOnWindows) {
  auto b = windows();
  b.facts.windows_params = {
      {"TcpTimedWaitDelay", 60}, {"DynamicPortStart", 49152}, {"DynamicPortNumber", 1000}};
  b.add(testing::sock(TcpState::kListen, "0.0.0.0:8080", "0.0.0.0:0"));
  b.outgoing(950, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:443", 49152);
  for (int i = 0; i < 30; ++i) {
    Socket s = testing::sock(TcpState::kCloseWait, "10.0.0.1:8080",
                             "10.0.0.7:" + std::to_string(50000 + i));
    s.pid = 4321;
    b.add(s);
  }
  for (int i = 0; i < 30; ++i)
    b.add(testing::sock(TcpState::kTimeWait, "10.0.0.1:8080",
                        "10.0.0.8:" + std::to_string(50000 + i)));
  auto all = run_rules(b.build());
  for (const Finding& f : all) {
    std::vector<std::string> advice = f.application;
    advice.insert(advice.end(), f.dont.begin(), f.dont.end());
    advice.insert(advice.end(), f.sources.begin(), f.sources.end());
    advice.insert(advice.end(), f.commands.begin(), f.commands.end());
    for (const std::string linux_only : {"Linux", "sysctl", "tcp_tw_reuse", "tcp_fin_timeout",
                                         "IP_BIND_ADDRESS_NO_PORT", "/proc/", "ss -t", "TcpExt"})
      for (auto& a : advice) EXPECT_EQ(a.find(linux_only), std::string::npos) << f.id << ": " << a;
    EXPECT_TRUE(f.sysctls.empty()) << f.id;
  }
  auto cw = with_id(all, "close-wait");
  ASSERT_EQ(cw.size(), 1u);
  EXPECT_NE(cw[0].application[0].find("Get-NetTCPConnection -State CloseWait"), std::string::npos);
  EXPECT_NE(cw[0].application[0].find("findstr 4321"), std::string::npos);
}

// Read live on Windows (sources/windows_facts): the key was opened and holds no
// TcpTimedWaitDelay, so the default applies; it is not "not checked".
TEST(RuleWindows, LiveRegistryWithoutTheValueIsTheDefault) {
  auto b = windows();
  b.facts.source = "iphlpapi";
  b.facts.windows_params["RegistryRead"] = 1;
  auto f = with_id(rule_windows(b.build()), "windows-tcptimedwaitdelay");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].checked);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_NE(f[0].title.find("default"), std::string::npos);
}

TEST(RuleWindows, LiveSourcesThatFailedAreNotChecked) {
  auto b = windows();
  b.facts.source = "iphlpapi";
  auto all = rule_windows(b.build());
  for (const char* id :
       {"windows-tcptimedwaitdelay", "windows-dynamic-range", "windows-port-events"}) {
    auto f = with_id(all, id);
    ASSERT_EQ(f.size(), 1u) << id;
    EXPECT_FALSE(f[0].checked) << id;
  }
  EXPECT_EQ(with_id(all, "windows-dynamic-range")[0].title,
            "not checked: no dynamic port range (`netsh int ipv4 show dynamicport tcp` printed "
            "none)");
  // Offline, no event log was asked for: no events finding at all.
  b.facts.source = "import:netstat-windows";
  EXPECT_TRUE(with_id(rule_windows(b.build()), "windows-port-events").empty());
}

TEST(RuleWindows, OtherRegistryValuesAreEvidence) {
  auto b = windows();
  b.facts.windows_params["TcpTimedWaitDelay"] = 60;
  b.facts.windows_params["StrictTimeWaitSeqCheck"] = 1;
  auto f = with_id(rule_windows(b.build()), "windows-tcptimedwaitdelay");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(to_json(f[0].data)["StrictTimeWaitSeqCheck"], 1);
  EXPECT_FALSE(to_json(f[0].data).contains("TcpNumConnections"));
  EXPECT_NE(f[0].evidence.back().find("StrictTimeWaitSeqCheck = 1"), std::string::npos);
}

TEST(RuleWindows, PortEvents) {
  auto b = windows();
  b.facts.windows_params["EventWindowSeconds"] = 86400;
  b.facts.windows_params["Event4227"] = 0;
  b.facts.windows_params["Event4231"] = 0;
  auto f = with_id(rule_windows(b.build()), "windows-port-events");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_EQ(f[0].title, "no event 4227 or 4231 in the last 24 h");
  b.facts.windows_params["Event4227"] = 3;
  f = with_id(rule_windows(b.build()), "windows-port-events");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(to_json(f[0].data)["event_4227"], 3);
  b.facts.windows_params["Event4231"] = 1;
  f = with_id(rule_windows(b.build()), "windows-port-events");
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_EQ(f[0].title, "event 4231: the ephemeral port space ran out 1 time in the last 24 h");
}

}  // namespace
}  // namespace tw
