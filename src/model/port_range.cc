// SPDX-License-Identifier: Apache-2.0
#include "model/port_range.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace tw {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool parse_port(std::string_view s, uint16_t* out) {
  s = trim(s);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

int PortPool::usable() const {
  if (high < low) return 0;
  int n = high - low + 1;
  if (reserved.empty()) return n;
  // Reserved ranges may overlap each other: each port is subtracted once. A census asks once per
  // tuple, so this is the ranges sorted, not a walk of the pool's ports (that walk was 18 % of an
  // --all-netns scrape of a 1M-socket node).
  std::vector<std::pair<int, int>> r;
  for (auto [a, b] : reserved) {
    const int from = std::max<int>(a, low), to = std::min<int>(b, high);
    if (from <= to) r.emplace_back(from, to);
  }
  std::sort(r.begin(), r.end());
  int covered = low - 1;  // the highest port subtracted so far
  for (auto [a, b] : r) {
    if (b <= covered) continue;
    n -= b - std::max(a, covered + 1) + 1;
    covered = b;
  }
  return n;
}

Result<PortPool> parse_port_range(std::string_view text) {
  text = trim(text);
  size_t sep = text.find_first_of(" \t");
  PortPool pool;
  if (sep == std::string_view::npos || !parse_port(text.substr(0, sep), &pool.low) ||
      !parse_port(text.substr(sep + 1), &pool.high))
    return fail(fmt::format("port range '{}' is not two port numbers", text));
  if (pool.high < pool.low) return fail(fmt::format("port range '{}' ends before it starts", text));
  return pool;
}

Result<PortPool> parse_port_range_option(std::string_view text) {
  std::string r(text);
  size_t dash = r.find('-');
  if (dash != std::string::npos) r[dash] = ' ';
  auto p = dash == std::string::npos ? fail("") : parse_port_range(r);
  if (!p) return fail(fmt::format("--port-range '{}': want LOW-HIGH, e.g. 32768-60999", text));
  return p;
}

Result<std::vector<std::pair<uint16_t, uint16_t>>> parse_port_list(std::string_view text) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  text = trim(text);
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t dash = item.find('-');
    uint16_t a, b;
    if (dash == std::string_view::npos) {
      if (!parse_port(item, &a)) return fail(fmt::format("'{}' is not a port", item));
      b = a;
    } else if (!parse_port(item.substr(0, dash), &a) || !parse_port(item.substr(dash + 1), &b) ||
               b < a) {
      return fail(fmt::format("'{}' is not a port range", item));
    }
    out.emplace_back(a, b);
  }
  return out;
}

}  // namespace tw
