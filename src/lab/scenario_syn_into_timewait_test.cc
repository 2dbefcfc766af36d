// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_syn_into_timewait.h"

#include <gtest/gtest.h>

namespace tw::lab {
namespace {

void expect_outcomes(const SynIntoTimeWait& m) {
  EXPECT_EQ(m.server_time_wait_before, 1);
  EXPECT_EQ(m.reconnect_answer, "SYN-ACK");
  EXPECT_LT(m.reconnect_ms, 500);
  for (const SynAnswer& a : m.probes) {
    EXPECT_EQ(a.accepted, a.expect_accept) << a.label << ": " << a.answer;
    if (!a.expect_accept) {
      EXPECT_EQ(a.answer, "ACK") << a.label;
    }
  }
}

TEST(SynIntoTimeWaitScenario, HigherSeqAcceptedLowerNotWithTimestamps) {
  auto m = measure_syn_into_timewait(true);
  ASSERT_TRUE(m) << m.error();
  ASSERT_EQ(m->probes.size(), 3u);
  expect_outcomes(*m);
  EXPECT_FALSE(m->probes[0].accepted);  // lower seq, older timestamp
  EXPECT_GE(m->probes[0].paws_timewait + m->probes[0].paws_estab, 1);
  EXPECT_TRUE(m->probes[2].accepted);  // higher seq
}

TEST(SynIntoTimeWaitScenario, HigherSeqAcceptedLowerNotWithoutTimestamps) {
  auto m = measure_syn_into_timewait(false);
  ASSERT_TRUE(m) << m.error();
  ASSERT_EQ(m->probes.size(), 2u);
  expect_outcomes(*m);
  EXPECT_FALSE(m->probes[0].accepted);
  EXPECT_TRUE(m->probes[1].accepted);
}

}  // namespace
}  // namespace tw::lab
