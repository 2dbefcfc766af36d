// SPDX-License-Identifier: Apache-2.0
// What each lever buys: the plan made again with one change (one more source or NAT address,
// keep-alive, tcp_tw_reuse, IP_BIND_ADDRESS_NO_PORT, a wider port range), next to today's.
// A lever that cannot help here says why instead of promising a gain.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/planner.h"

namespace tw::plan {

struct Lever {
  std::string name;    // "one more source address"
  std::string change;  // what to do: "add 10.0.0.6 to the client" / the sysctl line
  std::string source;
  bool applies = true;  // false: it changes nothing here; `change` says why
  std::optional<double> sustainable_total;
  double total_rate = 0;           // new connections/s the traffic needs with the lever
  std::optional<double> headroom;  // sustainable_total / total_rate
  std::optional<double> gain;      // headroom with the lever / headroom today
};

std::vector<Lever> levers(const Plan& today);

}  // namespace tw::plan
