// SPDX-License-Identifier: Apache-2.0
#include "doctor/text_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace tw {

std::string render_diff(const std::string& path, const std::string& a, const std::string& b) {
  auto lines = [](const std::string& t) {
    std::vector<std::string> out;
    std::istringstream in(t);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  };
  auto x = lines(a), y = lines(b);
  // Longest common subsequence: these files are a few lines long.
  std::vector<std::vector<int>> L(x.size() + 1, std::vector<int>(y.size() + 1));
  for (size_t i = x.size(); i-- > 0;)
    for (size_t j = y.size(); j-- > 0;)
      L[i][j] = x[i] == y[j] ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
  std::string out = fmt::format("--- {}\n+++ {}\n", path, path);
  size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    if (i < x.size() && j < y.size() && x[i] == y[j]) {
      out += " " + x[i++] + "\n";
      ++j;
    } else if (i < x.size() && (j == y.size() || L[i + 1][j] >= L[i][j + 1])) {
      out += "-" + x[i++] + "\n";  // removals before additions, as diff -u shows them
    } else {
      out += "+" + y[j++] + "\n";
    }
  }
  return out;
}

}  // namespace tw
