// SPDX-License-Identifier: Apache-2.0
#include "lab/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tw::lab {

namespace {

// Greedy word wrap; a word longer than the width is cut.
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    std::string word = text.substr(i, j - i);
    i = j + 1;
    while (word.size() > width) {
      if (!line.empty()) lines.push_back(line), line.clear();
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (!line.empty() && line.size() + 1 + word.size() > width) lines.push_back(line), line.clear();
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

std::string render_table(const ScenarioResult& r) {
  constexpr size_t kWhat = 34, kTheory = 27, kMeasured = 26;
  std::string out = fmt::format("{}: {}\n\n", r.name, r.title);
  out += fmt::format("{:<{}} {:<{}} {:<{}} {}\n", "what", kWhat, "theory", kTheory, "measured",
                     kMeasured, "verdict");
  out += fmt::format("{:-<{}} {:-<{}} {:-<{}} {:-<9}\n", "", kWhat, "", kTheory, "", kMeasured, "");
  for (const Row& row : r.rows) {
    auto a = wrap(row.what, kWhat), b = wrap(row.theory, kTheory),
         c = wrap(row.measured, kMeasured);
    size_t n = std::max({a.size(), b.size(), c.size()});
    for (size_t i = 0; i < n; ++i) {
      std::string line = fmt::format("{:<{}} {:<{}} {:<{}} {}", i < a.size() ? a[i] : "", kWhat,
                                     i < b.size() ? b[i] : "", kTheory, i < c.size() ? c[i] : "",
                                     kMeasured, i == 0 ? verdict_name(row.verdict) : "");
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  }
  if (!r.notes.empty()) out += "\n";
  for (const std::string& note : r.notes) {
    auto lines = wrap(note, 96);
    for (size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? "- " : "  ") + lines[i] + "\n";
  }
  out += fmt::format("\nverdict: {}\n",
                     r.confirmed() ? "theory confirmed" : "some measurements differ from theory");
  return out;
}

nlohmann::json to_json(const ScenarioResult& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Row& row : r.rows)
    rows.push_back({{"what", row.what},
                    {"theory", row.theory},
                    {"measured", row.measured},
                    {"verdict", verdict_name(row.verdict)}});
  return {{"scenario", r.name}, {"title", r.title},   {"confirmed", r.confirmed()},
          {"rows", rows},       {"values", r.values}, {"notes", r.notes}};
}

std::string render_list() {
  std::string out;
  size_t w = 0;
  for (const Scenario& s : scenarios()) w = std::max(w, s.name.size());
  for (const Scenario& s : scenarios()) {
    auto lines = wrap(s.summary, 96 - w);
    for (size_t i = 0; i < lines.size(); ++i)
      out += fmt::format("{:<{}}  {}\n", i == 0 ? s.name : "", w, lines[i]);
  }
  return out;
}

}  // namespace tw::lab
