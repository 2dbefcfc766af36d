// SPDX-License-Identifier: Apache-2.0
#include "model/format.h"

#include <fmt/format.h>

#include <cmath>

namespace tw {

std::string with_commas(int64_t n) {
  std::string digits = fmt::format("{}", n < 0 ? -n : n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count && count % 3 == 0) out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  if (n < 0) out.push_back('-');
  return std::string(out.rbegin(), out.rend());
}

std::string format_rate(double r) {
  if (r < 10) return fmt::format("~{:.1f}/s", r);
  return fmt::format("~{}/s", with_commas(std::llround(r)));
}

std::string format_percent(double p) {
  // One decimal, never rounded up to a full pool that is not full.
  if (p < 100 && p >= 99.95) return "99.9 %";
  return fmt::format("{:.1f} %", p);
}

double round_to(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

}  // namespace tw
