// SPDX-License-Identifier: Apache-2.0
#include "model/tcp_state.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace tw {

namespace {

struct Names {
  std::string_view ss, netstat, filter;
};

constexpr std::array<Names, kStateCount> kNames = {{
    {"ESTAB", "ESTABLISHED", "established"},
    {"SYN-SENT", "SYN_SENT", "syn-sent"},
    {"SYN-RECV", "SYN_RECV", "syn-recv"},
    {"FIN-WAIT-1", "FIN_WAIT1", "fin-wait-1"},
    {"FIN-WAIT-2", "FIN_WAIT2", "fin-wait-2"},
    {"TIME-WAIT", "TIME_WAIT", "time-wait"},
    {"UNCONN", "CLOSE", "closed"},
    {"CLOSE-WAIT", "CLOSE_WAIT", "close-wait"},
    {"LAST-ACK", "LAST_ACK", "last-ack"},
    {"LISTEN", "LISTEN", "listening"},
    {"CLOSING", "CLOSING", "closing"},
}};

// Lower-case and drop '-', '_' and spaces so that TIME-WAIT, TIME_WAIT and TimeWait compare equal.
std::string fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '-' || c == '_' || c == ' ') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::string_view ss_name(TcpState s) { return kNames[state_index(s)].ss; }
std::string_view netstat_name(TcpState s) { return kNames[state_index(s)].netstat; }
std::string_view filter_name(TcpState s) { return kNames[state_index(s)].filter; }

std::optional<TcpState> parse_state(std::string_view name) {
  std::string f = fold(name);
  for (int i = 0; i < kStateCount; ++i) {
    if (f == fold(kNames[i].ss) || f == fold(kNames[i].netstat) || f == fold(kNames[i].filter))
      return state_at(i);
  }
  // Spellings of other systems: Windows netstat (LISTENING, FIN_WAIT_1, SYN_RECEIVED, CLOSED),
  // PowerShell's Get-NetTCPConnection (Listen, SynReceived, Closed), BSD (FIN_WAIT_1, CLOSED).
  static constexpr std::pair<std::string_view, TcpState> kAliases[] = {
      {"listening", TcpState::kListen},
      {"synreceived", TcpState::kSynRecv},
      {"synrcvd", TcpState::kSynRecv},
  };
  for (auto& [alias, state] : kAliases)
    if (f == alias) return state;
  return std::nullopt;
}

}  // namespace tw
