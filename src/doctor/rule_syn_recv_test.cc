// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

TEST(RuleSynRecv, CookiesOffWarns) {
  InputBuilder b;
  EXPECT_EQ(rule_syn_recv(b.build())[0].severity, Severity::kOk);
  b.set("net.ipv4.tcp_syncookies", "0");
  auto f = rule_syn_recv(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_syncookies", "1"));
}

TEST(RuleSynRecv, HalfOpenBuildUp) {
  InputBuilder b;
  b.set("net.ipv4.tcp_max_syn_backlog", "100");
  for (int i = 0; i < 60; ++i)
    b.add(sock(TcpState::kSynRecv, "10.0.0.1:80", "10.0.0.7:" + std::to_string(40000 + i)));
  auto f = rule_syn_recv(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::evidence_has(f[0], "SYN-RECV sockets: 60"));
}

TEST(RuleSynRecv, AcceptQueueOverflowNow) {
  InputBuilder b;
  b.facts.counters["ListenOverflows"] = 10;
  DoctorInput in = b.build();
  in.earlier = in.facts;
  in.earlier->counters["ListenOverflows"] = 4;
  in.interval_seconds = 2;
  auto f = rule_syn_recv(in);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::evidence_has(f[0], "ListenOverflows = 10 (+6 in 2 s)"));
}

}  // namespace
}  // namespace tw
