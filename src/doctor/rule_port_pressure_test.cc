// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/finding_json.h"
#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

const SysctlSetting* sysctl_named(const Finding& f, const std::string& name) {
  for (auto& s : f.sysctls)
    if (s.name == name) return &s;
  return nullptr;
}

bool application_mentions(const Finding& f, const std::string& text) {
  for (auto& a : f.application)
    if (a.find(text) != std::string::npos) return true;
  return false;
}

// The port-pressure finding for 1,000 ports (40000-40999) toward 10.0.0.9:8080 after TIME_WAITs
// made at `per_second` for the last `seconds` seconds.
Finding churned(double per_second, double seconds) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40999");
  b.churn(per_second, seconds, "10.0.0.1", "10.0.0.9:8080", 40000);
  auto f = rule_port_pressure(b.build());
  EXPECT_EQ(f.size(), 1u);
  return f.at(0);
}

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
  // 85 TIME_WAITs made 30 s ago: ~1.4/s over 60 s, none over the last 10 s.
  EXPECT_TRUE(testing::evidence_has(
      f[0],
      "10.0.0.1 -> 10.0.0.9:8080: 92 of 100 ports in use (92.0 %), 85 in TIME_WAIT; made at "
      "~0.0/s over the last 10 s, ~1.4/s over 60 s (sustainable ~1.7/s)"));
  // Best first: reuse connections (for this destination), more tuples, a wider range, then
  // tcp_tw_reuse=1 last. Who holds the ports is unknown here: no nginx snippet.
  ASSERT_EQ(f[0].application.size(), 4u);
  EXPECT_NE(f[0].application[0].find("keep-alive"), std::string::npos);
  EXPECT_EQ(f[0].application[0].find("proxy_http_version"), std::string::npos);
  EXPECT_NE(f[0].application[1].find("IP_BIND_ADDRESS_NO_PORT"), std::string::npos);
  EXPECT_NE(f[0].application[2].find("32768-60999: 28,232 usable ports instead of 100: the "
                                     "ephemeral-range finding's fix"),
            std::string::npos)
      << f[0].application[2];
  EXPECT_NE(f[0].application[3].find("tcp_tw_reuse=1"), std::string::npos);
  // Nothing of it is written by --apply behind the user's back: the kernel settings are there to
  // weigh, the fix now is in the application.
  for (auto& s : f[0].sysctls) EXPECT_FALSE(s.apply) << s.name;
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_tw_reuse", "1"));
  EXPECT_EQ(sysctl_named(f[0], "net.ipv4.ip_local_port_range"), nullptr);  // ephemeral-range's
  EXPECT_TRUE(f[0].commands.empty());
}

