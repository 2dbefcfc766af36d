// SPDX-License-Identifier: Apache-2.0
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

// macOS -A prints the flow hash with %8x: short hashes are padded with blanks ("  6a3d6e4",
// "       0"), so the column can be one to eight hex digits.
TEST(NetstatBsd, ShortFlowHash) {
  NetstatBsdParser p;
  Socket s;
  ASSERT_EQ(p.parse("7fb03cb95fad8165  6a3d6e4 tcp4       0      0  192.168.1.221.5450 "
                    "192.168.1.201.4923 ESTABLISHED",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kEstablished);
  EXPECT_EQ(
      p.parse("7fb03cb93d5b800d        0 udp4       0      0  *.5353             *.*", &s).kind,
      LineKind::kIgnored);
}

// Without -W netstat cuts what does not fit: IPv6 hosts to 16 characters, "host.port" to 18
// characters with -A (22 without). Such sockets count; the cut parts are kept as printed.
TEST(NetstatBsd, CutColumns) {
  NetstatBsdParser p;
  Socket s;
  auto r = p.parse(
      "7fb03cb946c1cbcd  3c023c0 tcp6       0      0  2600:1700:bab0:d.5 "
      "2607:f8b0:4003:c.9 ESTABLISHED",
      &s);
  ASSERT_EQ(r.kind, LineKind::kSocket);
  EXPECT_STREQ(r.reason, kNetstatBsdCut);
  EXPECT_EQ(r.cut, 2);
  EXPECT_TRUE(s.local.is_named());
  EXPECT_EQ(s.local.to_string(), "2600:1700:bab0:d\xE2\x80\xA6:5\xE2\x80\xA6");
  // An IPv4 address is never cut, only the port after it: 5 digits are a whole port.
  r = p.parse(
      "7fb03cb95fad77dd 3f163cd2 tcp4       0      0  192.168.1.221.5450 "
      "192.168.1.64.53380 ESTABLISHED",
      &s);
  ASSERT_EQ(r.kind, LineKind::kSocket);
  EXPECT_EQ(r.cut, 1);
  EXPECT_EQ(s.local.addr.to_string(), "192.168.1.221");
  EXPECT_TRUE(s.local.is_named());
  EXPECT_FALSE(s.remote.is_named());
  EXPECT_EQ(s.remote.port, 53380);
  // 22 columns without -A: a cut IPv6 peer of a TIME_WAIT socket (it used to be skipped).
  r = p.parse("tcp6       0      0  kbrazil-mac.attl.62983 2600:9000:2202:9.https TIME_WAIT  ", &s);
  ASSERT_EQ(r.kind, LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kTimeWait);
  EXPECT_EQ(r.cut, 1);  // the local host is a name anyway
  EXPECT_EQ(s.local.port, 62983);
  // Once a field is wider than the column, netstat ran with -W: nothing is cut.
  NetstatBsdParser wide;
  r = wide.parse("tcp6  0  0  2001:db8:aaaa:bbbb:cccc:dddd:eeee:1.7070  *.*  LISTEN", &s);
  ASSERT_EQ(r.kind, LineKind::kSocket);
  r = wide.parse("tcp6  0  0  2603:1030:b00::e.443  *.*  LISTEN", &s);
  ASSERT_EQ(r.kind, LineKind::kSocket);
  EXPECT_STREQ(r.reason, "");
  EXPECT_FALSE(s.local.is_named());
}

TEST(NetstatBsd, MultipathSectionIsNotTcp) {
  NetstatBsdParser p;
  Socket s;
  EXPECT_EQ(p.parse("Active Multipath Internet connections", &s).kind, LineKind::kHeader);
  EXPECT_EQ(
      p.parse("Proto/ID  Flags      Local Address          Foreign Address        (state)    ", &s)
          .kind,
      LineKind::kHeader);
  EXPECT_EQ(p.parse("Active Internet connections", &s).kind, LineKind::kHeader);
  EXPECT_EQ(p.parse("tcp4 0 0 127.0.0.1.8080 127.0.0.1.52346 TIME_WAIT", &s).kind,
            LineKind::kSocket);
}

}  // namespace
}  // namespace tw
