// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/finding_json.h"
#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

TEST(RuleListenerInRange, ListenerInsideWarnsAndReserves) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_reserved_ports", "8080");
  b.add(sock(TcpState::kListen, "0.0.0.0:40000", "0.0.0.0:0"));
  b.add(sock(TcpState::kListen, "[::]:40000", "[::]:0"));
  b.add(sock(TcpState::kListen, "0.0.0.0:80", "0.0.0.0:0"));
  auto f = rule_listener_in_range(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "listener-in-range");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].title.find("40000"), std::string::npos);
  EXPECT_EQ(f[0].title.find(": 80"), std::string::npos);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.ip_local_reserved_ports", "8080,40000"));
}

TEST(RuleListenerInRange, ReservedListenerIsOk) {
  InputBuilder b;
  b.set("net.ipv4.ip_local_reserved_ports", "40000-40010");
  b.add(sock(TcpState::kListen, "0.0.0.0:40005", "0.0.0.0:0"));
  auto f = rule_listener_in_range(b.build());
  EXPECT_EQ(f[0].severity, Severity::kOk);
  // It is inside the range, reserved: the title says so instead of "no listening port inside".
  EXPECT_EQ(f[0].title.find("no listening port"), std::string::npos) << f[0].title;
  EXPECT_NE(f[0].title.find("listening port 40005 inside the ephemeral range 32768-60999 is "
                            "reserved"),
            std::string::npos)
      << f[0].title;
  EXPECT_EQ(to_json(f[0].data)["reserved_listeners"][0], 40005);
}

TEST(RuleListenerInRange, NoSocketsIsNotChecked) {
  InputBuilder b;
  b.with_sockets = false;
  EXPECT_FALSE(rule_listener_in_range(b.build())[0].checked);
}

}  // namespace
}  // namespace tw
