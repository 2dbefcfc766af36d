// SPDX-License-Identifier: Apache-2.0
#include "import/proc_text.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace tw {
namespace {

TEST(ProcText, TimeWaitLineCarriesItsTimer) {
  ProcTextParser p;
  Socket s;
  EXPECT_EQ(p.parse("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
                    "uid  timeout inode",
                    &s)
                .kind,
            LineKind::kHeader);
  ASSERT_EQ(p.parse("   9: 0100007F:884A 0100007F:1F90 06 00000000:00000000 03:00001731 00000000   "
                    "  0        0 0 3 0000000000000000",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kTimeWait);
  EXPECT_TRUE(s.mini);
  EXPECT_EQ(s.timer_ms, 0x1731 * 10);
  EXPECT_EQ(s.local.to_string(), "127.0.0.1:34890");
  EXPECT_EQ(s.original_state, "06");
  EXPECT_EQ(p.parse("   9: zz", &s).kind, LineKind::kBad);
}

}  // namespace
}  // namespace tw
