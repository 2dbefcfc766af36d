// SPDX-License-Identifier: Apache-2.0
#include "sources/procfs_tcp.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

// Lines captured from this project's test namespace on Linux 6.18 (x86_64): a listener on
// 127.0.0.1:8080, a TIME_WAIT from 127.0.0.1:37298, and an IPv6 connection on [::1]:8443.
constexpr const char* kHeader4 =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode                                                     ";
constexpr const char* kListen4 =
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
    "9027 1 00000000d46de4e7 100 0 0 10 0                      ";
constexpr const char* kTimeWait4 =
    "   1: 0100007F:91B2 0100007F:1F90 06 00000000:00000000 03:0000175C 00000000     0        0 0 "
    "3 0000000033294526                                      ";
constexpr const char* kHeader6 =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
constexpr const char* kEstab6 =
    "   2: 00000000000000000000000001000000:CBE6 00000000000000000000000001000000:20FB 01 "
    "00000000:00000000 00:00000000 00000000     0        0 9031 2 00000000a5b473f8 20 0 0 10 -1";

TEST(ProcTcp, RecognisesBothHeaders) {
  EXPECT_TRUE(is_proc_tcp_header(kHeader4));
  EXPECT_TRUE(is_proc_tcp_header(kHeader6));
  EXPECT_FALSE(is_proc_tcp_header(kListen4));
  EXPECT_FALSE(parse_proc_tcp_line(kHeader4).has_value());
}

TEST(ProcTcp, ParsesListener) {
  auto s = parse_proc_tcp_line(kListen4);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->state, TcpState::kListen);
  EXPECT_EQ(s->local.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(s->remote.to_string(), "0.0.0.0:0");
  EXPECT_EQ(s->inode, 9027u);
  EXPECT_FALSE(s->mini);
  EXPECT_EQ(s->timer_ms, -1);
}

TEST(ProcTcp, TimeWaitTimerIsInClockTicks) {
  auto s = parse_proc_tcp_line(kTimeWait4);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->state, TcpState::kTimeWait);
  EXPECT_EQ(s->local.to_string(), "127.0.0.1:37298");
  EXPECT_EQ(s->remote.port, 8080);
  EXPECT_TRUE(s->mini);
  EXPECT_EQ(s->timer_ms, 0x175C * 10);  // 59.8 s left of 60 s
}

TEST(ProcTcp, ParsesIpv6) {
  auto s = parse_proc_tcp_line(kEstab6);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->state, TcpState::kEstablished);
  EXPECT_EQ(s->local.to_string(), "[::1]:52198");
  EXPECT_EQ(s->remote.to_string(), "[::1]:8443");
}

TEST(ProcTcp, RejectsMalformedLinesWithAReason) {
  EXPECT_NE(parse_proc_tcp_line("   0: 0100007F:1F90").error().find("remote"), std::string::npos);
  EXPECT_NE(parse_proc_tcp_line("   0: 0100007F:1F90 00000000:0000 ZZ 0:0 00:0 0 0 0 1")
                .error()
                .find("state"),
            std::string::npos);
  EXPECT_FALSE(parse_proc_tcp_line("").has_value());
  // Found by the fuzzer: a 16-digit timer overflowed the conversion to milliseconds.
  auto huge = parse_proc_tcp_line(
      "   1: 0100007F:91B2 0100007F:1F90 06 00000000:00000000 03:1000000010000000 00000000     0 "
      "       0 0 3 0000000033294526");
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().find("timer value out of range"), std::string::npos);
  EXPECT_FALSE(parse_proc_tcp_line("garbage").has_value());
}

}  // namespace
}  // namespace tw
