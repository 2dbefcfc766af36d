// SPDX-License-Identifier: Apache-2.0
#include "import/powershell.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(PowerShellTable, BlankAppliedSettingAndColumnOrder) {
  PowerShellTableParser p;
  Socket s;
  EXPECT_EQ(
      p.parse("LocalAddress LocalPort RemoteAddress RemotePort State AppliedSetting OwningProcess",
              &s)
          .kind,
      LineKind::kHeader);
  EXPECT_EQ(
      p.parse("------------ --------- ------------- ---------- ----- -------------- -------------",
              &s)
          .kind,
      LineKind::kHeader);
  ASSERT_EQ(p.parse("::   49669   ::   0   Listen     3012", &s).kind, LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kListen);
  EXPECT_EQ(s.pid, 3012);
  ASSERT_EQ(p.parse("10.0.0.5 50412 20.190.151.7 443 Established Internet 5432", &s).kind,
            LineKind::kSocket);
  EXPECT_EQ(s.remote.to_string(), "20.190.151.7:443");
  EXPECT_EQ(s.original_state, "Established");
  // A user's own column choice.
  PowerShellTableParser q;
  EXPECT_EQ(q.parse("State LocalAddress LocalPort RemoteAddress RemotePort", &s).kind,
            LineKind::kHeader);
  ASSERT_EQ(q.parse("TimeWait 127.0.0.1 18115 127.0.0.1 80", &s).kind, LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kTimeWait);
  EXPECT_EQ(s.pid, -1);
}

TEST(PowerShellTable, CutColumns) {
  PowerShellTableParser p;
  Socket s;
  p.parse("LocalAddress LocalPort RemoteAddress RemotePort State AppliedSetting OwningProcess", &s);
  // A cut address: the socket counts in its state, its endpoint kept as printed (and cut).
  auto r = p.parse("fe80::1c2a:3b4d:5e6f:7a8b%... 50500 fe80::9%12 443 TimeWait 0", &s);
  ASSERT_EQ(r.kind, LineKind::kSocket);
  EXPECT_STREQ(r.reason, kPowerShellCut);
  EXPECT_EQ(r.cut, 1);
  EXPECT_EQ(s.state, TcpState::kTimeWait);
  EXPECT_EQ(s.local.port, 50500);
  EXPECT_EQ(s.local.to_string(), "fe80::1c2a:3b4d:5e6f:7a8b%\xE2\x80\xA6:50500");
  // PowerShell 7 marks the cut with "…".
  ASSERT_EQ(
      p.parse("::1 5426 2a01:cb19:18c:c700:ec96:8a3e:7\xE2\x80\xA6 58986 Established x 1", &s).kind,
      LineKind::kSocket);
  EXPECT_TRUE(s.remote.is_named());
  // A cut state, port or PID leaves nothing to count.
  r = p.parse("10.0.0.5 50500 10.0.0.9 443 Establi... x 0", &s);
  EXPECT_EQ(r.kind, LineKind::kBad);
  EXPECT_NE(std::string(r.reason).find("AutoSize"), std::string::npos);
  EXPECT_EQ(p.parse("10.0.0.5 50412 443 Established", &s).kind, LineKind::kBad);
}

// A real capture (MongoDB notes, stored file 5707831156 of the index README.md uses): the console
// was too narrow for "OwningProcess", so Format-Table wrapped its header onto a second line.
TEST(PowerShellTable, WrappedLastHeader) {
  PowerShellTableParser p;
  Socket s;
  EXPECT_EQ(p.parse("LocalAddress                        LocalPort RemoteAddress                  "
                    "     RemotePort State       AppliedSetting OwningPr",
                    &s)
                .kind,
            LineKind::kHeader);
  EXPECT_EQ(p.parse(std::string(120, ' ') + "ocess    ", &s).kind, LineKind::kHeader);
  EXPECT_EQ(p.parse("------------                        --------- -------------                  "
                    "     ---------- -----       -------------- -------- ",
                    &s)
                .kind,
            LineKind::kHeader);
  ASSERT_EQ(p.parse("127.0.0.1                           27017     127.0.0.1                      "
                    "     60217      Established Internet       14056    ",
                    &s)
                .kind,
            LineKind::kSocket);
  EXPECT_EQ(s.pid, 14056);
  EXPECT_EQ(s.state, TcpState::kEstablished);
}

TEST(PowerShellCsv, ByName) {
  PowerShellCsvParser p;
  Socket s;
  EXPECT_EQ(p.parse("#TYPE "
                    "Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/"
                    "MSFT_NetTCPConnection",
                    &s)
                .kind,
            LineKind::kHeader);
  EXPECT_EQ(p.parse("\"Name\",\"LocalAddress\",\"LocalPort\",\"RemoteAddress\",\"RemotePort\","
                    "\"State\",\"OwningProcess\"",
                    &s)
                .kind,
            LineKind::kHeader);
  ASSERT_EQ(
      p.parse("\"a,\"\"b\",\"10.0.0.5\",\"50413\",\"20.190.151.7\",\"443\",\"TimeWait\",\"0\"", &s)
          .kind,
      LineKind::kSocket);
  EXPECT_EQ(s.state, TcpState::kTimeWait);
  EXPECT_EQ(s.original_state, "TimeWait");
  EXPECT_EQ(s.local.port, 50413);
  EXPECT_EQ(s.pid, 0);
  ASSERT_EQ(p.parse("x,::1,49671,::1,49670,5,3100", &s).kind,
            LineKind::kSocket);  // unquoted, numeric state
  EXPECT_EQ(s.state, TcpState::kEstablished);
  EXPECT_EQ(p.parse("\"unterminated,1,2", &s).kind, LineKind::kBad);
  EXPECT_EQ(p.parse("a,b", &s).kind, LineKind::kBad);
}

TEST(PowerShellCsv, HeaderWithoutAddressesIsBad) {
  PowerShellCsvParser p;
  Socket s;
  EXPECT_EQ(p.parse("\"Name\",\"Id\"", &s).kind, LineKind::kBad);
}

TEST(PowerShell, StateNumbers) {
  EXPECT_EQ(windows_state_number(11), TcpState::kTimeWait);
  EXPECT_EQ(windows_state_number(2), TcpState::kListen);
  EXPECT_EQ(windows_state_number(100), TcpState::kClose);
  EXPECT_EQ(windows_state_number(13), std::nullopt);
}

}  // namespace
}  // namespace tw
