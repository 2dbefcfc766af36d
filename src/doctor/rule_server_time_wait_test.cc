// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

InputBuilder server(int tw) {
  InputBuilder b;
  b.add(sock(TcpState::kListen, "0.0.0.0:8080", "0.0.0.0:0"));
  for (int i = 0; i < tw; ++i)
    b.add(
        sock(TcpState::kTimeWait, "10.0.0.1:8080", "10.0.0.7:" + std::to_string(33000 + i), 5000));
  return b;
}

TEST(RuleServerTimeWait, CountsOnListeningPort) {
  auto b = server(120);
  auto f = rule_server_time_wait(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "server-time-wait");
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_TRUE(testing::evidence_has(f[0], "listening port 8080: 120 in TIME_WAIT = ~2.0/s"));
  EXPECT_NE(f[0].application[0].find("keep-alive"), std::string::npos);
}

TEST(RuleServerTimeWait, WarnsAtAQuarterOfTheBuckets) {
  auto b = server(300);
  b.set("net.ipv4.tcp_max_tw_buckets", "1000");
  EXPECT_EQ(rule_server_time_wait(b.build())[0].severity, Severity::kWarning);
}

TEST(RuleServerTimeWait, ClientTimeWaitIsNotServerSide) {
  InputBuilder b;
  b.add(sock(TcpState::kListen, "0.0.0.0:8080", "0.0.0.0:0"));
  b.outgoing(50, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:8080");
  EXPECT_EQ(rule_server_time_wait(b.build())[0].severity, Severity::kOk);
}

}  // namespace
}  // namespace tw
