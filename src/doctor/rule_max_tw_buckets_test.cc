#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

using testing::InputBuilder;

TEST(RuleMaxTwBuckets, WellBelowIsOk) {
  InputBuilder b;
  b.facts.sockstat->tw = 100;
  auto f = rule_max_tw_buckets(b.build());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kOk);
  EXPECT_TRUE(f[0].sysctls.empty());
}

TEST(RuleMaxTwBuckets, NearLimitWarnsAndRaises) {
  InputBuilder b;
  b.set("net.ipv4.tcp_max_tw_buckets", "1000");
  b.facts.sockstat->tw = 900;
  auto f = rule_max_tw_buckets(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_max_tw_buckets", "2048"));
  EXPECT_TRUE(testing::evidence_has(f[0], "900 TIME_WAIT mini-sockets of a limit of 1,000"));
}

TEST(RuleMaxTwBuckets, OverflowSinceBootWarnsOverflowNowIsCritical) {
  InputBuilder b;
  b.facts.counters["TCPTimeWaitOverflow"] = 42;
  auto f = rule_max_tw_buckets(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].title.find("--interval"), std::string::npos);

  DoctorInput in = b.build();
  in.earlier = in.facts;
  in.earlier->counters["TCPTimeWaitOverflow"] = 40;
  in.facts.counters["TW"] = 1100;
  in.earlier->counters["TW"] = 100;
  in.interval_seconds = 5;
  f = rule_max_tw_buckets(in);
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_TRUE(testing::evidence_has(f[0], "grew by 2 in 5 s"));
  EXPECT_TRUE(
      testing::evidence_has(f[0], "TcpExt TW grew by 1,000 in 5 s: ~200/s TIME_WAITs made"));

  in.earlier->counters["TCPTimeWaitOverflow"] = 42;  // old overflow, none now
  EXPECT_EQ(rule_max_tw_buckets(in)[0].severity, Severity::kOk);
}

}  // namespace
}  // namespace tw