// The nginx snippet only for nginx: the doctor knows who holds the ports (a dump's pid column,
// /proc, the tracer).
TEST(RulePortPressure, TheNginxSnippetOnlyWhenNginxHoldsThePorts) {
  for (const char* owner : {"nginx", "python3"}) {
    InputBuilder b;
    b.set("net.ipv4.ip_local_port_range", "40000 40099");
    b.outgoing(85, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:8080", 40000);
    Socket s = sock(TcpState::kEstablished, "10.0.0.1:40090", "10.0.0.9:8080");
    s.pid = 321;
    s.command = owner;
    b.add(s, 7);
    auto f = rule_port_pressure(b.build());
    ASSERT_EQ(f.size(), 1u);
    SCOPED_TRACE(owner);
    const bool nginx = std::string(owner) == "nginx";
    EXPECT_EQ(f[0].application[0].find("server 10.0.0.9:8080;") != std::string::npos, nginx);
    EXPECT_EQ(f[0].application[0].find("proxy_http_version 1.1") != std::string::npos, nginx);
    if (!nginx) {
      EXPECT_NE(f[0].application[0].find("held by: python3"), std::string::npos);
    }
  }
}

// A client binding (10.93.1.1, 0) then connecting to 4 destinations, 200 ports, 6 binds/s for
// `seconds` (odd ports: bind()'s parity), and another process connecting to a fifth at 1/s (even
// ports). Each tuple holds a quarter; the address's pool is what fails.
DoctorInput bind_client(double seconds, const char* owner = "client") {
  static InputBuilder b;
  b = InputBuilder();
  b.set("net.ipv4.ip_local_port_range", "40000 40199");
  b.set("net.ipv4.tcp_tw_reuse", "2");
  const char* dest[] = {"10.93.2.1:80", "10.93.2.2:80", "10.93.2.3:80", "10.93.2.4:80"};
  const int n = static_cast<int>(6 * seconds);
  for (int i = 0; i < n; ++i) {
    const double age = (i + 0.5) / 6;
    b.add(sock(TcpState::kTimeWait, "10.93.1.1:" + std::to_string(40001 + 2 * (i % 100)),
               dest[i % 4], static_cast<int64_t>((kLinuxTimeWaitSeconds - age) * 1000)));
  }
  Socket bound = sock(TcpState::kClose, "10.93.1.1:40199", "0.0.0.0:0");
  bound.pid = 77;
  bound.command = owner;
  b.add(bound);
  for (int i = 0; i < static_cast<int>(seconds); ++i)
    b.add(sock(TcpState::kTimeWait, "10.93.1.1:" + std::to_string(40000 + 2 * i), "10.93.2.9:80",
               static_cast<int64_t>((kLinuxTimeWaitSeconds - i - 0.5) * 1000)));
  return b.build();
}

// The bind-before-connect case: each tuple 14-22 % held and "ok", while the address's
// pool runs out at 28 s. The finding forecasts that pool with the tuples' model: at 8 s (48 of
// 100 bind()-parity ports... 57 of 200 held) it already warns, with an ETA, >= 15 s ahead.
TEST(RulePortPressure, ABindPoolIsForecastLikeATupleAndWarnsEarly) {
  auto f = rule_port_pressure(bind_client(8));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].severity, Severity::kOk);
  EXPECT_NE(f[0].title.find("10.93.1.1: bind() before connect() takes its ports from one pool"),
            std::string::npos)
      << f[0].title;
  EXPECT_NE(f[0].title.find("exhausted in ~"), std::string::npos) << f[0].title;
  EXPECT_EQ(to_json(f[0].data)["worst_pool"], "bind");
  const nlohmann::json pool = to_json(f[0].data)["bind_pools"][0];
  EXPECT_EQ(pool["local"], "10.93.1.1");
  EXPECT_EQ(pool["bound_only"], 1);
  EXPECT_EQ(pool["state"], "rising");
  // 200 ports, 57 held, 6 + 1 per second come in: ~20 s left.
  EXPECT_GT(pool["eta_s"].get<double>(), 15);
  EXPECT_LT(pool["eta_s"].get<double>(), 25);
  // Fixes: the application's own option first, then IP_LOCAL_PORT_RANGE, more addresses, a wider
  // range; never tcp_tw_reuse; no nginx snippet for a client that is not nginx.
  ASSERT_GE(f[0].application.size(), 4u);
  EXPECT_NE(f[0].application[0].find("1. The application's own fix: set IP_BIND_ADDRESS_NO_PORT"),
            std::string::npos);
  for (const char* lang : {"C: `int one", "Go: ", "Java ", "Python: "})
    EXPECT_NE(f[0].application[0].find(lang), std::string::npos) << lang;
  EXPECT_NE(f[0].application[0].find("Held by: client"), std::string::npos);
  EXPECT_NE(f[0].application[1].find("IP_LOCAL_PORT_RANGE"), std::string::npos);
  EXPECT_NE(f[0].application[2].find("More source addresses"), std::string::npos);
  EXPECT_NE(f[0].application[3].find("A wider ephemeral range"), std::string::npos);
  EXPECT_FALSE(application_mentions(f[0], "proxy_bind"));
  EXPECT_FALSE(application_mentions(f[0], "upstream backend"));
  EXPECT_FALSE(application_mentions(f[0], "tcp_tw_reuse"));
  EXPECT_EQ(sysctl_named(f[0], "net.ipv4.tcp_tw_reuse"), nullptr);
  // The tuples are shown with what connect() can take: 200 less the ports bind() made.
  EXPECT_TRUE(testing::evidence_has(f[0], "connect() toward any destination skips the"));
}

TEST(RulePortPressure, ABindPoolHeldByNginxGetsProxyBind) {
  auto f = rule_port_pressure(bind_client(8, "nginx"));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].application[0].find("proxy_bind ADDR;"), std::string::npos);
  EXPECT_EQ(f[0].application[0].find("HAProxy"), std::string::npos);
}

