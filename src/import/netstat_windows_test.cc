#include "import/netstat_windows.h"

#include <gtest/gtest.h>

#include "model/portable.h"

namespace tw {
namespace {

TEST(NetstatWindows, Rows) {
  NetstatWindowsParser p;
  Socket s;
  EXPECT_EQ(p.parse("Active Connections", &s).kind, LineKind::kHeader);
  EXPECT_EQ(
      p.parse("  Proto  Local Address          Foreign Address        State           PID", &s)
          .kind,
      LineKind::kHeader);
  ASSERT_EQ(
      p.parse("  TCP    127.0.0.1:18115        127.0.0.1:80           TIME_WAIT       0", &s).kind,
      LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kTimeWait);
  EXPECT_EQ(s.original_state, "TIME_WAIT");
  EXPECT_EQ(s.pid, 0);
  ASSERT_EQ(
      p.parse("  TCP    [::]:135               [::]:0                 LISTENING       1024", &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kListen);
  EXPECT_EQ(s.local.addr.family, AF_INET6);
  EXPECT_EQ(s.local.port, 135);
  ASSERT_EQ(p.parse("  TCP    10.0.0.5:50421         10.0.0.9:1433          FIN_WAIT_2", &s).kind,
            LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kFinWait2);
  EXPECT_EQ(s.pid, -1);
  EXPECT_EQ(
      p.parse("  UDP    0.0.0.0:500            *:*                                    3788", &s)
          .kind,
      LineKind::kIgnored);
  EXPECT_EQ(p.parse(" [svchost.exe]", &s).kind, LineKind::kIgnored);
}

TEST(NetstatWindows, Bad) {
  NetstatWindowsParser p;
  Socket s;
  auto r =
      p.parse("  TCP    0.0.0.0:135            0.0.0.0:0              ABHÖREN         1024", &s);
  EXPECT_EQ(r.kind, LineKind::kBad);
  EXPECT_NE(std::string(r.reason).find("English"), std::string::npos);
  // Plain `netstat` (no -n) prints names: they are read, not refused.
  ASSERT_EQ(p.parse("  TCP    DESKTOP-1:49670        host:https             ESTABLISHED", &s).kind,
            LineKind::kSocket);
  EXPECT_EQ(s.remote.to_string(), "host:443");
  EXPECT_EQ(p.parse("  TCP    1.2.3.4:1 5.6.7.8:2 ESTABLISHED notapid", &s).kind, LineKind::kBad);
}

}  // namespace
}  // namespace tw
