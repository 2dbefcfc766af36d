// SPDX-License-Identifier: Apache-2.0
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
  EXPECT_TRUE(r.refuses_dump);
  EXPECT_EQ(r.detail, "ESCUCHANDO");
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
  for (std::string listen :
       {"ABH\xC3\x96REN", "ABH\x99REN", "ABH\xD6REN", "ABH\xE2\x84\xA2REN", "ABH?REN"}) {
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
  NetstatWindowsParser french;  // a title after rows would start a second snapshot
  EXPECT_EQ(french.parse("Connexions actives", &s).kind, LineKind::kHeader);
  EXPECT_EQ(french.parse("  Proto  Adresse locale         Adresse distante       \xC9tat", &s).kind,
            LineKind::kHeader);
}

// Lines of real captures (tests/fixtures/import/real/README.md): Russian, Chinese and Japanese
// titles and column headers, the Portuguese title, the -b "unknown owner" line in Spanish and
// French.
TEST(NetstatWindows, OtherLanguages) {
  NetstatWindowsParser p;
  Socket s;
  for (const char* line : {
           "    \xD0\x90\xD0\xBA\xD1\x82\xD0\xB8\xD0\xB2\xD0\xBD\xD1\x8B\xD0\xB5 "
           "\xD0\xBF\xD0\xBE\xD0\xB4\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87\xD0\xB5\xD0\xBD\xD0\xB8\xD1"
           "\x8F",
           "      \xD0\x98\xD0\xBC\xD1\x8F    "
           "\xD0\x9B\xD0\xBE\xD0\xBA\xD0\xB0\xD0\xBB\xD1\x8C\xD0\xBD\xD1\x8B\xD0\xB9 "
           "\xD0\xB0\xD0\xB4\xD1\x80\xD0\xB5\xD1\x81        "
           "\xD0\x92\xD0\xBD\xD0\xB5\xD1\x88\xD0\xBD\xD0\xB8\xD0\xB9 "
           "\xD0\xB0\xD0\xB4\xD1\x80\xD0\xB5\xD1\x81          "
           "\xD0\xA1\xD0\xBE\xD1\x81\xD1\x82\xD0\xBE\xD1\x8F\xD0\xBD\xD0\xB8\xD0\xB5",
           "\xE6\xB4\xBB\xE5\x8A\xA8\xE8\xBF\x9E\xE6\x8E\xA5",
           "   "
           "\xE3\x82\xA2\xE3\x82\xAF\xE3\x83\x86\xE3\x82\xA3\xE3\x83\x96\xE3\x81\xAA\xE6\x8E\xA5"
           "\xE7\xB6\x9A",
           "     \xE3\x83\x97\xE3\x83\xAD\xE3\x83\x88\xE3\x82\xB3\xE3\x83\xAB  "
           "\xE3\x83\xAD\xE3\x83\xBC\xE3\x82\xAB\xE3\x83\xAB "
           "\xE3\x82\xA2\xE3\x83\x89\xE3\x83\xAC\xE3\x82\xB9      PID",
           "Conex\xC3\xB5"
           "es ativas",
           "  \xE5\x8D\x8F\xE8\xAE\xAE  \xE6\x9C\xAC\xE5\x9C\xB0\xE5\x9C\xB0\xE5\x9D\x80          "
           "\xE5\xA4\x96\xE9\x83\xA8\xE5\x9C\xB0\xE5\x9D\x80        \xE7\x8A\xB6\xE6\x80\x81       "
           "    PID",
       })
    EXPECT_EQ(p.parse(line, &s).kind, LineKind::kHeader) << line;
  for (const char* unknown : {
           " No se puede obtener informaci\xC3\xB3n de propiedad",
           " No se puede obtener informaci\xC2\xA2n de propiedad",      // CP850 0xA2 shown as 1252
           " No se puede obtener informaci\xEF\xBF\xBDn de propiedad",  // 0xA2 as read
           " Impossible d\xE2\x80\x99obtenir les informations de propri\xC3\xA9taire",
           " \xE6\x97\xA0\xE6\xB3\x95\xE8\x8E\xB7\xE5\x8F\x96\xE6\x89\x80\xE6\x9C\x89\xE6\x9D\x83"
           "\xE4\xBF\xA1\xE6\x81\xAF",
       }) {
    ASSERT_EQ(
        p.parse("  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4", &s)
            .kind,
        LineKind::kSocket);
    auto r = p.parse(unknown, &s);
    EXPECT_EQ(r.kind, LineKind::kOwner) << unknown;
    EXPECT_EQ(r.detail, "") << unknown;  // the owner stays unknown
  }
}

