// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_lost_last_ack.h"

#include <gtest/gtest.h>

namespace tw::lab {
namespace {

TEST(LostLastAckScenario, TimeWaitAnswersTheRetransmittedFinAndLingerZeroResets) {
  auto o = measure_lost_last_ack(3);
  ASSERT_TRUE(o) << o.error();
  // With TIME_WAIT: the drop happened, the FIN came again, TIME_WAIT answered it, clean close.
  EXPECT_EQ(o->final_acks_dropped, 3);
  EXPECT_EQ(o->server_fins, 6);
  EXPECT_GE(o->server_retransmits, 3);
  EXPECT_GE(o->acks_from_time_wait, 3);
  EXPECT_EQ(o->clean_closes, 3);
  EXPECT_EQ(o->close_errors, 0);
  EXPECT_GE(o->mean_close_ms, 150);  // the FIN waited one RTO (>= TCP_RTO_MIN, 200 ms)
  EXPECT_EQ(o->client_time_wait, 3);
  EXPECT_EQ(o->client_resets_sent, 0);
  EXPECT_EQ(o->server_not_closed, 0);
  // Without TIME_WAIT (SO_LINGER 0): an RST, and the passive side's read fails.
  EXPECT_EQ(o->linger_resets_sent, 3);
  EXPECT_EQ(o->resets_seen, 3);
  EXPECT_EQ(o->linger_client_time_wait, 0);
}

TEST(LostLastAckScenario, RowsAllConfirmed) {
  LabOptions opts;
  opts.count = 2;
  auto r = run_lost_last_ack(opts);
  ASSERT_TRUE(r) << r.error();
  for (const Row& row : r->rows)
    EXPECT_NE(row.verdict, Verdict::kDiffers) << row.what << ": " << row.measured;
}

}  // namespace
}  // namespace tw::lab
