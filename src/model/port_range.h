// SPDX-License-Identifier: Apache-2.0
// The ephemeral port pool: net.ipv4.ip_local_port_range minus net.ipv4.ip_local_reserved_ports
// (or a Windows dynamic port range). connect() without bind() draws its source port from here.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/result.h"

namespace tw {

struct PortPool {
  uint16_t low = 32768, high = 60999;  // inclusive; Linux default since 2.6.x is 32768-60999
  std::vector<std::pair<uint16_t, uint16_t>> reserved;  // inclusive ranges
  // Linux (4.2+): connect() takes ports of the low end's parity first, bind(0) the other; a
  // census reads bind() before connect() from that. Windows hands ports out otherwise.
  bool split_parity = true;

  // In range and not reserved. Inline: the census asks once per socket.
  bool contains(uint16_t port) const {
    if (port < low || port > high) return false;
    for (auto [a, b] : reserved)
      if (port >= a && port <= b) return false;
    return true;
  }
  int usable() const;  // ports in range that are not reserved
};

// "32768\t60999" or "32768 60999" as /proc/sys prints it.
Result<PortPool> parse_port_range(std::string_view text);
// "LOW-HIGH" as the --port-range options take it ("32768-60999"); errors name the option.
Result<PortPool> parse_port_range_option(std::string_view text);
// "8080,9000-9010" as /proc/sys/net/ipv4/ip_local_reserved_ports prints it; "" is no ports.
Result<std::vector<std::pair<uint16_t, uint16_t>>> parse_port_list(std::string_view text);

}  // namespace tw
