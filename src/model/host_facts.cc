// SPDX-License-Identifier: Apache-2.0
#include "model/host_facts.h"

#include <fmt/format.h>

#include <charconv>

#include "model/safe_text.h"

namespace tw {

std::optional<std::string> HostFacts::sysctl(const std::string& name) const {
  auto it = sysctls.find(name);
  if (it == sysctls.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> HostFacts::sysctl_int(const std::string& name) const {
  auto v = sysctl(name);
  if (!v) return std::nullopt;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc()) return std::nullopt;
  return out;
}

const char* const* relevant_sysctls() {
  static const char* const kNames[] = {
      "net.ipv4.ip_local_port_range",
      "net.ipv4.ip_local_reserved_ports",
      "net.ipv4.ip_unprivileged_port_start",
      "net.ipv4.tcp_tw_reuse",
      "net.ipv4.tcp_tw_reuse_delay",
      "net.ipv4.tcp_tw_recycle",
      "net.ipv4.tcp_timestamps",
      "net.ipv4.tcp_max_tw_buckets",
      "net.ipv4.tcp_fin_timeout",
      "net.ipv4.tcp_rfc1337",
      "net.ipv4.tcp_max_orphans",
      "net.ipv4.tcp_orphan_retries",
      "net.ipv4.tcp_max_syn_backlog",
      "net.ipv4.tcp_syncookies",
      "net.ipv4.tcp_syn_retries",
      "net.core.somaxconn",
      "net.netfilter.nf_conntrack_count",
      "net.netfilter.nf_conntrack_max",
      "net.netfilter.nf_conntrack_tcp_timeout_time_wait",
      nullptr,
  };
  return kNames;
}

std::string netns_title(const HostFacts& f) {
  if (f.netns.empty()) return "";
  std::string out = "netns " + printable_line(f.netns);
  if (!f.pod.empty())
    out += f.pod_host_network
               ? fmt::format(" (hostNetwork pod {}: the host's namespace, shared with the host)",
                             printable_line(f.pod))
               : fmt::format(" (pod {})", printable_line(f.pod));
  return out;
}

}  // namespace tw
