// SPDX-License-Identifier: Apache-2.0
#include "import/netstat_linux.h"

#include <optional>
#include <string>

#include "import/endpoint_reasons.h"
#include "import/text_fields.h"
#include "model/portable.h"

namespace tw {

namespace {

constexpr size_t kColumn = 23;  // net-tools netstat.c: address and port cut to 22 + ":"

// net-tools prints its titles and state names from its message catalogs (net-tools 2.10, po/*.po
// as Debian installs them under /usr/share/locale/*/LC_MESSAGES/net-tools.mo). de, pt_BR and cs
// translate states; fr, ja and et keep the English ones. Czech LAST_ACK is two words.
struct NetToolsTitle {
  std::string_view text;
  bool internet;  // "Active Internet connections"; else "Active UNIX domain sockets"
};
constexpr NetToolsTitle kTitles[] = {
    {"Aktive Internetverbindungen", true},
    {"Connexions Internet actives", true},
    {"Conex\xC3\xB5"
     "es Internet Ativas",
     true},  // Conexões Internet Ativas
    {"\xE7\xA8\xBC\xE5\x83\x8D\xE4\xB8\xAD\xE3\x81\xAE\xE3\x82\xA4\xE3\x83\xB3\xE3\x82\xBF\xE3\x83"
     "\xBC\xE3\x83\x8D\xE3\x83\x83\xE3\x83\x88\xE6\x8E\xA5\xE7\xB6\x9A",
     true},  // 稼働中のインターネット接続
    {"Aktivn\xC3\xAD Internetov\xC3\xA1 spojen\xC3\xAD", true},  // Aktivní Internetová spojení
    {"Aktiivsed interneti\xC3\xBChendused", true},               // Aktiivsed internetiühendused
    {"Aktive Sockets in der UNIX-Dom\xC3\xA4ne", false},  // Aktive Sockets in der UNIX-Domäne
    {"Sockets du domaine UNIX actives", false},
    {"Domain sockets UNIX ativos", false},
    {"\xE7\xA8\xBC\xE5\x83\x8D\xE4\xB8\xAD\xE3\x81\xAEUNIX\xE3\x83\x89\xE3\x83\xA1\xE3\x82\xA4\xE3"
     "\x83\xB3\xE3\x82\xBD\xE3\x82\xB1\xE3\x83\x83\xE3\x83\x88",
     false},  // 稼働中のUNIXドメインソケット
    {"Aktivn\xC3\xAD sokety dom\xC3\xA9ny UNIX", false},  // Aktivní sokety domény UNIX
    {"Aktiivsed UNIX domeeni soklid", false},
};

const NetToolsTitle* localized_title(std::string_view line) {
  std::string_view t = trim(line);
  for (auto& title : kTitles)
    if (t.starts_with(title.text)) return &title;
  return nullptr;
}

std::optional<TcpState> localized_state(std::string_view name) {
  static constexpr std::pair<std::string_view, TcpState> kStates[] = {
      {"VERBUNDEN", TcpState::kEstablished},
      {"ESTABELECIDA", TcpState::kEstablished},
      {"SYN_ENVIADO", TcpState::kSynSent},
      {"SYN_RECEBIDO", TcpState::kSynRecv},
      {"ESPERA_FIN1", TcpState::kFinWait1},  // ESPERA_FIN1
      {"ESPERA_FIN2", TcpState::kFinWait2},  // ESPERA_FIN2
      {"FECHAR", TcpState::kClose},
      {"ESPERANDO_FECHAR", TcpState::kCloseWait},
      {"\xC3\x9ALTIMO_ACK", TcpState::kLastAck},  // ÚLTIMO_ACK
      {"OU\xC3\x87"
       "A",
       TcpState::kListen},  // OUÇA
      {"FECHANDO", TcpState::kClosing},
      {"SPOJENO", TcpState::kEstablished},
      {"ZAV\xC5\x98"
       "EN",
       TcpState::kClose},                            // ZAVŘEN
      {"NASLOUCH\xC3\x81", TcpState::kListen},       // NASLOUCHÁ
      {"ZAV\xC3\x8DR\xC3\x81", TcpState::kClosing},  // ZAVÍRÁ
  };
  for (auto& [n, st] : kStates)
    if (name == n) return st;
  return std::nullopt;
}

constexpr std::string_view kCzechLastAck = "POSLEDN\xC3\x8D";  // "POSLEDNÍ ACK"

}  // namespace

LineResult NetstatLinuxParser::parse(std::string_view line, Socket* s) {
  std::string_view f[16];
  size_t n = split_fields(line, f, 16);
  if (f[0] == "Active") {
    // Windows netstat's title; reading it as a non-IP section would hide every TCP row.
    if (n == 2 && f[1] == "Connections")
      return bad_line("not a Linux netstat title (Windows netstat prints \"Active Connections\")");
    other_section_ = line.find("Internet") == std::string_view::npos;
    return header_line();
  }
  if (auto* title = localized_title(line)) {
    other_section_ = !title->internet;
    return header_line();
  }
  if (f[0] == "Proto") return header_line();
  // netstat -p run without root prints a notice of two lines before the table.
  if (line.find("processes could be identified") != std::string_view::npos ||
      line.find("have to be root") != std::string_view::npos ||
      line.find("should be root") != std::string_view::npos)
    return ignored_line("netstat -p notice (not run as root: some PIDs missing)");
  if (f[0] == "udp" || f[0] == "udp6" || f[0] == "udpl" || f[0] == "udpl6" || f[0] == "raw" ||
      f[0] == "raw6")
    return ignored_line("not TCP (udp or raw socket line)");
  bool v6 = f[0] == "tcp6";
  if (f[0] != "tcp" && !v6) {
    if (f[0] == "unix" || other_section_) return ignored_line("not TCP (unix socket line)");
    return bad_line("not a netstat tcp line", std::string(f[0]));
  }
  if (n < 6)
    return bad_line("too few columns for netstat (want Proto Recv-Q Send-Q Local Foreign State)");
  uint64_t q;
  if (!parse_u64(f[1], &q) || !parse_u64(f[2], &q))
    return bad_line("Recv-Q/Send-Q are not numbers", std::string(f[1]) + " " + std::string(f[2]));
  *s = Socket{};
  bool full = false;
  uint8_t cut = 0;
  for (int k = 0; k < 2; ++k) {
    std::string_view text = f[3 + k];
    Endpoint* ep = k == 0 ? &s->local : &s->remote;
    auto e = parse_colon_endpoint(text, ep);
    if (v6 && text.size() == kColumn) full = true;
    if (v6 && text.size() == kColumn && e == EndpointError::kBadAddress) {
      // The address was cut to fit the column (the port is whole): the socket still counts.
      if (!keep_cut(text.substr(0, text.rfind(':')), {}, ep))
        return bad_line(endpoint_reason(EndpointError::kTooManyNames), std::string(text));
      ++cut;
      continue;
    }
    if (e != EndpointError::kNone) return bad_line(endpoint_reason(e), std::string(text));
    // netstat prints IPv4-mapped addresses of tcp6 sockets as plain IPv4.
    if (v6) ep->addr = v4_mapped(ep->addr);
    if (!v6 && ep->addr.family == AF_INET6 && ep->addr.is_unspecified()) ep->addr = Address::v4(0);
  }
  std::string_view spelled = f[5];
  auto state = import_state(spelled);
  if (!state) state = localized_state(spelled);
  if (!state && spelled == kCzechLastAck && n > 6 && f[6] == "ACK") {
    state = TcpState::kLastAck;
    spelled = std::string_view(f[5].data(), f[6].data() + f[6].size() - f[5].data());
  }
  if (!state) return bad_line("unknown state name", std::string(f[5]));
  s->state = *state;
  s->original_state = spelled;
  if (s->state == TcpState::kTimeWait) s->mini = true;
  // -o: "timewait (45.83/0/0)", "keepalive (7186.60/0/0)", "on (0.20/0/0)" or "off (0.00/0/0)":
  // the timer's name and the seconds left (net-tools netstat.c, tcp_do_one).
  for (size_t i = 7; i < n; ++i) {
    if (!f[i].starts_with("(") || f[i - 1] == "off") continue;
    std::string_view secs = f[i].substr(1, f[i].find('/') - 1);
    size_t dot = secs.find('.');
    uint64_t whole, hundredths = 0;
    if (dot == std::string_view::npos || !parse_u64(secs.substr(0, dot), &whole) ||
        !parse_u64(secs.substr(dot + 1), &hundredths) || secs.size() - dot != 3 ||
        whole > 100'000'000)
      continue;
    s->timer_ms = static_cast<int64_t>(whole * 1000 + hundredths * 10);
    if (f[i - 1] == "timewait" && s->state != TcpState::kTimeWait) s->mini = true;
    break;
  }
  // -p: "1234/nginx" or "-"; -e puts User and Inode first.
  for (size_t i = 6; i < n; ++i) {
    size_t slash = f[i].find('/');
    uint32_t pid;
    if (slash != std::string_view::npos && parse_u32(f[i].substr(0, slash), &pid) &&
        pid <= INT32_MAX) {
      s->pid = static_cast<int32_t>(pid);
      break;
    }
  }
  if (cut) return {LineKind::kSocket, kNetstatCut, {}, cut};
  if (full) return {LineKind::kSocket, kNetstatMaybeCut, {}};
  return socket_line();
}

}  // namespace tw
