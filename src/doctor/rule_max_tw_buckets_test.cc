// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "doctor/finding_json.h"
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
  EXPECT_TRUE(
      testing::evidence_has(f[0], "900 TIME_WAIT mini-sockets of a limit of 1,000 (90.0 %)"));
  EXPECT_EQ(f[0].title, "TIME_WAIT at 90.0 % of tcp_max_tw_buckets");
  EXPECT_EQ(to_json(f[0].data)["tcp_max_tw_buckets"], 1000);
  EXPECT_EQ(to_json(f[0].data)["time_wait"], 900);
  EXPECT_EQ(to_json(f[0].data)["percent"], 90.0);
}

// An overflow count left from long ago is no evidence of overflow now: the rule says so and
// changes nothing; an overflow growing between two samples is critical.
TEST(RuleMaxTwBuckets, OldOverflowIsInfoOverflowNowIsCritical) {
  InputBuilder b;
  b.facts.counters["TCPTimeWaitOverflow"] = 42;
  auto f = rule_max_tw_buckets(b.build());
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_TRUE(f[0].sysctls.empty());
  EXPECT_NE(f[0].title.find("42 times since boot, not necessarily now"), std::string::npos)
      << f[0].title;
  EXPECT_NE(f[0].title.find("--interval"), std::string::npos);
  EXPECT_EQ(to_json(f[0].data)["TCPTimeWaitOverflow"], 42);
  EXPECT_TRUE(to_json(f[0].data)["overflow_delta"].is_null());
  // In another namespace the counters start when it was made, not at boot.
  b.facts.netns = "web";
  f = rule_max_tw_buckets(b.build());
  EXPECT_NE(f[0].title.find("42 times since the namespace was made"), std::string::npos)
      << f[0].title;
  EXPECT_TRUE(
      testing::evidence_has(f[0], "TCPTimeWaitOverflow = 42 (since the namespace was made)"));

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

  EXPECT_EQ(to_json(f[0].data)["overflow_delta"], 2);
  EXPECT_EQ(to_json(f[0].data)["interval_s"], 5.0);

  in.earlier->counters["TCPTimeWaitOverflow"] = 42;  // old overflow, none now
  EXPECT_EQ(rule_max_tw_buckets(in)[0].severity, Severity::kOk);
}

// tcp_max_tw_buckets=0 (accepted by the kernel) keeps no TIME_WAIT at all: never "ok", and the
// raise is a real one (twice 0 is 0).
TEST(RuleMaxTwBuckets, ZeroLimitWarnsAndRaisesAboveZero) {
  InputBuilder b;
  b.set("net.ipv4.tcp_max_tw_buckets", "0");
  b.facts.sockstat->tw = 0;
  auto f = rule_max_tw_buckets(b.build());
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].title.find("no closing connection gets a TIME_WAIT"), std::string::npos);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_max_tw_buckets", "1024"));
}

// With --interval the raise covers what the closes of the interval need for 60 s: 1,000 made
// and 500 skipped in 5 s is 300/s, 18,000 TIME_WAITs, twice that rounded up.
TEST(RuleMaxTwBuckets, RaiseCoversTheMeasuredCloseRate) {
  InputBuilder b;
  b.set("net.ipv4.tcp_max_tw_buckets", "5000");
  b.facts.sockstat->tw = 5000;
  DoctorInput in = b.build();
  in.earlier = in.facts;
  in.earlier->counters["TCPTimeWaitOverflow"] = 0;
  in.facts.counters["TCPTimeWaitOverflow"] = 500;
  in.earlier->counters["TW"] = 0;
  in.facts.counters["TW"] = 1000;
  in.interval_seconds = 5;
  auto f = rule_max_tw_buckets(in);
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_TRUE(testing::has_sysctl(f[0], "net.ipv4.tcp_max_tw_buckets", "36864"));
}

// The limit is full and the table refuses closes, toward a destination whose range holds 1,000
// ports: raised, each close keeps its port 60 s again (60/s: 3,600 ports), so connect() would
// fail. The raise stays in the finding, left to a person, with the tuple named; with a range
// that holds what the closes need it is applied as before.
TEST(RuleMaxTwBuckets, ARaiseThatWouldExhaustATupleIsNotApplied) {
  // 200 TIME_WAITs (the limit) toward one destination; 300 closes refused in 5 s: 60/s.
  auto overflowing = [](const char* range) {
    InputBuilder b;
    b.set("net.ipv4.ip_local_port_range", range);
    b.set("net.ipv4.tcp_max_tw_buckets", "200");
    b.set("net.ipv4.tcp_tw_reuse", "0");
    b.churn(40, 5, "10.0.0.1", "10.0.0.9:8080", 40000);
    b.facts.sockstat->tw = 200;
    b.facts.counters = {{"TCPTimeWaitOverflow", 300}, {"TW", 0}};
    DoctorInput in = b.build();
    in.earlier = in.facts;
    in.earlier->counters = {{"TCPTimeWaitOverflow", 0}, {"TW", 0}};
    in.interval_seconds = 5;
    return rule_max_tw_buckets(in);
  };
  auto f = overflowing("40000 40999");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  ASSERT_EQ(f[0].sysctls.size(), 1u);
  EXPECT_EQ(f[0].sysctls[0].value, "8192");
  EXPECT_FALSE(f[0].sysctls[0].apply);
  EXPECT_EQ(to_json(f[0].data)["raise_exhausts"]["tuple"], "10.0.0.1 -> 10.0.0.9:8080");
  EXPECT_EQ(to_json(f[0].data)["raise_exhausts"]["would_hold"], 3600);
  EXPECT_EQ(to_json(f[0].data)["raise_exhausts"]["available"], 1000);
  EXPECT_TRUE(testing::evidence_has(f[0], "~3,600 ports of its 1,000"));

  f = overflowing("10000 65535");  // 55,536 ports hold 3,600
  ASSERT_EQ(f[0].sysctls.size(), 1u);
  EXPECT_TRUE(f[0].sysctls[0].apply);
  EXPECT_TRUE(to_json(f[0].data)["raise_exhausts"].is_null());
}

}  // namespace
}  // namespace tw