// cmd.exe's redirect writes the console's code page (866, 936, 932...): the line reader hands such
// bytes on as U+FFFD. Title and column header are then text without digits or colons.
TEST(NetstatWindows, HeadersInAnotherCodePage) {
  NetstatWindowsParser p;
  Socket s;
  const std::string bad = "\xEF\xBF\xBD";
  EXPECT_EQ(p.parse("    " + bad + bad + bad + " " + bad + bad, &s).kind, LineKind::kHeader);
  EXPECT_EQ(p.parse("  " + bad + "A" + bad + "N   " + bad + bad + "  PID", &s).kind,
            LineKind::kHeader);
  // Shift-JIS "ー" is 0x81 0x5B: a '[' among the code page's bytes.
  EXPECT_EQ(p.parse("     " + bad + "[" + bad + "  " + bad + bad + "  PID", &s).kind,
            LineKind::kHeader);
  // The same through an ASCII encoder: "活动连接" is "????".
  EXPECT_EQ(p.parse("????", &s).kind, LineKind::kHeader);
  EXPECT_EQ(p.parse("  ??  ????          ????        ??           PID", &s).kind,
            LineKind::kHeader);
  // With digits it is no header: the banner of a console, not netstat's.
  EXPECT_EQ(p.parse("(c) " + bad + bad + " (Microsoft Corporation), 2016.", &s).kind,
            LineKind::kBad);
}

// `netstat -ant` (-t: the offload state), also with -o.
TEST(NetstatWindows, OffloadState) {
  NetstatWindowsParser p;
  Socket s;
  EXPECT_EQ(
      p.parse("  Proto  Local Address          Foreign Address        State           Offload "
              "State",
              &s)
          .kind,
      LineKind::kHeader);
  ASSERT_EQ(
      p.parse("  TCP    10.10.10.14:1037       10.10.14.16:445        SYN_SENT        InHost   "
              "   ",
              &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kSynSent);
  EXPECT_EQ(s.pid, -1);
  ASSERT_EQ(
      p.parse("  TCP    127.0.0.1:52613   127.0.0.1:52614   ESTABLISHED     4120   Offloaded", &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.pid, 4120);
  // The prompt after the table is not the -b owner of the last row.
  EXPECT_EQ(p.parse("C:\\WINDOWS\\Temp\\Privesc>", &s).kind, LineKind::kBad);
}

// Without -n, a reverse name that starts with a number is printed as that number: a host name.
TEST(NetstatWindows, NumericHostLabels) {
  NetstatWindowsParser p;
  Socket s;
  ASSERT_EQ(
      p.parse("  TCP    10.33.0.220:58978      47:https               ESTABLISHED     2928", &s)
          .kind,
      LineKind::kSocket);
  EXPECT_TRUE(s.remote.addr.is_name());
  EXPECT_EQ(s.remote.to_string(), "47:443");
  EXPECT_EQ(s.state, TcpState::kEstablished);
  // Still no address: a dotted number that is not one, a label longer than DNS allows.
  EXPECT_EQ(p.parse("  TCP    10.0.0.1:5  1.2.3:80  ESTABLISHED", &s).kind, LineKind::kBad);
  EXPECT_EQ(p.parse("  TCP    10.0.0.1:5  " + std::string(64, '7') + ":80  ESTABLISHED", &s).kind,
            LineKind::kBad);
}

// `netstat -an 5`: a title after rows starts a second snapshot; a title before any row does not.
TEST(NetstatWindows, SecondSnapshot) {
  NetstatWindowsParser p;
  Socket s;
  EXPECT_EQ(p.parse("Active Connections", &s).kind, LineKind::kHeader);
  EXPECT_EQ(p.parse("Active Connections", &s).kind, LineKind::kHeader);
  ASSERT_EQ(p.parse("  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING", &s).kind,
            LineKind::kSocket);
  auto r = p.parse("Active Connections", &s);
  EXPECT_EQ(r.kind, LineKind::kBad);
  EXPECT_TRUE(r.refuses_dump);
  // Pasted from the console after Ctrl+C: not the -b owner of the row above.
  ASSERT_EQ(
      p.parse("  TCP    [fe80::1%12]:445        [::]:0                 LISTENING       4", &s).kind,
      LineKind::kSocket);
  EXPECT_EQ(p.parse("^C", &s).kind, LineKind::kIgnored);
}

}  // namespace
}  // namespace tw