TEST(RulePortPressure, AFullBindPoolIsCritical) {
  auto f = rule_port_pressure(bind_client(27));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kCritical);
}

// The case: 1,000 ports, 40 connections/s for 11 s toward one destination. 44 % in use
// was "ok"; at 40/s against a sustainable 17/s the free ports last 14 s.
TEST(RulePortPressure, ChurnAboveTheSustainableRateIsCriticalWithAnEta) {
  std::vector<Finding> f{churned(40, 11)};
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_EQ(f[0].title,
            "10.0.0.1 -> 10.0.0.9:8080: ephemeral ports exhausted in ~14 s at the last 10 s rate "
            "(~40/s, sustainable ~17/s)");
  EXPECT_TRUE(testing::evidence_has(
      f[0],
      "440 of 1,000 ports in use (44.0 %), 440 in TIME_WAIT; made at ~40/s over the last "
      "10 s, ~7.3/s over 60 s (sustainable ~17/s): exhausted in ~14 s"));
  const nlohmann::json w = to_json(f[0].data)["worst"];
  EXPECT_EQ(w["remote"], "10.0.0.9");
  EXPECT_EQ(w["remote_port"], 8080);
  EXPECT_EQ(w["in_use"], 440);
  EXPECT_EQ(w["available"], 1000);
  EXPECT_EQ(w["rate_10s"], 40.0);
  EXPECT_EQ(w["rate_60s"], 7.33);
  EXPECT_EQ(w["sustainable_rate"], 16.67);
  EXPECT_EQ(w["state"], "rising");
  EXPECT_NEAR(w["eta_s"].get<double>(), 14.0, 0.3);
  EXPECT_EQ(to_json(f[0].data)["sysctls"]["net.ipv4.ip_local_port_range"], "40000 40999");
}

TEST(RulePortPressure, RisingSlowerIsAWarning) {
  std::vector<Finding> f{churned(20, 10)};  // 200 in use, 20/s: 40 s to go
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].title.find("exhausted in ~40 s"), std::string::npos) << f[0].title;
}

TEST(RulePortPressure, NoFreePortSaysConnectsFailNow) {
  std::vector<Finding> f{churned(40, 25)};
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_EQ(f[0].title,
            "10.0.0.1 -> 10.0.0.9:8080: no free source port (1,000 of 1,000 in use): connect() "
            "fails now");
  EXPECT_EQ(to_json(f[0].data)["worst"]["state"], "exhausted");
  EXPECT_EQ(to_json(f[0].data)["worst"]["eta_s"], 0.0);
}

TEST(RulePortPressure, BusyButSteadyBelowSustainableIsNotRising) {
  std::vector<Finding> f{churned(10, 60)};       // 600 held, as many expire as are made
  EXPECT_EQ(f[0].severity, Severity::kWarning);  // by its 60 % alone
  EXPECT_EQ(to_json(f[0].data)["worst"]["state"], "ok");
  EXPECT_NE(f[0].title.find("they last"), std::string::npos) << f[0].title;
}

// Beyond the kernel's default range (here: listeners unknown in a snapshot without them, or a
// range already past the default), widening is a person's decision: weigh first, not applied.
TEST(RulePortPressure, WiderThanTheDefaultIsToWeigh) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "32768 60999");
  b.churn(500, 57, "10.0.0.1", "10.0.0.9:80", 32768);
  auto f = rule_port_pressure(b.build());
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  const SysctlSetting* r = sysctl_named(f[0], "net.ipv4.ip_local_port_range");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->value, "10000 65535");
  EXPECT_FALSE(r->apply);
  EXPECT_TRUE(application_mentions(f[0], "10000-65535: 55,536 usable ports instead of 28,232"));
}

TEST(RulePortPressure, WarningAtHalf) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.outgoing(50, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80", 40000);
  EXPECT_EQ(rule_port_pressure(b.build())[0].severity, Severity::kWarning);
}

