// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/finding_json.h"
#include "doctor/nat_signature.h"
#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

// A backend listening on 8080 whose TIME_WAITs are held toward `peers` (address, count).
InputBuilder backend(std::vector<std::pair<std::string, int>> peers) {
  InputBuilder b;
  b.add(sock(TcpState::kListen, "0.0.0.0:8080", "0.0.0.0:0"));
  for (auto& [addr, n] : peers)
    for (int i = 0; i < n; ++i)
      b.add(sock(TcpState::kTimeWait, "10.77.2.2:8080", addr + ":" + std::to_string(40000 + i),
                 30000));
  return b;
}

// `before` and `after` of a counter over a 10 s interval.
DoctorInput sampled(InputBuilder& b, const std::string& counter, int64_t before, int64_t after) {
  b.facts.counters[counter] = after;
  DoctorInput in = b.build();
  HostFacts earlier = in.facts;
  earlier.counters[counter] = before;
  in.earlier = earlier;
  in.interval_seconds = 10;
  return in;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RuleSynIntoTimeWait, DropsBehindOneSnatAddressNameIt) {
  auto b = backend({{"10.77.2.11", 64}, {"10.0.0.5", 3}});
  auto f = rule_syn_into_time_wait(sampled(b, "PAWSTimewait", 100, 331));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "syn-into-time-wait");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(contains(f[0].title, "231 SYN(s) dropped into TIME_WAIT in 10 s")) << f[0].title;
  EXPECT_TRUE(contains(f[0].title, "10.77.2.11 holds 96 %")) << f[0].title;
  EXPECT_TRUE(contains(f[0].title, "NAT or load balancer")) << f[0].title;
  EXPECT_EQ(to_json(f[0].data)["nat_peers"][0]["address"], "10.77.2.11");
  EXPECT_EQ(to_json(f[0].data)["dropped"], 231);
  // The fixes in order: close first / keep-alive, more SNAT addresses, one timestamp clock.
  ASSERT_EQ(f[0].application.size(), 3u);
  EXPECT_TRUE(contains(f[0].application[0], "close first")) << f[0].application[0];
  EXPECT_TRUE(contains(f[0].application[0], "10.77.2.11"));
  EXPECT_TRUE(contains(f[0].application[1], "more source addresses"));
  EXPECT_TRUE(contains(f[0].application[2], "timestamps on end to end"));
  for (const std::string& a : f[0].application) {
    EXPECT_FALSE(contains(a, "tcp_tw_recycle")) << a;
    EXPECT_FALSE(contains(a, "let the server close first")) << a;
  }
  EXPECT_TRUE(contains(f[0].dont[0], "Never tcp_tw_recycle"));
  EXPECT_TRUE(f[0].sysctls.empty());
}

TEST(RuleSynIntoTimeWait, NoGrowthOverTheIntervalIsNotAWarning) {
  auto b = backend({{"10.77.2.11", 64}});
  auto f = rule_syn_into_time_wait(sampled(b, "PAWSTimewait", 331, 331));
  EXPECT_EQ(f[0].severity, Severity::kInfo);  // dropped before, the NAT is still there
  auto quiet = backend({{"10.77.2.11", 64}});
  EXPECT_EQ(rule_syn_into_time_wait(sampled(quiet, "PAWSTimewait", 0, 0))[0].severity,
            Severity::kOk);
}

TEST(RuleSynIntoTimeWait, TheSamplersWindowKeepsADropBetweenRefreshes) {
  // watch refreshes every 2 s; drops at 1/s are not in every 2 s interval, but in its 30 s view.
  auto b = backend({{"10.77.2.11", 64}});
  DoctorInput in = sampled(b, "PAWSTimewait", 120, 120);
  in.interval_seconds = 2;
  in.window_counters = {{"PAWSTimewait", 100}};
  in.window_seconds = 28;
  auto f = rule_syn_into_time_wait(in);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(contains(f[0].title, "20 SYN(s) dropped into TIME_WAIT in 28 s")) << f[0].title;
  // A window shorter than the interval (a first refresh) leaves the interval's numbers.
  in.window_seconds = 1;
  EXPECT_EQ(rule_syn_into_time_wait(in)[0].severity, Severity::kInfo);
}

