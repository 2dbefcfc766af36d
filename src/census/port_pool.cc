// SPDX-License-Identifier: Apache-2.0
#include "census/port_pool.h"

namespace tw {

PoolChoice port_pool_for(const HostFacts& f) {
  PoolChoice out;
  if (f.os == "windows") {
    PortPool p;
    auto start = f.windows_params.find("DynamicPortStart");
    auto count = f.windows_params.find("DynamicPortNumber");
    if (start != f.windows_params.end() && count != f.windows_params.end() && start->second > 0 &&
        count->second > 0 && start->second + count->second - 1 <= 65535) {
      p.low = static_cast<uint16_t>(start->second);
      p.high = static_cast<uint16_t>(start->second + count->second - 1);
    } else {
      p.low = 49152;  // Windows Vista and later (RFC 6335 dynamic range)
      p.high = 65535;
      out.assumed = true;
    }
    out.pool = p;
    return out;
  }
  if (f.os != "linux" && !f.os.empty()) return out;  // BSD/macOS pools are not modelled yet
  auto range = f.sysctl("net.ipv4.ip_local_port_range");
  if (!range) {
    out.pool = PortPool{};
    out.assumed = true;
    return out;
  }
  auto p = parse_port_range(*range);
  if (!p) {
    out.error = "net.ipv4.ip_local_port_range: " + p.error();
    return out;
  }
  if (auto reserved = f.sysctl("net.ipv4.ip_local_reserved_ports")) {
    auto list = parse_port_list(*reserved);
    if (!list) {
      out.error = "net.ipv4.ip_local_reserved_ports: " + list.error();
      return out;
    }
    p->reserved = *list;
  }
  out.pool = *p;
  return out;
}

}  // namespace tw