TEST(RulePortPressure, ListenersInsideTheWiderRangeAreReservedInTheSameChange) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099");
  b.outgoing(95, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80", 40000);
  b.add(sock(TcpState::kListen, "0.0.0.0:33000", "0.0.0.0:0"));
  b.add(sock(TcpState::kListen, "0.0.0.0:11211", "0.0.0.0:0"));  // outside the new range
  b.add(sock(TcpState::kListen, "0.0.0.0:22", "0.0.0.0:0"));
  auto f = rule_port_pressure(b.build());
  EXPECT_TRUE(application_mentions(f[0], "32768-60999: 28,231 usable ports instead of 100"));
  EXPECT_TRUE(application_mentions(f[0], "with the listening ports inside it reserved"));
  // The ephemeral-range finding carries the change, the listener reserved in it.
  auto e = rule_ephemeral_range(b.build());
  EXPECT_TRUE(testing::has_sysctl(e[0], "net.ipv4.ip_local_port_range", "32768 60999"));
  EXPECT_TRUE(testing::has_sysctl(e[0], "net.ipv4.ip_local_reserved_ports", "33000"));
}

// 10000-65535 with 10000-50000 reserved has 15,535 usable ports; the kernel default 32768-60999
// would leave 10,999. Neither finding may propose a range with fewer usable ports.
TEST(RulePortPressure, NeverProposesFewerUsablePorts) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "10000 65535")
      .set("net.ipv4.ip_local_reserved_ports", "10000-50000");
  b.outgoing(15000, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80", 50001);
  auto f = rule_port_pressure(b.build());
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_EQ(sysctl_named(f[0], "net.ipv4.ip_local_port_range"), nullptr);
  EXPECT_FALSE(application_mentions(f[0], "wider ephemeral range"));
  auto e = rule_ephemeral_range(b.build());
  EXPECT_EQ(e[0].severity, Severity::kWarning);
  EXPECT_EQ(sysctl_named(e[0], "net.ipv4.ip_local_port_range"), nullptr);
  EXPECT_TRUE(testing::evidence_has(e[0],
                                    "ip_local_reserved_ports takes 40,001 of the range's "
                                    "55,536 ports"));
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

TEST(RulePortPressure, WindowsAdviceIsWindowsAdvice) {
  InputBuilder b;
  b.facts.os = "windows";
  b.facts.sysctls.clear();
  b.facts.windows_params = {
      {"TcpTimedWaitDelay", 30}, {"DynamicPortStart", 49152}, {"DynamicPortNumber", 1000}};
  b.outgoing(950, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:443", 49152);
  b.add(sock(TcpState::kListen, "0.0.0.0:50500", "0.0.0.0:0"));
  auto f = rule_port_pressure(b.build());
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_TRUE(testing::evidence_has(f[0], "TIME_WAIT lasts 30 s"));
  EXPECT_TRUE(f[0].sysctls.empty());
  EXPECT_TRUE(f[0].commands.empty());  // the fix now is in the application
  EXPECT_TRUE(application_mentions(f[0], "SO_REUSE_UNICASTPORT"));
  EXPECT_TRUE(
      application_mentions(f[0], "netsh int ipv4 set dynamicport tcp start=49152 num=16384"));
  EXPECT_TRUE(application_mentions(
      f[0], "netsh int ipv4 add excludedportrange protocol=tcp startport=50500 numberofports=1"));
  EXPECT_TRUE(application_mentions(f[0], "TcpTimedWaitDelay"));
  for (const std::string linux_only :
       {"IP_BIND_ADDRESS_NO_PORT", "tcp_tw_reuse", "tcp_fin_timeout", "Linux", "sysctl"}) {
    EXPECT_FALSE(application_mentions(f[0], linux_only)) << linux_only;
    for (auto& s : f[0].sources) EXPECT_EQ(s.find(linux_only), std::string::npos) << s;
    for (auto& d : f[0].dont) EXPECT_EQ(d.find(linux_only), std::string::npos) << d;
  }
}

TEST(RulePortPressure, DumpWithoutTimersHasNoEta) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40999");
  for (int i = 0; i < 600; ++i)
    b.add(sock(TcpState::kTimeWait, "10.0.0.1:" + std::to_string(40000 + i), "10.0.0.9:80"));
  auto f = rule_port_pressure(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::evidence_has(f[0],
                                    "= ~10/s new connections (sustainable ~17/s); no "
                                    "TIME_WAIT timers in this input"));
  EXPECT_TRUE(to_json(f[0].data)["worst"]["eta_s"].is_null());
  EXPECT_TRUE(to_json(f[0].data)["worst"]["rate_10s"].is_null());
}

}  // namespace
}  // namespace tw
