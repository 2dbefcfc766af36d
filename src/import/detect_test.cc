#include "import/detect.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(Detect, EachFormatFromAFewLines) {
  EXPECT_EQ(detect_format({"State Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
                           "TIME-WAIT 0 0 127.0.0.1:34890 127.0.0.1:8080"}),
            "ss");
  EXPECT_EQ(detect_format({"TIME-WAIT 0 0 127.0.0.1:34890 127.0.0.1:8080"}), "ss");  // ss -H
  EXPECT_EQ(detect_format({"0 0 127.0.0.1:34890 127.0.0.1:8080"}), "ss");  // ss -H state X
  EXPECT_EQ(detect_format({"tcp 0 0 127.0.0.1:34890 127.0.0.1:8080 TIME_WAIT"}), "netstat-linux");
  EXPECT_EQ(
      detect_format({"Active Connections", "  TCP    127.0.0.1:18115  127.0.0.1:80  TIME_WAIT  0"}),
      "netstat-windows");
  EXPECT_EQ(detect_format({"tcp4 0 0 127.0.0.1.8080 127.0.0.1.52346 TIME_WAIT"}), "netstat-bsd");
  EXPECT_EQ(detect_format({"tcp6 0 0 ::1.8080 ::1.52346 TIME_WAIT"}), "netstat-bsd");
  EXPECT_EQ(detect_format({"tcp6 0 0 ::1:8080 ::1:52346 TIME_WAIT"}), "netstat-linux");
  EXPECT_EQ(
      detect_format(
          {"LocalAddress LocalPort RemoteAddress RemotePort State AppliedSetting OwningProcess",
           "::  445  ::  0  Listen  4"}),
      "powershell-table");
  EXPECT_EQ(
      detect_format({"\"LocalAddress\",\"LocalPort\",\"RemoteAddress\",\"RemotePort\",\"State\"",
                     "\"::\",\"445\",\"::\",\"0\",\"Listen\""}),
      "powershell-csv");
  EXPECT_EQ(detect_format({"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
                           "00000000     0        0 10578584 1 0000000000000000 100 0 0 10 0"}),
            "proc");
}

TEST(Detect, TextOfNoKnownFormat) {
  EXPECT_EQ(detect_format({"hello world", "this is a README"}), "");
  EXPECT_EQ(detect_format({}), "");
}

}  // namespace
}  // namespace tw
