// SPDX-License-Identifier: Apache-2.0
#include "import/ss_text.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(SsText, HeaderAndSocket) {
  SsTextParser p(std::nullopt);
  Socket s;
  EXPECT_EQ(
      p.parse("State      Recv-Q Send-Q     Local Address:Port    Peer Address:Port Process", &s)
          .kind,
      LineKind::kHeader);
  std::string line = "ESTAB      0      0          127.0.0.1:8080         127.0.0.1:34880";
  ASSERT_EQ(p.parse(line, &s).kind, LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kEstablished);
  EXPECT_EQ(s.original_state, "ESTAB");
  EXPECT_EQ(s.local.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(s.remote.to_string(), "127.0.0.1:34880");
  EXPECT_EQ(s.pid, -1);
  EXPECT_EQ(s.timer_ms, -1);
  EXPECT_FALSE(s.mini);
}

TEST(SsText, ProcessTimerAndExtended) {
  SsTextParser p(std::nullopt);
  Socket s;
  ASSERT_EQ(p.parse("LISTEN 0 64 127.0.0.1:8080 0.0.0.0:* users:((\"nginx\",pid=1234,fd=6),"
                    "(\"nginx\",pid=1235,fd=6)) uid:33 ino:98765 sk:1",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.pid, 1234);
  EXPECT_EQ(s.uid, 33u);
  EXPECT_EQ(s.inode, 98765u);
  ASSERT_EQ(p.parse("TIME-WAIT 0 0 [::1]:35772 [::1]:9090 timer:(timewait,52sec,0)", &s).kind,
            LineKind::kSocket);
  EXPECT_EQ(s.timer_ms, 52000);
  EXPECT_TRUE(s.mini);
  ASSERT_EQ(p.parse("FIN-WAIT-2 0 0 [::1]:35786 [::1]:9090 timer:(timewait,59sec,0)", &s).kind,
            LineKind::kSocket);
  EXPECT_TRUE(s.mini) << "an orphan FIN-WAIT-2 with the timewait timer is a mini-socket";
  ASSERT_EQ(p.parse("FIN-WAIT-2 0 0 127.0.0.1:1 127.0.0.1:2 timer:(on,200ms,0)", &s).kind,
            LineKind::kSocket);
  EXPECT_FALSE(s.mini);
  EXPECT_EQ(s.timer_ms, 200);
}

TEST(SsText, DetailLinesAreIgnored) {
  SsTextParser p(std::nullopt);
  Socket s;
  auto r = p.parse("\t bbr wscale:10,10 rto:204 rtt:0.006/0.003", &s);
  EXPECT_EQ(r.kind, LineKind::kIgnored);
}

TEST(SsText, StateFilterOutputNeedsTheState) {
  Socket s;
  SsTextParser without(std::nullopt);
  EXPECT_EQ(without.parse("Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess", &s).kind,
            LineKind::kHeader);
  auto r = without.parse("0      0          127.0.0.1:34890    127.0.0.1:8080", &s);
  EXPECT_EQ(r.kind, LineKind::kBad);
  EXPECT_NE(std::string(r.reason).find("--state"), std::string::npos);
  SsTextParser with(TcpState::kTimeWait);
  ASSERT_EQ(with.parse("0      0          127.0.0.1:34890    127.0.0.1:8080", &s).kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kTimeWait);
  EXPECT_TRUE(s.mini);
}

TEST(SsText, NetidColumn) {
  SsTextParser p(std::nullopt);
  Socket s;
  EXPECT_EQ(
      p.parse("Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process", &s).kind,
      LineKind::kHeader);
  EXPECT_EQ(p.parse("udp   UNCONN 0      0      0.0.0.0:68         0.0.0.0:*", &s).kind,
            LineKind::kIgnored);
  EXPECT_EQ(p.parse("u_str ESTAB  0      0      * 1234             * 1235", &s).kind,
            LineKind::kIgnored);
  ASSERT_EQ(p.parse("tcp   LISTEN 0      128    0.0.0.0:22         0.0.0.0:*", &s).kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kListen);
}

TEST(SsText, BadLines) {
  SsTextParser p(std::nullopt);
  Socket s;
  EXPECT_EQ(p.parse("GARBAGE 0 0 1.2.3.4:5 6.7.8.9:10", &s).kind, LineKind::kBad);
  EXPECT_EQ(p.parse("ESTAB 0 0 1.2.3.4:5", &s).kind, LineKind::kBad);
  EXPECT_EQ(p.parse("ESTAB x 0 1.2.3.4:5 6.7.8.9:10", &s).kind, LineKind::kBad);
  auto r = p.parse("ESTAB 0 0 1.2.3:5 6.7.8.9:10", &s);
  EXPECT_EQ(r.kind, LineKind::kBad);
  EXPECT_NE(std::string(r.reason).find("address"), std::string::npos);
  // ss -r / without -n: names are sockets too.
  ASSERT_EQ(p.parse("ESTAB 0 0 localhost:http 6.7.8.9:10", &s).kind, LineKind::kSocket);
  EXPECT_EQ(s.local.to_string(), "localhost:80");
}

}  // namespace
}  // namespace tw
