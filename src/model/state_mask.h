// SPDX-License-Identifier: Apache-2.0
// A set of TCP states, as inet_diag's idiag_states bitmask (bit 1 << state), with the state names
// and groups `ss` accepts in its `state` filter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"
#include "model/tcp_state.h"

namespace tw {

struct StateMask {
  uint32_t bits = 0;

  static StateMask all();
  static StateMask of(TcpState s) { return StateMask{1u << static_cast<int>(s)}; }
  bool has(TcpState s) const { return bits & (1u << static_cast<int>(s)); }
  bool is_all() const { return bits == all().bits; }
  StateMask operator|(StateMask o) const { return StateMask{bits | o.bits}; }

  // The names in this set, e.g. "time-wait,established".
  std::string describe() const;
};

// Parses ss state names and groups: all, connected, synchronized, bucket, big, established,
// syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening
// (also listen), closing; any spelling parse_state() accepts works too (TIME_WAIT). Several names
// are united.
Result<StateMask> parse_state_mask(const std::vector<std::string>& names);

// The text listing every accepted name, for --help and error messages.
std::string_view state_names_help();
// The names of state_names_help() without their explanations, for shell completion.
const std::vector<std::string_view>& state_mask_names();

}  // namespace tw
