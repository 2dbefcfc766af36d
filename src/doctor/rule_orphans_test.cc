// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;
using testing::sock;

TEST(RuleOrphans, CountsClosingStates) {
  InputBuilder b;
  EXPECT_EQ(rule_orphans(b.build())[0].severity, Severity::kOk);
  Socket fw2 = sock(TcpState::kFinWait2, "10.0.0.1:40000", "10.0.0.9:80", 30000);
  fw2.mini = true;
  b.add(fw2, 3);
  b.add(sock(TcpState::kFinWait1, "10.0.0.1:40001", "10.0.0.9:80"), 2);
  auto f = rule_orphans(b.build());
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_TRUE(testing::evidence_has(f[0], "FIN-WAIT-1 2, FIN-WAIT-2 3 (3 orphaned mini-sockets)"));
}

TEST(RuleOrphans, NearMaxOrphansWarns) {
  InputBuilder b;
  b.set("net.ipv4.tcp_max_orphans", "1000");
  b.facts.sockstat->orphan = 600;
  EXPECT_EQ(rule_orphans(b.build())[0].severity, Severity::kWarning);
}

}  // namespace
}  // namespace tw
