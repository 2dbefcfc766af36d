// SPDX-License-Identifier: Apache-2.0
#include "doctor/range_proposal.h"

#include <fmt/format.h>

#include <algorithm>

#include "doctor/reserved_ports.h"
#include "model/format.h"

namespace tw {

namespace {

struct Candidate {
  uint16_t low, high;
  bool is_default;  // the OS's own default range
};

// Linux: the kernel default 32768-60999, then 10000-65535 (ends of different parity, as the kernel
// prefers). Windows: the Vista default 49152-65535, then 10000-65535.
std::vector<Candidate> candidates(bool windows) {
  if (windows) return {{49152, 65535, true}, {10000, 65535, false}};
  return {{32768, 60999, true}, {10000, 65535, false}};
}

// Today's pool from the captured settings (not an assumed default).
std::optional<PortPool> current_pool(const DoctorInput& in) {
  if (in.is_windows()) {
    if (!in.windows_dynamicport && !in.facts.windows_params.count("DynamicPortStart"))
      return std::nullopt;
    if (!in.pool || in.pool_assumed) return std::nullopt;
    return in.pool;
  }
  auto range = in.facts.sysctl("net.ipv4.ip_local_port_range");
  if (!range) return std::nullopt;
  auto pool = parse_port_range(*range);
  if (!pool) return std::nullopt;
  if (auto r = in.facts.sysctl("net.ipv4.ip_local_reserved_ports"))
    if (auto list = parse_port_list(*r)) pool->reserved = *list;
  return *pool;
}

// The lowest first port the kernel accepts: it refuses (EINVAL) an ip_local_port_range starting
// below ip_unprivileged_port_start (measured: 20000 refused with it at 30000), default 1024.
// Today's range already passed that check, so it never goes above today's low end.
uint16_t lowest_allowed_low(const DoctorInput& in, const PortPool& now) {
  if (in.is_windows()) return 1025;  // the dynamic range starts at 1025 or above (FACTS.md)
  int64_t floor = in.facts.sysctl_int("net.ipv4.ip_unprivileged_port_start").value_or(1024);
  floor = std::clamp<int64_t>(floor, 1, now.low);
  return static_cast<uint16_t>(floor);
}

}  // namespace

std::vector<uint16_t> listening_ports(const DoctorInput& in) {
  std::vector<uint16_t> ports;
  if (!in.by_local_port) return ports;
  for (const GroupRow& row : in.by_local_port->groups())
    if (row.counts[state_index(TcpState::kListen)]) ports.push_back(row.key.local.port);
  std::sort(ports.begin(), ports.end());
  return ports;
}

std::string RangeProposal::summary() const {
  return fmt::format("{}-{}: {} usable ports instead of {}", low, high, with_commas(usable_after),
                     with_commas(usable_now));
}

std::optional<RangeProposal> propose_wider_range(const DoctorInput& in) {
  auto now = current_pool(in);
  if (!now) return std::nullopt;
  const std::vector<uint16_t> listeners = listening_ports(in);
  const uint16_t floor = lowest_allowed_low(in, *now);
  for (const Candidate& c : candidates(in.is_windows())) {
    // The hull of today's range and the candidate: no port of today's pool is given up.
    PortPool next = *now;
    next.low = std::max(std::min(now->low, c.low), floor);
    next.high = std::max(now->high, c.high);
    // Ends of different parity, as the kernel asks ("prefer different parity for start/end
    // values"): connect() takes the low end's parity first and leaves the other to bind().
    // Widen by one port, never narrow.
    if (!in.is_windows() && (next.low & 1) == (next.high & 1)) {
      if (next.low > floor)
        --next.low;
      else if (next.high < 65535)
        ++next.high;
    }
    RangeProposal p;
    p.low = next.low;
    p.high = next.high;
    p.listeners_known = in.by_local_port != nullptr;
    for (uint16_t port : listeners)
      if (next.contains(port)) {
        p.reserved_listeners.push_back(port);
        next.reserved.emplace_back(port, port);
      }
    p.usable_now = now->usable();
    p.usable_after = next.usable();
    if (p.usable_after <= p.usable_now) continue;
    // Within the OS default (all of it, or as much as ip_unprivileged_port_start allows).
    const bool inside_default = c.is_default && next.low >= c.low && next.high <= c.high;
    p.apply = inside_default && p.listeners_known && !in.is_windows();
    if (in.is_windows()) {
      const int num = p.high - p.low + 1;
      for (const char* family : {"ipv4", "ipv6"})
        p.commands.push_back(
            fmt::format("netsh int {} set dynamicport tcp start={} num={}", family, p.low, num));
      for (uint16_t port : p.reserved_listeners)
        p.commands.push_back(fmt::format(
            "netsh int ipv4 add excludedportrange protocol=tcp startport={} numberofports=1",
            port));
    } else {
      p.sysctls.push_back(
          {"net.ipv4.ip_local_port_range", fmt::format("{} {}", p.low, p.high), p.apply});
      if (!p.reserved_listeners.empty())
        p.sysctls.push_back(
            {"net.ipv4.ip_local_reserved_ports",
             reserved_ports_with(in.facts.sysctl("net.ipv4.ip_local_reserved_ports").value_or(""),
                                 p.reserved_listeners),
             p.apply});
    }
    return p;
  }
  return std::nullopt;
}

std::optional<RangeProposal> small_range_fix(const DoctorInput& in) {
  if (in.is_windows()) return std::nullopt;
  auto now = current_pool(in);
  if (!now || now->usable() >= kSmallRange) return std::nullopt;
  return propose_wider_range(in);
}

}  // namespace tw
