// SPDX-License-Identifier: Apache-2.0
#include "doctor/sysctl_conf.h"

#include <fmt/format.h>

#include <sstream>

#include "doctor/harmful_values.h"

namespace tw {

std::string fold_blanks(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\t' || c == '\n') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// `name = value` lines of a sysctl.d file, in order (comments dropped).
std::vector<std::pair<std::string, std::string>> conf_entries(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto t = fold_blanks(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos) continue;
    out.emplace_back(fold_blanks(t.substr(0, eq)), fold_blanks(t.substr(eq + 1)));
  }
  return out;
}

// Why `text` is not a sysctl.d file --apply could have written, or "": comments and the settings
// it writes, with values it does not refuse.
std::string conf_problem(const std::string& text) {
  for (auto& [name, value] : conf_entries(text)) {
    if (auto why = unmanaged_reason(name, value); !why.empty()) return why;
    if (auto harm = harmful_reason(name, value, std::nullopt))
      return fmt::format("it sets {} = {} ({})", name, value, *harm);
  }
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto t = fold_blanks(line);
    if (!t.empty() && t[0] != '#' && t[0] != ';' && t.find('=') == std::string::npos)
      return fmt::format("it has a line that is not a setting ({})", t.substr(0, 80));
  }
  return "";
}

}  // namespace tw
