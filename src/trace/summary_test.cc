// SPDX-License-Identifier: Apache-2.0
#include "trace/summary.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>

#include "trace/test_flow_key.h"

namespace tw {
namespace {

using testing::flow_key;

TEST(TraceSummary, MergesFailuresIntoTheirFlowAndTotalsPerProcess) {
  SummaryBuilder b;
  tw_flow_key to_db = flow_key(10, "api", TW_ROLE_CLIENT, "10.0.0.5", 0, "10.0.0.9", 5432);
  tw_flow_key to_cache = flow_key(10, "api", TW_ROLE_CLIENT, "10.0.0.5", 0, "10.0.0.7", 6379);
  b.add_flow(to_db, tw_flow_counts{100, 100, 0, 3});
  b.add_flow(to_cache, tw_flow_counts{5, 0, 5, 0});
  b.add_failure(tw_fail_key{to_db, EADDRNOTAVAIL, 0}, 40);
  b.add_failure(tw_fail_key{to_db, ECONNREFUSED, 0}, 2);
  b.add_flow(flow_key(20, "nginx", TW_ROLE_SERVER, "10.0.0.5", 80, "10.0.0.1", 0),
             tw_flow_counts{0, 7, 1, 0});
  TraceSummary s = b.finish(10, TraceLoss{});

  ASSERT_EQ(s.flows.size(), 3u);
  const TraceFlow& worst = s.flows[0];  // 100 TIME_WAITs made and 42 failures
  EXPECT_EQ(worst.remote.to_string(), "10.0.0.9:5432");
  EXPECT_EQ(worst.local.to_string(), "10.0.0.5:0");
  EXPECT_EQ(worst.counts.failed.at(EADDRNOTAVAIL), 40u);
  EXPECT_EQ(worst.counts.failed_total(), 42u);
  EXPECT_EQ(worst.counts.bind_before_connect, 3u);
  EXPECT_EQ(closes_first(worst.counts), "this process");
  EXPECT_EQ(s.flows[1].comm, "nginx");
  EXPECT_EQ(s.flows[1].role, TraceRole::kServer);
  EXPECT_EQ(closes_first(s.flows[1].counts), "both");
  EXPECT_EQ(closes_first(s.flows[2].counts), "peer");

  auto procs = s.processes();
  ASSERT_EQ(procs.size(), 2u);
  EXPECT_EQ(procs[0].pid, 10);
  EXPECT_EQ(procs[0].counts.connects, 105u);
  EXPECT_EQ(procs[0].counts.active_closes, 100u);
  EXPECT_EQ(procs[0].counts.passive_closes, 5u);
  EXPECT_EQ(procs[0].counts.failed_total(), 42u);
}

// A failed bind() is counted apart from failed connects, per process and the address it asked
// for, and makes the process a worst row as failures do.
TEST(TraceSummary, FailedBindsAreTheirOwnCount) {
  SummaryBuilder b;
  tw_flow_key bind_key = flow_key(30, "client", TW_ROLE_CLIENT, "10.93.1.1", 0, "0.0.0.0", 0);
  b.add_failure(tw_fail_key{bind_key, EADDRINUSE, TW_CALL_BIND}, 202);
  b.add_failure(tw_fail_key{flow_key(30, "client", TW_ROLE_CLIENT, "10.93.1.1", 0, "10.93.2.1", 80),
                            EADDRNOTAVAIL, TW_CALL_CONNECT},
                3);
  b.add_flow(flow_key(40, "other", TW_ROLE_CLIENT, "10.0.0.5", 0, "10.0.0.9", 80),
             tw_flow_counts{50, 50, 0, 0});
  TraceSummary s = b.finish(10, TraceLoss{});
  ASSERT_EQ(s.flows.size(), 3u);
  EXPECT_EQ(s.flows[0].local.addr.to_string(), "10.93.1.1");
  EXPECT_EQ(s.flows[0].counts.bind_failed.at(EADDRINUSE), 202u);
  EXPECT_EQ(s.flows[0].counts.failed_total(), 0u);
  auto procs = s.processes();
  ASSERT_EQ(procs.size(), 2u);
  EXPECT_EQ(procs[0].comm, "client");
  EXPECT_EQ(procs[0].counts.bind_failed_total(), 202u);
  EXPECT_EQ(procs[0].counts.failed_total(), 3u);
}

TEST(TraceSummary, SameProcessWithAnotherCommandIsAnotherRow) {
  // exec() keeps the pid and changes the name: both names stay visible.
  SummaryBuilder b;
  b.add_flow(flow_key(10, "sh", TW_ROLE_CLIENT, "127.0.0.1", 0, "127.0.0.1", 80), {1, 1, 0, 0});
  b.add_flow(flow_key(10, "curl", TW_ROLE_CLIENT, "127.0.0.1", 0, "127.0.0.1", 80), {1, 1, 0, 0});
  EXPECT_EQ(b.finish(1, {}).processes().size(), 2u);
}

TEST(TraceSummary, CommandNamesOfSixteenBytesAreCut) {
  tw_flow_key k = flow_key(1, "", TW_ROLE_CLIENT, "127.0.0.1", 0, "127.0.0.1", 80);
  std::memset(k.comm, 'x', sizeof k.comm);  // the kernel's buffer need not end in NUL here
  SummaryBuilder b;
  b.add_flow(k, {1, 0, 0, 0});
  EXPECT_EQ(b.finish(1, {}).flows[0].comm, std::string(16, 'x'));
}

}  // namespace
}  // namespace tw
