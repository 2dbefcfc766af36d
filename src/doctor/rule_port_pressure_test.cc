#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

TEST(RulePortPressure, CriticalWithRatesAndOrderedFixes) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.outgoing(85, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:8080", 40000);
  b.outgoing(7, TcpState::kEstablished, "10.0.0.1", "10.0.0.9:8080", 40085);
  b.outgoing(10, TcpState::kTimeWait, "10.0.0.1", "10.0.0.10:8080", 40000);
  auto f = rule_port_pressure(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "port-pressure");
  EXPECT_EQ(f[0].severity, Severity::kCritical);  // 92 of 100
  EXPECT_NE(f[0].title.find("10.0.0.9:8080"), std::string::npos);
  // 85 TIME_WAIT over 60 s = ~1.4/s made, against 100 / 60 s = ~1.7/s sustainable.
  EXPECT_TRUE(testing::evidence_has(
      f[0],
      "10.0.0.1 -> 10.0.0.9:8080: 92 of 100 ports in use (92.0 %), 85 in TIME_WAIT = ~1.4/s "
      "new connections (sustainable ~1.7/s)"));
  ASSERT_EQ(f[0].application.size(), 4u);
  EXPECT_NE(f[0].application[0].find("proxy_http_version 1.1"), std::string::npos);
  EXPECT_NE(f[0].application[0].find("keepalive"), std::string::npos);
  EXPECT_NE(f[0].application[0].find("Connection \"\""), std::string::npos);
  EXPECT_NE(f[0].application[1].find("IP_BIND_ADDRESS_NO_PORT"), std::string::npos);
  EXPECT_NE(f[0].application[3].find("tcp_tw_reuse"), std::string::npos);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_tw_reuse", "1"));
  // Widening the range is for a person to weigh: not applied automatically.
  for (auto& s : f[0].sysctls)
    if (s.name == "net.ipv4.ip_local_port_range") {
      EXPECT_FALSE(s.apply);
    }
}

TEST(RulePortPressure, WarningAtHalf) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.outgoing(50, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80", 40000);
  EXPECT_EQ(rule_port_pressure(b.build())[0].severity, Severity::kWarning);
}

TEST(RulePortPressure, ListenersAreReservedWhenWidening) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.outgoing(95, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80", 40000);
  b.add(sock(TcpState::kListen, "0.0.0.0:11211", "0.0.0.0:0"));
  b.add(sock(TcpState::kListen, "0.0.0.0:22", "0.0.0.0:0"));
  auto f = rule_port_pressure(b.build());
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_reserved_ports", "11211"));
}

TEST(RulePortPressure, LowUseIsOkAndIncomingIsNotPressure) {
  InputBuilder b;
  b.outgoing(100, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80");
  // Server side: the local port is a listening port, below the range.
  for (int i = 0; i < 500; ++i)
    b.add(sock(TcpState::kTimeWait, "10.0.0.1:80", "10.0.0.7:" + std::to_string(33000 + i), 1000));
  auto f = rule_port_pressure(b.build());
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_TRUE(testing::evidence_has(f[0], "10.0.0.9:80: 100 of 28,232"));
}

// A dump taken without -n: tuples with names are not measured, and the rule says so instead of
// reporting "no outgoing connections".
TEST(RulePortPressure, NamedTuplesAreNotChecked) {
  InputBuilder b;
  for (int i = 0; i < 50; ++i) {
    Socket s = sock(TcpState::kTimeWait, "10.0.0.1:" + std::to_string(40000 + i), "10.0.0.9:80");
    s.remote.addr = *Address::named("api");
    b.add(s);
  }
  auto f = rule_port_pressure(b.build());
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_NE(f[0].title.find("capture with -n"), std::string::npos) << f[0].title;
  EXPECT_TRUE(testing::evidence_has(f[0], "1 tuple not measured"));
}

TEST(RulePortPressure, NoSocketsIsNotChecked) {
  InputBuilder b;
  b.with_sockets = false;
  auto f = rule_port_pressure(b.build());
  EXPECT_FALSE(f[0].checked);
  EXPECT_EQ(f[0].title, "not checked: no sockets");
}

TEST(RulePortPressure, WindowsUsesTimedWaitDelayAndNetsh) {
  InputBuilder b;
  b.facts.os = "windows";
  b.facts.sysctls.clear();
  b.facts.windows_params = {
      {"TcpTimedWaitDelay", 30}, {"DynamicPortStart", 49152}, {"DynamicPortNumber", 1000}};
  b.outgoing(950, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:443", 49152);
  auto f = rule_port_pressure(b.build());
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_TRUE(testing::evidence_has(f[0], "TIME_WAIT lasts 30 s"));
  EXPECT_TRUE(f[0].sysctls.empty());
  ASSERT_FALSE(f[0].commands.empty());
  EXPECT_NE(f[0].commands[0].find("netsh int ipv4 set dynamicport tcp"), std::string::npos);
}

}  // namespace
}  // namespace tw
