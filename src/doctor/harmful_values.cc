// SPDX-License-Identifier: Apache-2.0
#include "doctor/harmful_values.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "model/host_facts.h"

namespace tw {

namespace {

std::optional<int64_t> as_int(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

// Floors below which a value is harmful whatever it replaces (a revert restores old values, so
// "lower than now" cannot catch these there).
constexpr int64_t kMinTimeWaitBuckets = 1000;
constexpr int64_t kMinRangePorts = 100;  // 1.7 new connections a second to one destination
constexpr int64_t kMinSomaxconn = 128;

// The number of ports of an ip_local_port_range value ("32768\t60999"), nullopt if it is not one.
std::optional<int64_t> range_ports(const std::string& value) {
  std::istringstream in(value);
  int64_t lo = 0, hi = 0;
  std::string rest;
  if (!(in >> lo >> hi) || (in >> rest) || lo < 1 || hi > 65535 || lo > hi) return std::nullopt;
  return hi - lo + 1;
}

}  // namespace

std::optional<std::string> harmful_reason(const std::string& name, const std::string& value,
                                          const std::optional<std::string>& current) {
  auto v = as_int(value);
  auto cur = as_int(current);
  if (name == "net.ipv4.tcp_tw_recycle" && value != "0")
    return "tcp_tw_recycle drops SYNs from clients behind NAT (removed in Linux 4.12)";
  if (name == "net.ipv4.tcp_timestamps" && value == "0")
    return "turning timestamps off disables PAWS and tcp_tw_reuse";
  if (name == "net.ipv4.tcp_max_tw_buckets" && v && *v < kMinTimeWaitBuckets)
    return fmt::format(
        "a tcp_max_tw_buckets under {} makes connections close without TIME_WAIT (late "
        "segments then reach new connections)",
        kMinTimeWaitBuckets);
  if (name == "net.ipv4.tcp_max_tw_buckets" && v && cur && *v < *cur)
    return "lowering tcp_max_tw_buckets makes connections close without TIME_WAIT";
  if (name == "net.ipv4.ip_local_port_range") {
    auto ports = range_ports(value);
    if (!ports) return "it is not a port range (LOW HIGH, from 1 to 65535, LOW <= HIGH)";
    if (*ports < kMinRangePorts)
      return fmt::format(
          "a range of {} port{} runs out at {} new connection{} a second to one destination "
          "(each port stays in TIME_WAIT 60 s)",
          *ports, *ports == 1 ? "" : "s", std::max<int64_t>(1, *ports / 60),
          *ports / 60 > 1 ? "s" : "");
    auto now = current ? range_ports(*current) : std::nullopt;
    if (now && *ports < *now)
      return fmt::format("a narrower range ({} ports, now {}) runs out of ports sooner", *ports,
                         *now);
  }
  if (name == "net.core.somaxconn" && v && *v < kMinSomaxconn)
    return fmt::format(
        "a listen backlog under {} (Linux's default before 5.4) drops connections in any burst",
        kMinSomaxconn);
  if (name == "net.ipv4.tcp_fin_timeout")
    return "tcp_fin_timeout governs orphaned FIN_WAIT2, not TIME_WAIT; the doctor never changes it";
  if (name == "net.ipv4.tcp_tw_reuse_delay" && v && *v < 1000)
    return "a tcp_tw_reuse_delay below 1000 ms can break PAWS for peers with a slower clock";
  if (name == "net.ipv4.tcp_syncookies" && value == "0")
    return "turning SYN cookies off exposes listeners to SYN floods";
  if (name == "net.netfilter.nf_conntrack_tcp_timeout_time_wait" && v && *v < 60)
    return "a conntrack TIME_WAIT shorter than Linux's 60 s drops late segments";
  return std::nullopt;
}

bool is_managed_sysctl(const std::string& name) {
  if (name == "net.netfilter.nf_conntrack_count") return false;  // read only
  for (const char* const* n = relevant_sysctls(); *n; ++n)
    if (name == *n) return true;
  return false;
}

bool is_sysctl_value(const std::string& value) {
  // Numbers, port ranges and port lists ("32768\t60999", "8080,9000-9010"); never a path or a
  // command (kernel.core_pattern takes "|/bin/sh" and is not ours).
  return value.size() <= 65536 && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= '0' && c <= '9') || c == ' ' || c == '\t' || c == ',' || c == '-';
         });
}

std::string unmanaged_reason(const std::string& name, const std::optional<std::string>& value) {
  if (!is_managed_sysctl(name))
    return fmt::format("it names {}, which `doctor --apply` never writes", name);
  if (value && !is_sysctl_value(*value))
    return fmt::format("its value for {} is not one the kernel prints", name);
  return "";
}

}  // namespace tw
