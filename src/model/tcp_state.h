// SPDX-License-Identifier: Apache-2.0
// The 11 TCP states of RFC 793, numbered as Linux numbers them (include/net/tcp_states.h), and
// the names other tools print for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tw {

enum class TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
};

inline constexpr int kStateCount = 11;

// Index 0..10 for arrays indexed by state.
inline constexpr int state_index(TcpState s) { return static_cast<int>(s) - 1; }
inline constexpr TcpState state_at(int index) { return static_cast<TcpState>(index + 1); }

// What `ss` prints: ESTAB, SYN-SENT, ..., TIME-WAIT, UNCONN, CLOSE-WAIT, LAST-ACK, LISTEN, CLOSING.
std::string_view ss_name(TcpState s);
// What Linux netstat and /proc docs print: ESTABLISHED, SYN_SENT, ..., TIME_WAIT, CLOSE, LISTEN.
std::string_view netstat_name(TcpState s);
// The lower-case name ss accepts in a `state` filter: established, syn-sent, ..., time-wait.
std::string_view filter_name(TcpState s);

// Parses a state as any of ss, Linux/BSD/Windows netstat, PowerShell or /proc print it
// (case-insensitive: "TIME-WAIT", "TIME_WAIT", "TimeWait", "ESTAB", "LISTENING", "CLOSED", "Bound"
// is not a TCP state and returns nothing).
std::optional<TcpState> parse_state(std::string_view name);

}  // namespace tw
