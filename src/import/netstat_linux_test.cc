// SPDX-License-Identifier: Apache-2.0
#include "import/netstat_linux.h"

#include <gtest/gtest.h>

#include "model/portable.h"

namespace tw {
namespace {

TEST(NetstatLinux, TcpAndTcp6Lines) {
  NetstatLinuxParser p;
  Socket s;
  EXPECT_EQ(p.parse("Active Internet connections (servers and established)", &s).kind,
            LineKind::kHeader);
  EXPECT_EQ(p.parse("Proto Recv-Q Send-Q Local Address           Foreign Address         State     "
                    "  PID/Program name",
                    &s)
                .kind,
            LineKind::kHeader);
  ASSERT_EQ(p.parse("tcp        0      0 127.0.0.1:8080          0.0.0.0:*               LISTEN    "
                    "  13732/python3",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kListen);
  EXPECT_EQ(s.pid, 13732);
  EXPECT_EQ(s.original_state, "LISTEN");
  ASSERT_EQ(
      p.parse("tcp        0      0 127.0.0.1:34890         127.0.0.1:8080          TIME_WAIT   -",
              &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.pid, -1);
  EXPECT_TRUE(s.mini);
  ASSERT_EQ(
      p.parse("tcp6       0      0 :::8443                 :::*                    LISTEN", &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.local.addr.family, AF_INET6);
  // tcp6 sockets talking IPv4 are printed as plain IPv4: they are IPv4-mapped IPv6.
  ASSERT_EQ(
      p.parse("tcp6       0      0 127.0.0.1:8443          127.0.0.1:53454         ESTABLISHED", &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.local.to_string(), "[::ffff:127.0.0.1]:8443");
}

TEST(NetstatLinux, NotRootNotice) {
  NetstatLinuxParser p;
  Socket s;
  EXPECT_EQ(p.parse("(Not all processes could be identified, non-owned process info", &s).kind,
            LineKind::kIgnored);
  EXPECT_EQ(p.parse(" will not be shown, you would have to be root to see it all.)", &s).kind,
            LineKind::kIgnored);
}

TEST(NetstatLinux, CutAddresses) {
  NetstatLinuxParser p;
  Socket s;
  // Cut so that it no longer parses: the socket still counts in its state, its address kept as
  // printed (a name, so out of port pressure), the port whole.
  auto r =
      p.parse("tcp6       0      0 2001:db8:aaaa:bbbb:7070 :::*                    LISTEN", &s);
  ASSERT_EQ(r.kind, LineKind::kSocket);
  EXPECT_STREQ(r.reason, kNetstatCut);
  EXPECT_EQ(r.cut, 1);
  EXPECT_EQ(s.state, TcpState::kListen);
  EXPECT_TRUE(s.local.is_named());
  EXPECT_EQ(s.local.to_string(), "2001:db8:aaaa:bbbb\xE2\x80\xA6:7070");
  EXPECT_EQ(s.local.port, 7070);
  EXPECT_NE(std::string(r.reason).find("netstat -antW"), std::string::npos);
  // The printed form reads back (a census --save snapshot holds endpoints so).
  auto back = Endpoint::parse(s.local.to_string());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s.local);
  // A full column that still parses is read, with a warning.
  r = p.parse("tcp6       0      0 2001:db8:aa:bb::1:40050 ::1:9090                ESTABLISHED",
              &s);
  EXPECT_EQ(r.kind, LineKind::kSocket);
  EXPECT_STREQ(r.reason, kNetstatMaybeCut);
  // -W: whole addresses.
  r = p.parse(
      "tcp6       0      0 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1:7070 :::*                    LISTEN",
      &s);
  ASSERT_EQ(r.kind, LineKind::kSocket);
  EXPECT_STREQ(r.reason, "");
  EXPECT_EQ(s.local.port, 7070);
}

// netstat -o: the Timer column, as net-tools prints it ("timewait (45.83/0/0)").
TEST(NetstatLinux, Timers) {
  NetstatLinuxParser p;
  Socket s;
  ASSERT_EQ(p.parse("tcp        0      0 127.0.0.1:45678         127.0.0.1:9000          TIME_WAIT "
                    "  0          0          -                    timewait (45.83/0/0)",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.timer_ms, 45830);
  EXPECT_TRUE(s.mini);
  ASSERT_EQ(p.parse("tcp        0      0 127.0.0.1:9000          0.0.0.0:*               LISTEN  "
                    "    0          16167384   3734/python3         off (0.00/0/0)",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.timer_ms, -1);
  EXPECT_EQ(s.pid, 3734);
  ASSERT_EQ(
      p.parse("tcp 0 0 10.0.0.1:22 10.0.0.2:5000 ESTABLISHED keepalive (7186.60/0/0)", &s).kind,
      LineKind::kSocket);
  EXPECT_EQ(s.timer_ms, 7186600);
  EXPECT_FALSE(s.mini);
}

TEST(NetstatLinux, OtherSocketsAreIgnored) {
  NetstatLinuxParser p;
  Socket s;
  EXPECT_EQ(
      p.parse("udp        0      0 127.0.0.1:5353          127.0.0.1:5354          ESTABLISHED", &s)
          .kind,
      LineKind::kIgnored);
  EXPECT_EQ(p.parse("Active UNIX domain sockets (w/o servers)", &s).kind, LineKind::kHeader);
  EXPECT_EQ(p.parse("Proto RefCnt Flags       Type       State         I-Node   Path", &s).kind,
            LineKind::kHeader);
  EXPECT_EQ(
      p.parse("unix  3      [ ]         STREAM     CONNECTED     10609448 @twimp-fixture", &s).kind,
      LineKind::kIgnored);
  // Without -n: the name is kept, the service is its port.
  ASSERT_EQ(p.parse("tcp 0 0 localhost:ssh 0.0.0.0:* LISTEN", &s).kind, LineKind::kSocket);
  EXPECT_EQ(s.local.to_string(), "localhost:22");
  EXPECT_EQ(p.parse("tcp 0 0 1.2.3.4:22 0.0.0.0:* NOSUCH", &s).kind, LineKind::kBad);
}

// net-tools in another language (its catalogs, as local_netstat_tan_*.txt were captured): the
// Czech LAST_ACK is two words, and a localized UNIX title starts a section without TCP lines.
TEST(NetstatLinux, OtherLanguages) {
  NetstatLinuxParser p;
  Socket s;
  ASSERT_EQ(p.parse("tcp        0      1 10.0.0.5:40000          10.0.0.9:80             "
                    "POSLEDN\xC3\x8D ACK 1234/curl",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kLastAck);
  EXPECT_EQ(s.original_state, "POSLEDN\xC3\x8D ACK");
  EXPECT_EQ(s.pid, 1234);
  ASSERT_EQ(p.parse("tcp        0      0 0.0.0.0:22              0.0.0.0:*               OU\xC3\x87"
                    "A",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kListen);
  EXPECT_EQ(
      p.parse("Aktive Sockets in der UNIX-Dom\xC3\xA4ne (Server und stehende Verbindungen)", &s)
          .kind,
      LineKind::kHeader);
  EXPECT_EQ(
      p.parse("unix  2      [ ACC ]     STREAM     H\xC3\x96RT         12345    /run/x", &s).kind,
      LineKind::kIgnored);
  EXPECT_EQ(p.parse("Aktive Internetverbindungen (Server und stehende Verbindungen)", &s).kind,
            LineKind::kHeader);
  ASSERT_EQ(p.parse("tcp 0 0 127.0.0.1:9000 127.0.0.1:58080 VERBUNDEN", &s).kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kEstablished);
}

}  // namespace
}  // namespace tw
