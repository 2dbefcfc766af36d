// SPDX-License-Identifier: Apache-2.0
// Decoding Windows' TCP table from buffers laid out as GetExtendedTcpTable fills them, with the
// owning pids wine 8 cannot show (it reports 0 for every row).
#include "sources/tcp_table_win32.h"

// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
// clang-format on

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

namespace tw {
namespace {

MIB_TCPROW_OWNER_PID row4(DWORD state, const char* local, uint16_t lport, const char* remote,
                          uint16_t rport, DWORD pid) {
  MIB_TCPROW_OWNER_PID r{};
  r.dwState = state;
  inet_pton(AF_INET, local, &r.dwLocalAddr);
  inet_pton(AF_INET, remote, &r.dwRemoteAddr);
  r.dwLocalPort = htons(lport);
  r.dwRemotePort = htons(rport);
  r.dwOwningPid = pid;
  return r;
}

std::vector<unsigned char> table4(const std::vector<MIB_TCPROW_OWNER_PID>& rows) {
  std::vector<unsigned char> buf(sizeof(MIB_TCPTABLE_OWNER_PID) +
                                 rows.size() * sizeof(MIB_TCPROW_OWNER_PID));
  auto* t = reinterpret_cast<MIB_TCPTABLE_OWNER_PID*>(buf.data());
  t->dwNumEntries = static_cast<DWORD>(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) t->table[i] = rows[i];
  return buf;
}

TEST(TcpTable, States) {
  EXPECT_EQ(*tcp_state_of_mib(MIB_TCP_STATE_TIME_WAIT), TcpState::kTimeWait);
  EXPECT_EQ(MIB_TCP_STATE_TIME_WAIT, 11);  // ../shared/FACTS.md
  EXPECT_EQ(*tcp_state_of_mib(MIB_TCP_STATE_LISTEN), TcpState::kListen);
  EXPECT_EQ(*tcp_state_of_mib(MIB_TCP_STATE_CLOSE_WAIT), TcpState::kCloseWait);
  EXPECT_EQ(*tcp_state_of_mib(MIB_TCP_STATE_SYN_RCVD), TcpState::kSynRecv);
  EXPECT_FALSE(tcp_state_of_mib(MIB_TCP_STATE_DELETE_TCB));
  EXPECT_FALSE(tcp_state_of_mib(0));
}

TEST(TcpTable, Ipv4RowsWithOwners) {
  auto buf = table4({row4(MIB_TCP_STATE_LISTEN, "0.0.0.0", 80, "0.0.0.0", 4711, 1200),
                     row4(MIB_TCP_STATE_ESTAB, "10.0.0.1", 51000, "10.0.0.2", 80, 1200),
                     row4(MIB_TCP_STATE_TIME_WAIT, "10.0.0.1", 51001, "10.0.0.2", 80, 0),
                     row4(MIB_TCP_STATE_DELETE_TCB, "10.0.0.1", 51002, "10.0.0.2", 80, 1200),
                     row4(MIB_TCP_STATE_ESTAB, "10.0.0.1", 51003, "10.0.0.3", 443, 88)});
  auto rows = tcp_table_rows(buf.data(), false);
  ASSERT_EQ(rows.size(), 5u);
  std::map<uint32_t, int> lookups;
  auto name_of = [&](uint32_t pid) {
    ++lookups[pid];
    return pid == 1200 ? std::string("nginx.exe") : std::string("curl.exe");
  };
  std::vector<Socket> got;
  std::vector<std::string> commands;
  int64_t n = emit_tcp_rows(rows, StateMask::all(), name_of, [&](const Socket& s) {
    got.push_back(s);
    commands.emplace_back(s.command);
  });
  ASSERT_EQ(n, 4);  // DELETE_TCB is being torn down: not a socket to count
  EXPECT_EQ(got[0].state, TcpState::kListen);
  EXPECT_EQ(got[0].local.to_string(), "0.0.0.0:80");
  EXPECT_EQ(got[0].remote.port, 0);  // Windows leaves a stray remote port in listener rows
  EXPECT_EQ(got[1].local.to_string(), "10.0.0.1:51000");
  EXPECT_EQ(got[1].remote.to_string(), "10.0.0.2:80");
  EXPECT_EQ(got[1].pid, 1200);
  EXPECT_EQ(commands[1], "nginx.exe");
  EXPECT_EQ(got[2].state, TcpState::kTimeWait);
  EXPECT_EQ(got[2].pid, -1);  // TIME_WAIT rows have pid 0: no owner
  EXPECT_EQ(commands[2], "");
  EXPECT_EQ(got[3].pid, 88);
  EXPECT_EQ(commands[3], "curl.exe");
  EXPECT_EQ(lookups, (std::map<uint32_t, int>{{88, 1}, {1200, 1}}));  // once per process
}

TEST(TcpTable, MaskAndIpv6) {
  std::vector<unsigned char> buf(sizeof(MIB_TCP6TABLE_OWNER_PID) + sizeof(MIB_TCP6ROW_OWNER_PID));
  auto* t = reinterpret_cast<MIB_TCP6TABLE_OWNER_PID*>(buf.data());
  t->dwNumEntries = 2;
  MIB_TCP6ROW_OWNER_PID* r = t->table;
  inet_pton(AF_INET6, "::1", r[0].ucLocalAddr);
  inet_pton(AF_INET6, "2001:db8::7", r[0].ucRemoteAddr);
  r[0].dwLocalPort = htons(40000);
  r[0].dwRemotePort = htons(8443);
  r[0].dwState = MIB_TCP_STATE_CLOSE_WAIT;
  r[0].dwOwningPid = 9;
  r[1] = r[0];
  r[1].dwState = MIB_TCP_STATE_ESTAB;
  auto rows = tcp_table_rows(buf.data(), true);
  std::vector<Socket> got;
  emit_tcp_rows(rows, StateMask::of(TcpState::kCloseWait), {},
                [&](const Socket& s) { got.push_back(s); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state, TcpState::kCloseWait);
  EXPECT_EQ(got[0].local.to_string(), "[::1]:40000");
  EXPECT_EQ(got[0].remote.to_string(), "[2001:db8::7]:8443");
  EXPECT_EQ(got[0].pid, 9);
}

// The live call under wine: the table comes back (wine reads the namespace's /proc/net/tcp).
TEST(TcpTable, LiveTableReads) {
  int64_t sockets = 0;
  auto n = read_tcp_table(StateMask::all(), [&](const Socket&) { ++sockets; }, {});
  ASSERT_TRUE(n) << n.error();
  EXPECT_EQ(*n, sockets);
}

}  // namespace
}  // namespace tw
