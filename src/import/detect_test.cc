// SPDX-License-Identifier: Apache-2.0
#include "import/detect.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

std::string fmt_of(const std::vector<std::string>& head) { return detect_format(head).format; }

TEST(Detect, EachFormatFromAFewLines) {
  EXPECT_EQ(fmt_of({"State Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
                    "TIME-WAIT 0 0 127.0.0.1:34890 127.0.0.1:8080"}),
            "ss");
  EXPECT_EQ(fmt_of({"TIME-WAIT 0 0 127.0.0.1:34890 127.0.0.1:8080"}), "ss");  // ss -H
  EXPECT_EQ(fmt_of({"0 0 127.0.0.1:34890 127.0.0.1:8080"}), "ss");            // ss -H state X
  EXPECT_EQ(fmt_of({"tcp 0 0 127.0.0.1:34890 127.0.0.1:8080 TIME_WAIT"}), "netstat-linux");
  EXPECT_EQ(fmt_of({"Active Connections", "  TCP    127.0.0.1:18115  127.0.0.1:80  TIME_WAIT  0"}),
            "netstat-windows");
  EXPECT_EQ(fmt_of({"tcp4 0 0 127.0.0.1.8080 127.0.0.1.52346 TIME_WAIT"}), "netstat-bsd");
  EXPECT_EQ(fmt_of({"tcp6 0 0 ::1.8080 ::1.52346 TIME_WAIT"}), "netstat-bsd");
  EXPECT_EQ(fmt_of({"tcp6 0 0 ::1:8080 ::1:52346 TIME_WAIT"}), "netstat-linux");
  EXPECT_EQ(
      fmt_of({"LocalAddress LocalPort RemoteAddress RemotePort State AppliedSetting OwningProcess",
              "::  445  ::  0  Listen  4"}),
      "powershell-table");
  EXPECT_EQ(fmt_of({"\"LocalAddress\",\"LocalPort\",\"RemoteAddress\",\"RemotePort\",\"State\"",
                    "\"::\",\"445\",\"::\",\"0\",\"Listen\""}),
            "powershell-csv");
  EXPECT_EQ(fmt_of({"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
                    "00000000     0        0 10578584 1 0000000000000000 100 0 0 10 0"}),
            "proc");
}

TEST(Detect, TextOfNoKnownFormat) {
  EXPECT_EQ(fmt_of({"hello world", "this is a README"}), "");
  EXPECT_EQ(fmt_of({}), "");
}

// Plain Windows `netstat` (no -n) has names in its endpoints. Linux netstat's parser took
// "Active Connections" for a non-IP section and ignored every row: 0 sockets, exit 0.
TEST(Detect, PlainWindowsNetstatIsWindows) {
  EXPECT_EQ(
      fmt_of({"Active Connections", "  Proto  Local Address          Foreign Address        State",
              "  TCP    127.0.0.1:1031         api:1032               ESTABLISHED",
              "  TCP    0.0.0.0:135            DESKTOP-7Q2:0          LISTENING"}),
      "netstat-windows");
}

// Sockets decide, not how many lines another parser refused; ignored lines alone decide nothing.
TEST(Detect, SocketsDecideNotRefusals) {
  // Two headers netstat-linux understands, but only netstat-bsd reads the sockets.
  EXPECT_EQ(
      fmt_of({"Active Internet connections (including servers)",
              "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)",
              "tcp4       0      0  myhost.local.62979     api.example.https      ESTABLISHED"}),
      "netstat-bsd");
  EXPECT_EQ(fmt_of({"udp 0 0 127.0.0.1:53 0.0.0.0:*"}), "");
}

TEST(Detect, NewShapes) {
  // netstat -A (FreeBSD Tcpcb; macOS Socket and Flowhash).
  EXPECT_EQ(fmt_of({"fffff80004a1c3d0 tcp4 0 0 10.0.0.5.22 10.0.0.9.61330 ESTABLISHED"}),
            "netstat-bsd");
  EXPECT_EQ(fmt_of({"6a1f9e3b2cc0a4d1 3b1c8e2f tcp4 0 0 10.0.0.5.22 10.0.0.9.61330 ESTABLISHED"}),
            "netstat-bsd");
  // ss -anH: Netid first, no header.
  EXPECT_EQ(fmt_of({"nl  UNCONN    0      0              0:0              *",
                    "tcp LISTEN    0      128    127.0.0.1:25      0.0.0.0:*"}),
            "ss");
  // netstat without -n.
  EXPECT_EQ(fmt_of({"tcp        0      0 localhost:smtp          0.0.0.0:*               LISTEN"}),
            "netstat-linux");
}

// When nothing fits, the format that got furthest is named with its first reason.
TEST(Detect, ClosestFormatAndItsReason) {
  Detection d = detect_format({"Active Internet connections (including servers)",
                               "Proto Rexmit OOORcv 0-win  Local Address  Foreign Address",
                               "tcp4       0      0     0  10.0.0.5.22    10.0.0.9.61330"});
  // BSD -T has no state column: the headers are read, the row is refused with that reason.
  EXPECT_EQ(d.format, "netstat-bsd");
  // The same rows without a header: nothing reads them.
  d = detect_format(
      {"tcp4 0 0 0 10.0.0.5.22 10.0.0.9.61330", "tcp4 0 0 10.0.0.5.22 10.0.0.9.61330"});
  EXPECT_EQ(d.format, "");
  EXPECT_EQ(d.closest, "netstat-bsd");
  EXPECT_NE(d.closest_reason.find("no state column"), std::string::npos) << d.closest_reason;
  EXPECT_EQ(d.closest_line, 1u);
  d = detect_format({"hello world"});
  EXPECT_EQ(d.closest, "");
}

}  // namespace
}  // namespace tw
