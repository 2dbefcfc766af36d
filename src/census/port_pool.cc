// SPDX-License-Identifier: Apache-2.0
#include "census/port_pool.h"

#include <fmt/format.h>

#include <cstdio>

namespace tw {

PoolChoice port_pool_for(const HostFacts& f) {
  PoolChoice out;
  if (f.os == "windows") {
    PortPool p;
    p.split_parity = false;
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

namespace {
// "6.18.0-1-amd64" -> 6018; 0 when unreadable.
int kernel_version(const std::string& release) {
  int major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return 0;
  return major * 1000 + minor;
}
constexpr const char* kUnseen =
    ": ports held by bind() alone (bound, neither listening nor connected) cannot be seen, and "
    "the pools may be fuller than shown";
}  // namespace

PoolChoice choose_pool(const HostFacts& facts, const std::optional<PortPool>& given) {
  if (given) return PoolChoice{given, false, ""};
  return port_pool_for(facts);
}

BoundVisibility bound_only_visibility(const HostFacts& f, int64_t seen) {
  BoundVisibility v;
  if (seen > 0) {
    v.visible = true;
    return v;
  }
  if (f.source == "netlink") {
    const int version = kernel_version(f.kernel);
    v.visible = version >= 6008;
    if (!*v.visible)
      v.note = fmt::format(
          "kernel {} does not dump bound-only sockets through inet_diag (TCP_BOUND_INACTIVE, "
          "Linux 6.8){}",
          f.kernel.empty() ? "(unknown)" : f.kernel, kUnseen);
  } else if (f.source == "proc") {
    v.visible = false;
    v.note = std::string("/proc/net/tcp does not list bound-only sockets") + kUnseen;
  } else if (f.source == "bpf") {
    v.visible = false;
    v.note = std::string(
                 "the bpf iterator walks connected and listening sockets only (use "
                 "--source netlink)") +
             kUnseen;
  } else if (f.source == "import:powershell-table" || f.source == "import:powershell-csv") {
    v.visible = true;  // Get-NetTCPConnection lists State Bound
  }
  return v;
}

}  // namespace tw
