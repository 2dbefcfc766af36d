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
      p.parse("  TCP    0.0.0.0:135            0.0.0.0:0              ESCUCHANDO      1024", &s);
  EXPECT_EQ(r.kind, LineKind::kBad);
  EXPECT_NE(std::string(r.reason).find("English"), std::string::npos);
  // Plain `netstat` (no -n) prints names: they are read, not refused.
  ASSERT_EQ(p.parse("  TCP    DESKTOP-1:49670        host:https             ESTABLISHED", &s).kind,
            LineKind::kSocket);
  EXPECT_EQ(s.remote.to_string(), "host:443");
  EXPECT_EQ(p.parse("  TCP    1.2.3.4:1 5.6.7.8:2 ESTABLISHED notapid", &s).kind, LineKind::kBad);
}

// German Windows: localized title, column header and states; "ABHÖREN" as UTF-8, as OEM 850
// (0x99), as Windows-1252 (0xD6) and as the "™" a 1252 editor shows for 0x99.
TEST(NetstatWindows, German) {
  NetstatWindowsParser p;
  Socket s;
  EXPECT_EQ(p.parse("Aktive Verbindungen", &s).kind, LineKind::kHeader);
  EXPECT_EQ(
      p.parse("  Proto  Lokale Adresse         Remoteadresse          Status           PID", &s)
          .kind,
      LineKind::kHeader);
  for (std::string listen : {"ABH\xC3\x96REN", "ABH\x99REN", "ABH\xD6REN", "ABH\xE2\x84\xA2REN"}) {
    ASSERT_EQ(
        p.parse("  TCP    0.0.0.0:135            0.0.0.0:0              " + listen + "  4", &s)
            .kind,
        LineKind::kSocket)
        << listen;
    EXPECT_EQ(s.state, TcpState::kListen);
  }
  std::pair<const char*, TcpState> rows[] = {
      {"HERGESTELLT", TcpState::kEstablished},     {"WARTEND", TcpState::kTimeWait},
      {"SCHLIESSEN_WARTEN", TcpState::kCloseWait}, {"FIN_WARTEN_2", TcpState::kFinWait2},
      {"SYN_GESENDET", TcpState::kSynSent},
  };
  for (auto [name, st] : rows) {
    ASSERT_EQ(
        p.parse(std::string("  TCP    127.0.0.1:49186        127.0.0.1:49273        ") + name, &s)
            .kind,
        LineKind::kSocket)
        << name;
    EXPECT_EQ(s.state, st) << name;
    EXPECT_EQ(s.original_state, name);
  }
  EXPECT_EQ(p.parse("Connexions actives", &s).kind, LineKind::kHeader);
  EXPECT_EQ(p.parse("  Proto  Adresse locale         Adresse distante       \xC9tat", &s).kind,
            LineKind::kHeader);
}

}  // namespace
}  // namespace tw
