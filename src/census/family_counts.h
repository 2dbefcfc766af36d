// SPDX-License-Identifier: Apache-2.0
// Sockets per state for IPv4 and IPv6 apart (the exporter's `family` label), with the orphaned
// FIN_WAIT2 mini-sockets of each family counted apart too; fed socket by socket like a census.
#pragma once

#include <sys/socket.h>

#include "census/census.h"

namespace tw {

struct FamilyCounts {
  StateCounts v4{}, v6{};
  int64_t fin_wait2_mini_v4 = 0, fin_wait2_mini_v6 = 0;

  void add(const Socket& s) {
    const bool six = s.local.addr.family == AF_INET6;
    (six ? v6 : v4)[state_index(s.state)]++;
    if (s.mini && s.state == TcpState::kFinWait2) ++(six ? fin_wait2_mini_v6 : fin_wait2_mini_v4);
  }
};

}  // namespace tw
