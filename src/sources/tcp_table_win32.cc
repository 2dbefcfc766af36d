// SPDX-License-Identifier: Apache-2.0
#include "sources/tcp_table_win32.h"

// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
// clang-format on

#include <fmt/format.h>

#include <cstring>
#include <map>

namespace tw {

std::optional<TcpState> tcp_state_of_mib(uint32_t s) {
  switch (s) {
    case MIB_TCP_STATE_CLOSED:
      return TcpState::kClose;
    case MIB_TCP_STATE_LISTEN:
      return TcpState::kListen;
    case MIB_TCP_STATE_SYN_SENT:
      return TcpState::kSynSent;
    case MIB_TCP_STATE_SYN_RCVD:
      return TcpState::kSynRecv;
    case MIB_TCP_STATE_ESTAB:
      return TcpState::kEstablished;
    case MIB_TCP_STATE_FIN_WAIT1:
      return TcpState::kFinWait1;
    case MIB_TCP_STATE_FIN_WAIT2:
      return TcpState::kFinWait2;
    case MIB_TCP_STATE_CLOSE_WAIT:
      return TcpState::kCloseWait;
    case MIB_TCP_STATE_CLOSING:
      return TcpState::kClosing;
    case MIB_TCP_STATE_LAST_ACK:
      return TcpState::kLastAck;
    case MIB_TCP_STATE_TIME_WAIT:
      return TcpState::kTimeWait;
    default:
      return std::nullopt;  // MIB_TCP_STATE_DELETE_TCB: being torn down
  }
}

std::vector<TcpTableRow> tcp_table_rows(const void* table, bool v6) {
  std::vector<TcpTableRow> out;
  if (v6) {
    auto* t = static_cast<const MIB_TCP6TABLE_OWNER_PID*>(table);
    out.reserve(t->dwNumEntries);
    for (DWORD i = 0; i < t->dwNumEntries; ++i) {
      const MIB_TCP6ROW_OWNER_PID& r = t->table[i];
      TcpTableRow row;
      row.v6 = true;
      row.state = r.dwState;
      std::memcpy(row.local_addr, r.ucLocalAddr, 16);
      std::memcpy(row.remote_addr, r.ucRemoteAddr, 16);
      row.local_port = r.dwLocalPort;
      row.remote_port = r.dwRemotePort;
      row.pid = r.dwOwningPid;
      out.push_back(row);
    }
  } else {
    auto* t = static_cast<const MIB_TCPTABLE_OWNER_PID*>(table);
    out.reserve(t->dwNumEntries);
    for (DWORD i = 0; i < t->dwNumEntries; ++i) {
      const MIB_TCPROW_OWNER_PID& r = t->table[i];
      TcpTableRow row;
      row.state = r.dwState;
      std::memcpy(row.local_addr, &r.dwLocalAddr, 4);
      std::memcpy(row.remote_addr, &r.dwRemoteAddr, 4);
      row.local_port = r.dwLocalPort;
      row.remote_port = r.dwRemotePort;
      row.pid = r.dwOwningPid;
      out.push_back(row);
    }
  }
  return out;
}

std::string windows_process_name(uint32_t pid) {
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (!h) return "";
  wchar_t path[MAX_PATH];
  DWORD n = MAX_PATH;
  std::string out;
  if (QueryFullProcessImageNameW(h, 0, path, &n)) {
    std::wstring_view p(path, n);
    size_t slash = p.find_last_of(L"\\/");
    std::wstring_view base = slash == p.npos ? p : p.substr(slash + 1);
    int len = WideCharToMultiByte(CP_UTF8, 0, base.data(), static_cast<int>(base.size()), nullptr,
                                  0, nullptr, nullptr);
    out.resize(len > 0 ? len : 0);
    if (len > 0)
      WideCharToMultiByte(CP_UTF8, 0, base.data(), static_cast<int>(base.size()), out.data(), len,
                          nullptr, nullptr);
  }
  CloseHandle(h);
  return out;
}

int64_t emit_tcp_rows(const std::vector<TcpTableRow>& rows, StateMask mask,
                      const ProcessNameFn& name_of, const SocketSink& sink) {
  std::map<uint32_t, std::string> names;  // a busy server has thousands of rows per process
  int64_t n = 0;
  for (const TcpTableRow& r : rows) {
    auto state = tcp_state_of_mib(r.state);
    if (!state || !mask.has(*state)) continue;
    Socket s;
    s.state = *state;
    if (r.v6) {
      s.local.addr = Address::v6(r.local_addr);
      s.remote.addr = Address::v6(r.remote_addr);
    } else {
      uint32_t l, rem;
      std::memcpy(&l, r.local_addr, 4);
      std::memcpy(&rem, r.remote_addr, 4);
      s.local.addr = Address::v4(l);
      s.remote.addr = Address::v4(rem);
    }
    s.local.port = ntohs(static_cast<uint16_t>(r.local_port));
    // A listener's remote port is left over in the row; it has no peer.
    s.remote.port = *state == TcpState::kListen ? 0 : ntohs(static_cast<uint16_t>(r.remote_port));
    if (r.pid != 0) {
      s.pid = static_cast<int32_t>(r.pid);
      auto [it, fresh] = names.try_emplace(r.pid);
      if (fresh && name_of) it->second = name_of(r.pid);
      s.command = it->second;
    }
    sink(s);
    ++n;
  }
  return n;
}

namespace {

// The whole table of one family. The table can grow between the size query and the read:
// ERROR_INSUFFICIENT_BUFFER again means ask again, a few times.
Result<std::vector<TcpTableRow>> fetch(bool v6) {
  std::vector<unsigned char> buf;
  DWORD size = 0;
  DWORD rc = ERROR_INSUFFICIENT_BUFFER;
  for (int attempt = 0; attempt < 5 && rc == ERROR_INSUFFICIENT_BUFFER; ++attempt) {
    buf.resize(size + 4096);
    size = static_cast<DWORD>(buf.size());
    rc = GetExtendedTcpTable(buf.data(), &size, FALSE, v6 ? AF_INET6 : AF_INET,
                             TCP_TABLE_OWNER_PID_ALL, 0);
  }
  if (rc != NO_ERROR)
    return fail(fmt::format("GetExtendedTcpTable({}, TCP_TABLE_OWNER_PID_ALL) failed: error {}",
                            v6 ? "AF_INET6" : "AF_INET", rc));
  return tcp_table_rows(buf.data(), v6);
}

}  // namespace

Result<int64_t> read_tcp_table(StateMask mask, const SocketSink& sink,
                               const ProcessNameFn& name_of) {
  int64_t n = 0;
  for (bool v6 : {false, true}) {
    auto rows = fetch(v6);
    // A host without IPv6 has no IPv6 table: that family simply has no sockets.
    if (!rows && v6) break;
    if (!rows) return fail(rows.error());
    n += emit_tcp_rows(*rows, mask, name_of, sink);
  }
  return n;
}

}  // namespace tw
