#include "import/netstat_bsd.h"

#include <gtest/gtest.h>

#include "model/portable.h"

namespace tw {
namespace {

TEST(NetstatBsd, Rows) {
  NetstatBsdParser p;
  Socket s;
  EXPECT_EQ(p.parse("Active Internet connections (including servers)", &s).kind, LineKind::kHeader);
  ASSERT_EQ(
      p.parse("tcp4       0      0  127.0.0.1.8080         127.0.0.1.52346        TIME_WAIT", &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kTimeWait);
  EXPECT_EQ(s.local.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(s.remote.port, 52346);
  ASSERT_EQ(
      p.parse("tcp46      0      0  *.8080                 *.*                    LISTEN", &s).kind,
      LineKind::kSocket);
  EXPECT_EQ(s.local.addr.family, AF_INET6);
  EXPECT_EQ(s.local.port, 8080);
  ASSERT_EQ(
      p.parse("tcp4       0      0  192.168.1.20.22        192.168.1.30.60000     SYN_RCVD", &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kSynRecv);
  EXPECT_EQ(s.original_state, "SYN_RCVD");
  EXPECT_EQ(p.parse("udp4       0      0  *.5353                 *.*", &s).kind,
            LineKind::kIgnored);
}

TEST(NetstatBsd, UnixSectionIsIgnored) {
  NetstatBsdParser p;
  Socket s;
  EXPECT_EQ(p.parse("Active LOCAL (UNIX) domain sockets", &s).kind, LineKind::kHeader);
  EXPECT_EQ(
      p.parse("5f0c2c7d3c1b2a1f stream      0      0                0 5f0c2c7d3c1b2b2f", &s).kind,
      LineKind::kIgnored);
  EXPECT_EQ(p.parse("Active Internet connections", &s).kind, LineKind::kHeader);
  EXPECT_EQ(p.parse("tcp6 0 0 :::22 :::* LISTEN", &s).kind, LineKind::kBad);  // Linux spelling
}

}  // namespace
}  // namespace tw
