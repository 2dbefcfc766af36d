// SPDX-License-Identifier: Apache-2.0
#include "sources/procfs_tcp.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>

#include "model/portable.h"

namespace tw {

namespace {

// USER_HZ: /proc prints timers with jiffies_delta_to_clock_t(), in ticks of 1/100 s.
constexpr int64_t kMsPerTick = 10;

std::string_view next_field(std::string_view* s) {
  size_t b = s->find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    *s = {};
    return {};
  }
  size_t e = s->find_first_of(" \t\r\n", b);
  std::string_view f = s->substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
  *s = e == std::string_view::npos ? std::string_view() : s->substr(e);
  return f;
}

template <class T>
bool hex(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

// "0100007F:0CEA" (IPv4) or 32 hex digits ":" port (IPv6). Each 32-bit word is printed in the
// host's byte order; this assumes the dump came from a little-endian host (x86, arm64).
bool parse_endpoint(std::string_view f, Endpoint* ep) {
  size_t colon = f.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view a = f.substr(0, colon);
  if (!hex(f.substr(colon + 1), &ep->port)) return false;
  if (a.size() != 8 && a.size() != 32) return false;
  uint8_t bytes[16];
  for (size_t w = 0; w < a.size() / 8; ++w) {
    uint32_t word;
    if (!hex(a.substr(w * 8, 8), &word)) return false;
    for (int i = 0; i < 4; ++i) bytes[w * 4 + i] = static_cast<uint8_t>(word >> (8 * i));
  }
  if (a.size() == 8) {
    uint32_t be;
    std::memcpy(&be, bytes, 4);
    ep->addr = Address::v4(be);
  } else {
    ep->addr = Address::v6(bytes);
  }
  return true;
}

}  // namespace

bool is_proc_tcp_header(std::string_view line) {
  // tcp says "rem_address", tcp6 says "remote_address".
  return line.find("local_address") != std::string_view::npos &&
         line.find(" st ") != std::string_view::npos;
}

Result<Socket> parse_proc_tcp_line(std::string_view line) {
  std::string_view rest = line;
  std::string_view sl = next_field(&rest);
  if (sl.empty() || sl.back() != ':') return fail("not a /proc/net/tcp data line (no 'N:' slot)");
  Socket s;
  if (!parse_endpoint(next_field(&rest), &s.local))
    return fail("bad local address (want hex ADDR:PORT)");
  if (!parse_endpoint(next_field(&rest), &s.remote))
    return fail("bad remote address (want hex ADDR:PORT)");
  if (s.local.addr.family != s.remote.addr.family) return fail("address families differ");
  unsigned st;
  if (!hex(next_field(&rest), &st) || st < 1 || st > 12) return fail("bad state code");
  s.state = st == 12 ? TcpState::kSynRecv : static_cast<TcpState>(st);
  next_field(&rest);  // tx_queue:rx_queue
  std::string_view timer = next_field(&rest);
  size_t colon = timer.find(':');
  unsigned tr;
  uint64_t when;
  if (colon == std::string_view::npos || !hex(timer.substr(0, colon), &tr) ||
      !hex(timer.substr(colon + 1), &when))
    return fail("bad timer field (want tr:tm->when)");
  next_field(&rest);  // retrnsmt
  std::string_view uid = next_field(&rest);
  next_field(&rest);  // timeout
  std::string_view inode = next_field(&rest);
  if (inode.empty()) return fail("line ends early (no inode field)");
  std::from_chars(uid.data(), uid.data() + uid.size(), s.uid);
  std::from_chars(inode.data(), inode.data() + inode.size(), s.inode);
  s.mini = tr == 3;
  // The kernel prints a clamped, non-negative clock_t (jiffies_delta_to_clock_t); anything past
  // 2^32 ticks (497 days) is not a timer this kernel could hold, and would overflow below.
  if (when > UINT32_MAX) return fail("timer value out of range (tm->when)");
  s.timer_ms = tr ? static_cast<int64_t>(when) * kMsPerTick : -1;
  return s;
}

Result<int64_t> read_proc_net_tcp(StateMask mask, const SocketSink& sink) {
  int64_t n = 0;
  for (const char* path : {"/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"}) {
    std::ifstream in(path);
    if (!in) {
      // tcp6 is missing on a kernel without IPv6; tcp missing means no way to read sockets.
      if (std::string_view(path).ends_with("tcp6")) continue;
      return fail(fmt::format("cannot read {}", path));
    }
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (lineno == 1 && is_proc_tcp_header(line)) continue;
      auto s = parse_proc_tcp_line(line);
      if (!s) return fail(fmt::format("{}:{}: {}", path, lineno, s.error()));
      if (!mask.has(s->state)) continue;
      ++n;
      sink(*s);
    }
  }
  return n;
}

}  // namespace tw
