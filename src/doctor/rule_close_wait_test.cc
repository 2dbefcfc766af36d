// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/finding_json.h"
#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

TEST(RuleCloseWait, NamesPortAndOwner) {
  InputBuilder b;
  b.add(sock(TcpState::kListen, "0.0.0.0:8080", "0.0.0.0:0"));
  for (int i = 0; i < 15; ++i) {
    Socket s = sock(TcpState::kCloseWait, "10.0.0.1:8080", "10.0.0.7:" + std::to_string(40000 + i));
    s.pid = 4242;  // as a dump with a pid column tells
    b.add(s);
  }
  auto f = rule_close_wait(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "close-wait");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].title.find("local port 8080 held by pid 4242"), std::string::npos);
  EXPECT_TRUE(testing::evidence_has(f[0], "a listening port"));
  EXPECT_TRUE(testing::evidence_has(f[0], "pid 4242 (15 sockets)"));
  EXPECT_TRUE(f[0].sysctls.empty());
}

TEST(RuleCloseWait, FewAreInfoNoneOk) {
  InputBuilder b;
  EXPECT_EQ(rule_close_wait(b.build())[0].severity, Severity::kOk);
  b.add(sock(TcpState::kCloseWait, "10.0.0.1:40000", "10.0.0.9:80"));
  auto f = rule_close_wait(b.build());
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_TRUE(testing::evidence_has(f[0], "outgoing connections"));
  EXPECT_TRUE(testing::evidence_has(f[0], "unknown (no process information"));
}

// Under --netns the commands must run there, and they name the process found, not "PID".
TEST(RuleCloseWait, CommandsWorkInTheNamespaceAndNameThePid) {
  InputBuilder b;
  b.facts.netns = "web";
  b.add(sock(TcpState::kListen, "0.0.0.0:8080", "0.0.0.0:0"));
  for (int i = 0; i < 12; ++i) {
    Socket s = sock(TcpState::kCloseWait, "10.0.0.1:8080", "10.0.0.7:" + std::to_string(40000 + i));
    s.pid = 4242;
    b.add(s);
  }
  auto f = rule_close_wait(b.build());
  ASSERT_FALSE(f[0].application.empty());
  EXPECT_NE(f[0].application[0].find("`ip netns exec web ss -tnp state close-wait`"),
            std::string::npos)
      << f[0].application[0];
  EXPECT_NE(f[0].application[0].find("`ls -l /proc/4242/fd | grep socket`"), std::string::npos);
  EXPECT_EQ(to_json(f[0].data)["close_wait"], 12);
  EXPECT_EQ(to_json(f[0].data)["ports"][0]["local_port"], 8080);
  EXPECT_EQ(to_json(f[0].data)["ports"][0]["owners"][0]["pid"], 4242);
  b.facts.netns = "pid:77";
  EXPECT_NE(rule_close_wait(b.build())[0].application[0].find("nsenter -t 77 -n ss"),
            std::string::npos);
}

}  // namespace
}  // namespace tw
