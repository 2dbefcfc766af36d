#include "import/netstat_windows.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "import/endpoint_reasons.h"
#include "import/text_fields.h"

namespace tw {

namespace {

// The title and column header in the languages seen in real dumps; every language but Russian
// and Chinese heads the first column "Proto".
bool is_title(std::string_view line) {
  std::string_view t = trim(line);
  return t == "Active Connections" || t == "Aktive Verbindungen" || t == "Connexions actives" ||
         t == "Conexiones activas";
}

}  // namespace

std::optional<TcpState> windows_localized_state(std::string_view name) {
  static constexpr std::pair<std::string_view, TcpState> kGerman[] = {
      {"HERGESTELLT", TcpState::kEstablished},     {"WARTEND", TcpState::kTimeWait},
      {"SCHLIESSEN_WARTEN", TcpState::kCloseWait}, {"SYN_GESENDET", TcpState::kSynSent},
      {"FIN_WARTEN_1", TcpState::kFinWait1},       {"FIN_WARTEN_2", TcpState::kFinWait2},
      {"SCHLIESSEND", TcpState::kClosing},
  };
  for (auto& [n, st] : kGerman)
    if (name == n) return st;
  if (name.size() >= 7 && name.size() <= 9 && name.starts_with("ABH") && name.ends_with("REN")) {
    std::string_view mid = name.substr(3, name.size() - 6);
    bool foreign = true;
    for (char c : mid) foreign = foreign && static_cast<unsigned char>(c) >= 0x80;
    if (foreign || mid == "OE") return TcpState::kListen;
  }
  return std::nullopt;
}

LineResult NetstatWindowsParser::parse(std::string_view line, Socket* s) {
  std::string_view f[8];
  size_t n = split_fields(line, f, 8);
  Above above = above_;
  above_ = Above::kNone;
  if (is_title(line)) return header_line();
  if (f[0] == "Proto" && n >= 4) return header_line();
  if (f[0] == "UDP") {
    above_ = Above::kUdp;
    return ignored_line("not TCP (UDP line)");
  }
  if (f[0] != "TCP") {
    // netstat -b: the owner of the row above, on lines of its own.
    std::string_view t = trim(line);
    bool bracketed = t.front() == '[' && t.back() == ']';
    bool unknown = t == "Can not obtain ownership information";
    // A component is a name ("RpcSs", "CDPUserSvc_46a8de2e"), not an author's "..." elision.
    bool named = std::any_of(t.begin(), t.end(),
                             [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    bool component = (n == 1 && named) || t.starts_with("--");
    if (above != Above::kNone && (bracketed || unknown || component)) {
      above_ = above;
      if (above == Above::kUdp) return ignored_line("netstat -b owner line of a UDP socket");
      return owner_line(unknown ? std::string_view() : t);
    }
    if (bracketed || unknown) return ignored_line("netstat -b owner line with no socket above");
    return bad_line("not a Windows netstat TCP line", std::string(f[0]));
  }
  if (n < 4)
    return bad_line("too few columns for Windows netstat (want Proto Local Foreign State)");
  *s = Socket{};
  if (auto e = parse_colon_endpoint(f[1], &s->local); e != EndpointError::kNone)
    return bad_line(endpoint_reason(e), std::string(f[1]));
  if (auto e = parse_colon_endpoint(f[2], &s->remote); e != EndpointError::kNone)
    return bad_line(endpoint_reason(e), std::string(f[2]));
  auto state = import_state(f[3]);
  if (!state) state = windows_localized_state(f[3]);
  if (!state)
    return bad_line("unknown state name (English and German names are known)", std::string(f[3]));
  s->state = *state;
  s->original_state = f[3];
  if (n >= 5) {
    uint32_t pid;
    if (!parse_u32(f[4], &pid) || pid > INT32_MAX)
      return bad_line("PID is not a number", std::string(f[4]));
    s->pid = static_cast<int32_t>(pid);
  }
  above_ = Above::kTcp;
  return socket_line();
}

}  // namespace tw