TEST(RuleSynIntoTimeWait, ManyClientsDirectlyAreNoNat) {
  // 200 clients with one TIME_WAIT each: no peer stands out.
  std::vector<std::pair<std::string, int>> peers;
  for (int i = 1; i <= 200; ++i) peers.push_back({"10.1.0." + std::to_string(i % 250 + 1), 1});
  auto b = backend(peers);
  DoctorInput in = sampled(b, "PAWSTimewait", 0, 5);
  EXPECT_FALSE(nat_signature(in));
  auto f = rule_syn_into_time_wait(in);
  EXPECT_EQ(f[0].severity, Severity::kWarning);  // the exact counter grew: SYNs were dropped
  EXPECT_FALSE(contains(f[0].title, "NAT"));
  EXPECT_FALSE(to_json(f[0].data)["nat_suspected"].get<bool>());
}

TEST(RuleSynIntoTimeWait, PawsEstabStandsInOnOlderKernelsButAloneIsOnlyInfo) {
  auto b = backend({{"10.77.2.11", 64}});
  auto f = rule_syn_into_time_wait(sampled(b, "PAWSEstab", 10, 40));
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(to_json(f[0].data)["counter"], "PAWSEstab");
  auto spread = backend({{"10.1.0.1", 2}, {"10.1.0.2", 2}});
  EXPECT_EQ(rule_syn_into_time_wait(sampled(spread, "PAWSEstab", 10, 40))[0].severity,
            Severity::kInfo);
}

TEST(RuleSynIntoTimeWait, WithoutIntervalCountsSinceBootWithTheSignature) {
  auto b = backend({{"10.77.2.11", 64}});
  b.facts.counters["PAWSTimewait"] = 12;
  auto f = rule_syn_into_time_wait(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(contains(f[0].title, "12 SYN(s) dropped into TIME_WAIT since boot")) << f[0].title;
  EXPECT_TRUE(testing::evidence_has(f[0], "timewait doctor --interval 10"));
}

TEST(RuleSynIntoTimeWait, NoCountersIsNotChecked) {
  auto b = backend({{"10.77.2.11", 64}});
  auto f = rule_syn_into_time_wait(b.build());
  EXPECT_FALSE(f[0].checked);
}

TEST(RuleSynIntoTimeWait, OutgoingTimeWaitIsNotTheServers) {
  // The host's own client TIME_WAITs toward one server are not a NAT in front of it.
  InputBuilder b;
  b.add(sock(TcpState::kListen, "0.0.0.0:8080", "0.0.0.0:0"));
  b.outgoing(100, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:443");
  DoctorInput in = sampled(b, "PAWSTimewait", 0, 0);
  EXPECT_EQ(in.server_time_wait_total, 0);
  EXPECT_FALSE(nat_signature(in));
}

TEST(RuleServerTimeWait, BehindASnatItSaysSoAndDropsTheDirectPathClaim) {
  auto b = backend({{"10.77.2.11", 64}});
  auto f = rule_server_time_wait(sampled(b, "PAWSTimewait", 0, 40));
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(contains(f[0].title, "10.77.2.11")) << f[0].title;
  EXPECT_FALSE(contains(f[0].why, "costs no")) << f[0].why;
  EXPECT_TRUE(contains(f[0].why, "SNAT")) << f[0].why;
  // Without the signature the direct-path claim says what it assumes.
  auto direct = rule_server_time_wait(backend({{"10.0.0.7", 5}}).build());
  EXPECT_TRUE(contains(direct[0].why, "On a direct path it costs the server no ephemeral ports"));
  EXPECT_TRUE(contains(direct[0].why, "assumes no NAT"));
}

}  // namespace
}  // namespace tw
