// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>

#include "doctor/test_input.h"
#include "trace/test_flow_key.h"

namespace tw {
namespace {

using testing::evidence_has;
using testing::InputBuilder;
using testing::with_id;

tw_flow_key client_key(uint32_t pid, const char* comm, const char* laddr, const char* raddr,
                       uint16_t rport) {
  return testing::flow_key(pid, comm, TW_ROLE_CLIENT, laddr, 0, raddr, rport);
}

TEST(RuleTraceOwners, NamesTheProcessBehindTheWorstTupleAndEveryEaddrnotavail) {
  InputBuilder b;
  b.outgoing(900, TcpState::kTimeWait, "10.0.0.5", "10.0.0.9:8080");
  b.outgoing(50, TcpState::kTimeWait, "10.0.0.5", "10.0.0.7:6379", 40000);
  DoctorInput in = b.build();
  SummaryBuilder sb;
  // A quieter process on the same tuple, and the one that makes most of its TIME_WAITs.
  sb.add_flow(client_key(11, "cron", "10.0.0.5", "10.0.0.9", 8080), {10, 10, 0, 0});
  sb.add_flow(client_key(10, "api", "10.0.0.5", "10.0.0.9", 8080), {150, 150, 0, 0});
  sb.add_flow(client_key(12, "cache", "10.0.0.5", "10.0.0.7", 6379), {500, 500, 0, 4});
  tw_fail_key fk{client_key(12, "cache", "10.0.0.5", "10.0.0.7", 6379), EADDRNOTAVAIL, 0};
  sb.add_failure(fk, 33);
  TraceSummary t = sb.finish(10, {});
  in.trace = &t;

  auto f = with_id(run_rules(in), "trace-owners");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].title.find("10.0.0.5 -> 10.0.0.9:8080 are made by pid 10 (api)"),
            std::string::npos)
      << f[0].title;
  EXPECT_NE(f[0].title.find("33 connect() calls failed with EADDRNOTAVAIL"), std::string::npos);
  EXPECT_TRUE(evidence_has(f[0],
                           "pid 10 (api): closed first 150 times toward 10.0.0.5 -> "
                           "10.0.0.9:8080 in 10 s (~15/s)"));
  EXPECT_TRUE(evidence_has(f[0], "pid 11 (cron): closed first 10 times"));
  EXPECT_TRUE(evidence_has(f[0],
                           "pid 12 (cache): 33 connect() failed with EADDRNOTAVAIL toward "
                           "10.0.0.7:6379"));
  EXPECT_TRUE(evidence_has(f[0], "pid 12 (cache): 4 connect() calls on a socket bound"));
}

TEST(RuleTraceOwners, SaysWhenNobodyClosedOnTheWorstTupleAndIsSilentWithoutTrace) {
  InputBuilder b;
  b.outgoing(100, TcpState::kTimeWait, "10.0.0.5", "10.0.0.9:8080");
  DoctorInput in = b.build();
  EXPECT_TRUE(with_id(run_rules(in), "trace-owners").empty());
  TraceSummary t = SummaryBuilder{}.finish(5, {});
  in.trace = &t;
  auto f = with_id(run_rules(in), "trace-owners");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_TRUE(
      evidence_has(f[0], "no process closed a connection toward 10.0.0.5 -> 10.0.0.9:8080"));
}

// The cure "let the server close first" holds on a direct path only: it says so, and on a host
// whose listening ports hold TIME_WAITs toward a NAT (few peers, most of them) it is not given.
TEST(RuleTraceOwners, LettingTheServerCloseFirstIsForADirectPathOnly) {
  auto owners = [](bool behind_nat) {
    InputBuilder b;
    b.outgoing(900, TcpState::kTimeWait, "10.0.0.5", "10.0.0.9:8080");
    if (behind_nat) {
      b.add(testing::sock(TcpState::kListen, "0.0.0.0:80", "0.0.0.0:0"));
      for (int i = 0; i < 64; ++i)
        b.add(testing::sock(TcpState::kTimeWait, "10.0.0.5:80",
                            "10.77.2.11:" + std::to_string(40000 + i), 30000));
    }
    DoctorInput in = b.build();
    SummaryBuilder sb;
    sb.add_flow(client_key(10, "api", "10.0.0.5", "10.0.0.9", 8080), {150, 150, 0, 0});
    TraceSummary t = sb.finish(10, {});
    in.trace = &t;
    auto f = with_id(run_rules(in), "trace-owners");
    EXPECT_EQ(f.size(), 1u);
    return f.empty() ? std::string() : f[0].application.at(0);
  };
  const std::string direct = owners(false);
  EXPECT_NE(direct.find("on a direct path, letting the server close first"), std::string::npos)
      << direct;
  EXPECT_NE(direct.find("not behind a SNAT load balancer"), std::string::npos) << direct;
  const std::string nat = owners(true);
  EXPECT_NE(nat.find("Not \"let the server close first\""), std::string::npos) << nat;
  EXPECT_NE(nat.find("10.77.2.11"), std::string::npos) << nat;
}

}  // namespace
}  // namespace tw
