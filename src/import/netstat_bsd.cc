// SPDX-License-Identifier: Apache-2.0
#include "import/netstat_bsd.h"

#include <cctype>
#include <string>

#include "import/endpoint_reasons.h"
#include "import/text_fields.h"
#include "model/portable.h"

namespace tw {

namespace {

// netstat -A puts the protocol control block's address first (FreeBSD "Tcpcb", 16 hex digits on
// 64-bit) and macOS the flow hash after it, printed with %8x: "cedd0cbf", " 6a3d6e4", "0".
bool is_hex_column(std::string_view t) {
  if (t.empty() || t.size() > 16) return false;
  for (char c : t)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_proto(std::string_view t) {
  for (auto p : {"tcp", "udp", "icm", "raw", "div", "sctp"})
    if (t.starts_with(p)) return true;
  return false;
}

constexpr const char* kNoState =
    "no state column (netstat -T, -x, -R or -L output): capture with `netstat -an -p tcp`";

}  // namespace

LineResult NetstatBsdParser::parse(std::string_view line, Socket* s) {
  std::string_view all[10];
  size_t total = split_fields(line, all, 10);
  std::string_view* f = all;
  size_t n = total;
  if (f[0] == "Active" || f[0] == "Registered" || f[0] == "Current") {
    if (n == 2 && f[1] == "Connections")
      return bad_line("not a BSD netstat title (Windows netstat prints \"Active Connections\")");
    // -L: "Current listen queue sizes (qlen/incqlen/maxqlen)", TCP rows without a state. macOS
    // lists MPTCP flows under "Active Multipath Internet connections" with a header of its own
    // ("Proto/ID  Flags ..."): not sockets of the TCP table.
    other_section_ = (line.find("Internet") == std::string_view::npos && f[0] != "Current") ||
                     line.find("Multipath") != std::string_view::npos;
    return header_line();
  }
  // The column header: "Proto Recv-Q ...", after "Tcpcb" or "Socket Flowhash" with -A.
  for (size_t i = 0; i < n && i < 3; ++i)
    if (f[i] == "Proto" || f[i] == "Proto/ID") {
      if (!other_section_) state_column_ = line.find("(state)") != std::string_view::npos;
      return header_line();
    }
  if (other_section_) return ignored_line("not TCP (unix socket or kernel control line)");
  // At most the two -A columns before the protocol, all hex ("tcp4", "udp6" are not hex).
  for (size_t skip = 1; skip <= 2 && skip < n; ++skip) {
    if (!is_hex_column(f[skip - 1])) break;
    if (is_proto(f[skip])) {
      f += skip, n -= skip;
      break;
    }
  }
  if (f[0].starts_with("udp") || f[0].starts_with("icm") || f[0].starts_with("raw"))
    return ignored_line("not TCP (udp or raw socket line)");
  uint8_t family;
  if (f[0] == "tcp4") {
    family = AF_INET;
  } else if (f[0] == "tcp6" || f[0] == "tcp46") {
    family = AF_INET6;
  } else {
    return bad_line("not a BSD netstat tcp line", std::string(f[0]));
  }
  uint64_t q;
  // -T has three counters (Rexmit OOORcv 0-win) where Recv-Q and Send-Q are; -x and -R drop the
  // state for other columns: no state to count in either.
  if (!state_column_ || (n > 3 && parse_u64(f[3], &q)) || n == 5 || (n > 5 && parse_u64(f[5], &q)))
    return bad_line(kNoState);
  if (n < 6)
    return bad_line(
        "too few columns for BSD netstat (want Proto Recv-Q Send-Q Local Foreign (state))");
  if (!parse_u64(f[1], &q) || !parse_u64(f[2], &q))
    return bad_line("Recv-Q/Send-Q are not numbers", std::string(f[1]) + " " + std::string(f[2]));
  *s = Socket{};
  // Without -W netstat prints an IPv6 host with "%.16s" and cuts "host.port" to the column: 18
  // characters with -A, 22 without (FreeBSD and macOS inet.c). A longer field means -W.
  const size_t width = f == all ? 22 : 18;
  if (f[3].size() > width || f[4].size() > width) wide_ = true;
  uint8_t cut = 0;  // endpoints named only because they were cut
  bool warn = false;
  for (int k = 0; k < 2; ++k) {
    Endpoint* ep = k == 0 ? &s->local : &s->remote;
    std::string_view text = f[3 + k];
    size_t dot = text.rfind('.');
    std::string_view host = dot == std::string_view::npos ? text : text.substr(0, dot);
    std::string_view port = dot == std::string_view::npos ? "" : text.substr(dot + 1);
    bool host_cut = !wide_ && host.size() >= 16 && host.find(':') != std::string_view::npos;
    bool port_cut = !wide_ && text.size() == width && !(port.size() == 5 && parse_u64(port, &q));
    auto e = parse_dot_endpoint(text, ep, family);
    if (e == EndpointError::kNoSeparator)
      return bad_line("not an ADDRESS.PORT endpoint", std::string(text));
    if (e == EndpointError::kBadAddress && host_cut) e = EndpointError::kNone;
    if (e != EndpointError::kNone) return bad_line(endpoint_reason(e), std::string(text));
    if (host_cut || port_cut) {
      bool named = ep->is_named();
      if (!keep_cut(host_cut ? host : std::string_view(), port_cut ? port : std::string_view(), ep))
        return bad_line(endpoint_reason(EndpointError::kTooManyNames), std::string(text));
      warn = true;
      cut += !named;
    }
  }
  auto state = import_state(f[5]);
  if (!state) return bad_line("unknown state name", std::string(f[5]));
  s->state = *state;
  s->original_state = f[5];
  if (warn) return {LineKind::kSocket, kNetstatBsdCut, {}, cut};
  return socket_line();
}

}  // namespace tw
