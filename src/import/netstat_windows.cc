// SPDX-License-Identifier: Apache-2.0
#include "import/netstat_windows.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>

#include "import/endpoint_reasons.h"
#include "import/text_fields.h"

namespace tw {

namespace {

// The title and the first column's heading as netstat.exe prints them in the languages of real
// captures (tests/fixtures/import/real/README.md names each source). Russian, Chinese and Japanese
// head the first column "Имя", "协议" and "プロトコル"; the others seen keep "Proto".
bool is_title(std::string_view line) {
  static constexpr std::string_view kTitles[] = {
      "Active Connections",
      "Aktive Verbindungen",
      "Connexions actives",
      "Conexiones activas",
      "\xD0\x90\xD0\xBA\xD1\x82\xD0\xB8\xD0\xB2\xD0\xBD\xD1\x8B\xD0\xB5 "
      "\xD0\xBF\xD0\xBE\xD0\xB4\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87\xD0\xB5\xD0\xBD\xD0\xB8\xD1"
      "\x8F",  // Активные подключения
      "\xE6\xB4\xBB\xE5\x8A\xA8\xE8\xBF\x9E\xE6\x8E\xA5",  // 活动连接
      "\xE3\x82\xA2\xE3\x82\xAF\xE3\x83\x86\xE3\x82\xA3\xE3\x83\x96\xE3\x81\xAA\xE6\x8E\xA5"
      "\xE7\xB6\x9A",  // アクティブな接続
      "Conex\xC3\xB5"
      "es ativas",  // Conexões ativas
      "Connessioni attive",
  };
  std::string_view t = trim(line);
  return std::find(std::begin(kTitles), std::end(kTitles), t) != std::end(kTitles);
}

bool is_column_header(std::string_view first, size_t fields) {
  return fields >= 4 &&
         (first == "Proto" || first == "\xD0\x98\xD0\xBC\xD1\x8F" /* Имя */ ||
          first == "\xE5\x8D\x8F\xE8\xAE\xAE" /* 协议 */ ||
          first == "\xE3\x83\x97\xE3\x83\xAD\xE3\x83\x88\xE3\x82\xB3\xE3\x83\xAB" /* プロトコル */);
}

// cmd.exe writes a redirected netstat in the console's OEM code page (866 Russian, 936 Chinese,
// 932 Japanese, 850 Western); the line reader turns such bytes into U+FFFD. A title or column
// header so written is text without digits or colons, which every socket row has, and no -b
// owner line (a bracketed executable, an ASCII service name); the rows themselves stay ASCII.
// Shift-JIS and GBK bytes may read as ASCII letters or brackets ("ー" is 0x81 0x5B).
bool is_header_in_code_page(std::string_view t) {
  // An ASCII encoder (`Out-File -Encoding ascii`) leaves "?" for each such character instead.
  if (t.find("\xEF\xBF\xBD") == std::string_view::npos && t.find("??") == std::string_view::npos)
    return false;
  return std::none_of(t.begin(), t.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == ':';
  });
}

// -b's "Can not obtain ownership information" as other languages print it (real captures):
// Spanish "No se puede obtener información de propiedad" (its "ó" also as cmd.exe's code page 850
// left it, shown as "¢" or read as U+FFFD), French "Impossible d’obtenir les informations de
// propriétaire", Chinese "无法获取所有权信息".
bool is_unknown_owner(std::string_view t) {
  if (t == "Can not obtain ownership information" ||
      t == "\xE6\x97\xA0\xE6\xB3\x95\xE8\x8E\xB7\xE5\x8F\x96\xE6\x89\x80\xE6\x9C\x89\xE6\x9D\x83"
           "\xE4\xBF\xA1\xE6\x81\xAF" /* 无法获取所有权信息 */)
    return true;
  if (t.starts_with("No se puede obtener informaci") && t.ends_with("n de propiedad")) return true;
  return t.starts_with("Impossible d") &&
         t.find("obtenir les informations de propri") != std::string_view::npos;
}

// Without -n netstat.exe prints the first label of each resolved name ("a23-57-5-23:https"); a
// reverse name that starts with a number leaves just that number ("47:https", "82:http" in real
// captures). An address is never a bare number there (IPv4 is dotted, IPv6 bracketed), so such a
// label is a host name, where other formats take a bare number for a broken address.
EndpointError parse_endpoint(std::string_view text, Endpoint* ep) {
  EndpointError e = parse_colon_endpoint(text, ep);
  if (e != EndpointError::kBadAddress) return e;
  std::string_view host = text.substr(0, text.rfind(':'));
  bool label = !host.empty() && host.size() <= 63 &&
               std::all_of(host.begin(), host.end(),
                           [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!label) return e;
  auto a = Address::named(host);
  if (!a) return EndpointError::kTooManyNames;
  ep->addr = *a;
  return EndpointError::kNone;
}

// netstat -t's "Offload State" column: TCP_CONNECTION_OFFLOAD_STATE's names (InHost in real
// captures, Offloaded where TCP Chimney took the connection).
bool is_offload_state(std::string_view f) {
  return f == "InHost" || f == "Offloading" || f == "Offloaded" || f == "Uploading";
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
    // "?": what an ASCII encoder (Out-File -Encoding ascii, Python's "replace") leaves of it.
    if (foreign || mid == "OE" || mid == "?") return TcpState::kListen;
  }
  return std::nullopt;
}

LineResult NetstatWindowsParser::parse(std::string_view line, Socket* s) {
  std::string_view f[8];
  size_t n = split_fields(line, f, 8);
  Above above = above_;
  above_ = Above::kNone;
  if (is_title(line)) {
    if (seen_socket_)
      return refusing_line(
          "a second netstat table starts here: the file holds several snapshots (netstat run "
          "with an interval, or twice into one file), and counting them together counts each "
          "socket once per snapshot; keep one table in a file of its own",
          std::string(trim(line)));
    return header_line();
  }
  if (is_column_header(f[0], n)) return header_line();
  if (f[0] == "UDP") {
    above_ = Above::kUdp;
    return ignored_line("not TCP (UDP line)");
  }
  if (f[0] != "TCP") {
    // netstat -b: the owner of the row above, on lines of its own.
    std::string_view t = trim(line);
    bool bracketed = t.front() == '[' && t.back() == ']';
    bool unknown = is_unknown_owner(t);
    // Before the owner rules: a one-word title in GBK or Shift-JIS may hold ASCII letters.
    if (!unknown && !bracketed && is_header_in_code_page(t)) return header_line();
    // What the console shows when netstat with an interval is stopped: no -b component.
    if (t == "^C") return ignored_line("Ctrl+C mark");
    // A component is a name ("RpcSs", "CDPUserSvc_46a8de2e"), not an author's "..." elision.
    bool named = std::any_of(t.begin(), t.end(),
                             [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    // A console prompt pasted after the table ("C:\WINDOWS\Temp>") is no component.
    bool prompt = t.find('\\') != std::string_view::npos || t.ends_with('>');
    bool component = (n == 1 && named && !prompt) || t.starts_with("--");
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
  if (auto e = parse_endpoint(f[1], &s->local); e != EndpointError::kNone)
    return bad_line(endpoint_reason(e), std::string(f[1]));
  if (auto e = parse_endpoint(f[2], &s->remote); e != EndpointError::kNone)
    return bad_line(endpoint_reason(e), std::string(f[2]));
  auto state = import_state(f[3]);
  if (!state) state = windows_localized_state(f[3]);
  // A state no parser knows is a language whose names no real capture showed: skipping its rows
  // would drop whole states from the census.
  if (!state)
    return refusing_line(
        "a TCP state name timewait does not know (it reads the English and German names of "
        "Windows netstat), and without these rows every count would be wrong: capture with "
        "`Get-NetTCPConnection | Export-Csv FILE -NoTypeInformation`, whose State names are "
        "English on every Windows",
        std::string(f[3]));
  s->state = *state;
  s->original_state = f[3];
  // -o adds the PID, -t the offload state (`netstat -ant`, typed out of Linux habit, has it).
  for (size_t i = 4; i < n && i < 6; ++i) {
    if (is_offload_state(f[i])) continue;
    uint32_t pid;
    if (!parse_u32(f[i], &pid) || pid > INT32_MAX)
      return bad_line("PID is not a number", std::string(f[i]));
    s->pid = static_cast<int32_t>(pid);
  }
  above_ = Above::kTcp;
  seen_socket_ = true;
  return socket_line();
}

}  // namespace tw
