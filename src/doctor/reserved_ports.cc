// SPDX-License-Identifier: Apache-2.0
#include "doctor/reserved_ports.h"

#include <fmt/format.h>

#include <algorithm>

#include "model/port_range.h"

namespace tw {

std::string reserved_ports_with(std::string_view existing, const std::vector<uint16_t>& add) {
  std::vector<std::pair<int, int>> r;
  if (auto list = parse_port_list(existing))
    for (auto [lo, hi] : *list) r.emplace_back(lo, hi);
  for (uint16_t p : add) r.emplace_back(p, p);
  std::sort(r.begin(), r.end());
  std::vector<std::pair<int, int>> merged;
  for (auto [lo, hi] : r) {
    if (!merged.empty() && lo <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, hi);
    else
      merged.emplace_back(lo, hi);
  }
  std::string out;
  for (auto [lo, hi] : merged) {
    if (!out.empty()) out += ',';
    out += lo == hi ? fmt::format("{}", lo) : fmt::format("{}-{}", lo, hi);
  }
  return out;
}

std::vector<uint16_t> node_ports_in_pool(const NodePorts& np, const PortPool& pool) {
  std::vector<uint16_t> out;
  for (int p = std::max<int>(np.low, pool.low); p <= std::min<int>(np.high, pool.high); ++p)
    if (pool.contains(static_cast<uint16_t>(p))) out.push_back(static_cast<uint16_t>(p));
  for (uint16_t p : np.in_use)
    if (pool.contains(p)) out.push_back(p);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace tw
